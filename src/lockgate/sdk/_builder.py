"""One builder per node kind, read off the kind's spec model: its kind string and its config type."""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, get_args

from pydantic import BaseModel, ValidationError

from lockgate.sdk._graph import definition_errors, resolve

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    from lockgate.sdk._graph import Graph
    from lockgate.sdk._handles import EdgeSource, NodeHandle, Ref
    from lockgate.spec.nodes import NodeBase, Position
    from lockgate.spec.policies import Join, OnError, RetryPolicy, ReviewPolicy

__all__ = ["DurationValue", "NodeBuilder", "deferred_problems"]

C = TypeVar("C", bound=BaseModel)

DurationValue = timedelta | str | float
"""A duration: a ``timedelta``, seconds, or text such as ``"90s"`` or ``"1h30m"``."""

_DEFERRED: ContextVar[bool] = ContextVar("lockgate_sdk_deferred_problems", default=False)


@contextlib.contextmanager
def deferred_problems() -> Iterator[None]:
    """Keep a node the builder refuses as written, for ``spec()`` to report along with every other problem.

    Used while a file is loaded (``lockgate run flow.py``): one report then holds the problems of every
    node, as for a YAML file. Elsewhere a refused node raises at once, where the call is.
    """
    token = _DEFERRED.set(True)
    try:
        yield
    finally:
        _DEFERRED.reset(token)


class NodeBuilder(Generic[C]):
    """Adds nodes of one kind to a pipeline; ``pipe.script``, ``pipe.agent``, … are builders.

    Call it with the node's id, its upstream nodes, its policies and its configuration. The configuration
    is the kind's config model (``C``: ``ScriptConfig`` for ``pipe.script``): give it whole as
    ``config=``, or its fields as keyword arguments (``code="…"``), or both (the keywords win).
    """

    def __init__(self, graph: Graph, model: type[NodeBase], config_type: type[C]) -> None:
        """Builders come from a ``Pipeline``'s properties."""
        self._graph = graph
        self._model = model
        self._config_type = config_type
        (self._kind,) = get_args(model.model_fields["kind"].annotation)

    @property
    def kind(self) -> str:
        """The kind string, as in a definition file (``script``)."""
        return str(self._kind)

    @property
    def config_type(self) -> type[C]:
        """The kind's config model: what ``config=`` and the keyword arguments are validated by."""
        return self._config_type

    def __call__(
        self,
        node_id: str,
        /,
        *after: NodeHandle | EdgeSource,
        config: C | Mapping[str, Any] | None = None,
        name: str | None = None,
        description: str | None = None,
        inputs: Mapping[str, object] | None = None,
        retry: RetryPolicy | Mapping[str, Any] | None = None,
        timeout: DurationValue | None = None,
        heartbeat_timeout: DurationValue | None = None,
        max_lost_attempts: int | None = None,
        on_error: OnError | Literal["fail", "continue", "branch"] | None = None,
        join: Join | Literal["all", "any"] | None = None,
        for_each: str | Ref | NodeHandle | None = None,
        max_parallel: int | None = None,
        max_concurrent: int | None = None,
        concurrency_group: str | None = None,
        idempotency_key: str | None = None,
        credentials: Sequence[str] | None = None,
        review: ReviewPolicy | Mapping[str, Any] | None = None,
        queue: str | None = None,
        start: bool | None = None,
        position: Position | Mapping[str, float] | None = None,
        **settings: Any,
    ) -> NodeHandle:
        """Add a node; the node's fields are those of ``NodeBase``, its settings those of the config model.

        Args:
            node_id: the node's id (a lowercase slug), unique in the pipeline.
            *after: upstream nodes: an edge from each (``route.branch("high")`` for a branch edge).
            config: the kind's config model, or its dict form.
            name: see ``NodeBase``; likewise every keyword below, down to ``position``.
            description: see ``NodeBase``.
            inputs: values handed to the step; a Ref or a handle given whole reads that node (and draws
                an edge from it unless it is upstream already).
            retry: the retry policy (``RetryPolicy`` or its dict form).
            timeout: the longest one attempt may take.
            heartbeat_timeout: see ``NodeBase``.
            max_lost_attempts: see ``NodeBase``.
            on_error: ``fail``, ``continue`` or ``branch`` (then ``node.branch("error") >> fallback``).
            join: ``all`` or ``any``.
            for_each: a template, Ref or handle giving a list: one step per item.
            max_parallel: see ``NodeBase``.
            max_concurrent: see ``NodeBase``.
            concurrency_group: see ``NodeBase``.
            idempotency_key: see ``NodeBase``.
            credentials: see ``NodeBase``.
            review: people's review (``ReviewPolicy`` or its dict form).
            queue: see ``NodeBase``.
            start: a start node by intent (a node with no edge in a pipeline with edges); see ``NodeBase``.
            position: see ``NodeBase``.
            **settings: fields of the config model.

        Returns:
            The node's handle.

        Raises:
            DefinitionErrors: a field is wrong; each error names the node and the field, as for a YAML file.
        """
        options = {
            "name": name, "description": description, "inputs": inputs, "retry": retry, "timeout": timeout,
            "heartbeat_timeout": heartbeat_timeout, "max_lost_attempts": max_lost_attempts, "on_error": on_error,
            "join": join, "for_each": for_each, "max_parallel": max_parallel, "max_concurrent": max_concurrent,
            "concurrency_group": concurrency_group, "idempotency_key": idempotency_key, "credentials": credentials,
            "review": review, "queue": queue, "start": start, "position": position,
        }  # fmt: skip
        reads: list[NodeHandle] = []
        raw: dict[str, Any] = {"id": node_id, "kind": self._kind}
        raw |= {key: resolve(value, reads) for key, value in options.items() if value is not None}
        if config is not None or settings or ("config" in self._model.model_fields and _required(self._model)):
            raw["config"] = resolve(_config_dict(config) | settings, reads)
        try:
            node = self._model.model_validate(raw)
        except ValidationError as exc:
            if not _DEFERRED.get():
                raise definition_errors(exc, node_id) from None
            return self._graph.add_node(raw, after, reads)  # spec() validates it again, and reports it
        return self._graph.add_node(node.model_dump(mode="json", exclude_unset=True), after, reads)


def _config_dict(config: BaseModel | Mapping[str, Any] | None) -> dict[str, Any]:
    if config is None:
        return {}
    if isinstance(config, BaseModel):
        return config.model_dump(exclude_unset=True)
    return dict(config)


def _required(model: type[NodeBase]) -> bool:
    """Whether the kind's config must be given (a noop's may be left out, as in a definition file)."""
    return model.model_fields["config"].is_required()
