"""What builder methods give back: handles on nodes, expressions over their results, edges to draw."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lockgate.sdk._graph import Graph

__all__ = ["EdgeSource", "NodeHandle", "Ref"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Ref:
    """An expression over the run's data, such as ``{{ nodes.draft.output.title }}``.

    Index it to go deeper (``draft.output["title"]``, ``hits.output[0]``). Given as a whole value (an
    input, ``for_each``, a config value), it becomes the expression and, when its node is not upstream
    yet, an edge from that node; inside an f-string it is only text (``f"Re: {draft.output['title']}"``).
    """

    __slots__ = ("_node", "_path")

    def __init__(self, path: str, node: NodeHandle | None = None) -> None:
        """Make an expression from its path; builders and handles make these, users index them."""
        self._path = path
        self._node = node

    @property
    def node(self) -> NodeHandle | None:
        """The node whose result this reads; None for the run's input."""
        return self._node

    @property
    def path(self) -> str:
        """The expression without braces: ``nodes.draft.output.title``."""
        return self._path

    def __getitem__(self, key: str | int) -> Ref:
        """The expression of a key or an index below this one."""
        if isinstance(key, int):
            return Ref(f"{self._path}[{key}]", self._node)
        step = f".{key}" if _NAME.match(key) else f"[{key!r}]"
        return Ref(self._path + step, self._node)

    def __str__(self) -> str:
        """The template: ``{{ nodes.draft.output.title }}``."""
        return f"{{{{ {self._path} }}}}"

    def __repr__(self) -> str:
        """Show the template."""
        return f"Ref({self._path!r})"


class NodeHandle:
    """A node added to a pipeline: draw edges from it (``a >> b``) and read its results (``a.output``).

    Passed as a whole value (an input, ``for_each``), a handle stands for its output.
    """

    __slots__ = ("_graph", "_id")

    def __init__(self, graph: Graph, node_id: str) -> None:
        """Handles come from a pipeline's builder methods, or ``pipe["id"]``."""
        self._graph = graph
        self._id = node_id

    @property
    def id(self) -> str:
        """The node's id."""
        return self._id

    @property
    def output(self) -> Ref:
        """``{{ nodes.<id>.output }}``: what the step produced (a list, in item order, for ``for_each``)."""
        return Ref(f"nodes.{self._id}.output", self)

    @property
    def value(self) -> Any:
        """``output`` for a task parameter's default: ``def pay(order: dict = fetch.value)`` type-checks.

        The same Ref as ``output`` (index it: ``fetch.value["total"]``); a type checker sees ``Any``, so the
        parameter keeps the annotation its function needs.
        """
        return self.output

    @property
    def status(self) -> Ref:
        """``{{ nodes.<id>.status }}``: ``succeeded``, ``failed``, ``skipped`` and so on."""
        return Ref(f"nodes.{self._id}.status", self)

    @property
    def error(self) -> Ref:
        """``{{ nodes.<id>.error }}``: the error of a failed step (``kind``, ``message``), else none."""
        return Ref(f"nodes.{self._id}.error", self)

    @property
    def attempt(self) -> Ref:
        """``{{ nodes.<id>.attempt }}``: the number of the step's last attempt."""
        return Ref(f"nodes.{self._id}.attempt", self)

    def branch(self, name: str) -> EdgeSource:
        """The start of an edge taken when this node picks branch ``name`` (``error`` for ``on_error="branch"``)."""
        return EdgeSource(self, branch=name)

    def when(self, expression: str) -> EdgeSource:
        """The start of an edge taken only when ``expression`` (a template) holds."""
        return EdgeSource(self, when=expression)

    @overload
    def __rshift__(self, other: NodeHandle) -> NodeHandle: ...
    @overload
    def __rshift__(self, other: Sequence[NodeHandle]) -> list[NodeHandle]: ...
    def __rshift__(self, other: NodeHandle | Sequence[NodeHandle]) -> NodeHandle | list[NodeHandle]:
        """Add edges from this node: ``a >> b`` gives ``b`` (so ``a >> b >> c`` chains), ``a >> [b, c]`` the list."""
        return EdgeSource(self) >> other

    def __rrshift__(self, other: Sequence[NodeHandle]) -> NodeHandle:
        """``[a, b] >> c``: an edge from each of ``a`` and ``b`` to this node."""
        for source in other:
            source >> self
        return self

    def __repr__(self) -> str:
        """Show the node id."""
        return f"NodeHandle({self._id!r})"


class EdgeSource:
    """The start of an edge with a ``branch`` or a ``when``; ``>>`` a node (or a list) to add it."""

    __slots__ = ("_branch", "_source", "_when")

    def __init__(self, source: NodeHandle, *, branch: str | None = None, when: str | None = None) -> None:
        """Made by ``NodeHandle.branch`` and ``NodeHandle.when``."""
        self._source = source
        self._branch = branch
        self._when = when

    @property
    def source(self) -> NodeHandle:
        """The node the edge leaves."""
        return self._source

    @property
    def branch_name(self) -> str | None:
        """The branch the edge belongs to, if any."""
        return self._branch

    @property
    def condition(self) -> str | None:
        """The ``when`` template, if any."""
        return self._when

    @overload
    def __rshift__(self, other: NodeHandle) -> NodeHandle: ...
    @overload
    def __rshift__(self, other: Sequence[NodeHandle]) -> list[NodeHandle]: ...
    def __rshift__(self, other: NodeHandle | Sequence[NodeHandle]) -> NodeHandle | list[NodeHandle]:
        """Add the edge to ``other`` (or one to each node of a list)."""
        targets = [other] if isinstance(other, NodeHandle) else list(other)
        for target in targets:
            self._source._graph.add_edge(self, target)
        return other if isinstance(other, NodeHandle) else targets

    def __repr__(self) -> str:
        """Show where the edge starts and on what."""
        return f"EdgeSource({self._source.id!r}, branch={self._branch!r}, when={self._when!r})"
