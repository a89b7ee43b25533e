"""The nodes and edges a builder has gathered, and the values handed to it (with their references)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from lockgate.errors import DefinitionError, DefinitionErrors
from lockgate.sdk._handles import EdgeSource, NodeHandle, Ref
from lockgate.spec.messages import explain

if TYPE_CHECKING:
    from pydantic import JsonValue

__all__ = ["Graph", "definition_errors", "resolve"]


@dataclass(frozen=True, slots=True)
class _EdgeEntry:
    source: str
    target: str
    when: str | None = None
    branch: str | None = None
    implied: bool = False  # drawn because the target reads the source; dropped if the source is upstream anyway


def resolve(value: object, found: list[NodeHandle]) -> Any:
    """``value`` with every Ref and NodeHandle in it replaced by its template; the nodes they read go to ``found``."""
    match value:
        case Ref():
            if value.node is not None:
                found.append(value.node)
            return str(value)
        case NodeHandle():
            found.append(value)
            return str(value.output)
        case BaseModel():
            return value.model_dump(mode="json", exclude_unset=True)
        case Mapping():
            return {key: resolve(item, found) for key, item in value.items()}
        case list() | tuple():
            return [resolve(item, found) for item in value]
        case _:
            return value


def definition_errors(exc: ValidationError, node_id: str | None, prefix: tuple[str, ...] = ()) -> DefinitionErrors:
    """A pydantic error as the same DefinitionErrors the YAML loader gives: a message per node and field."""
    errors = []
    for err in exc.errors():
        loc = (*prefix, *(str(p) if isinstance(p, str) else f"[{p}]" for p in err["loc"]))
        field = ".".join(loc).replace(".[", "[") or None
        errors.append(DefinitionError(explain(err), node_id=node_id, field=field))
    return DefinitionErrors(errors)


class Graph:
    """Nodes (as the JSON a definition file would hold) and edges, in the order they were added."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, JsonValue]] = {}
        self._edges: list[_EdgeEntry] = []

    def handle(self, node_id: str) -> NodeHandle:
        if node_id not in self.nodes:
            raise DefinitionErrors([DefinitionError(f"no node {node_id!r} in this pipeline", node_id=node_id)])
        return NodeHandle(self, node_id)

    def add_node(
        self, data: dict[str, JsonValue], upstream: Sequence[NodeHandle | EdgeSource], reads: Sequence[NodeHandle]
    ) -> NodeHandle:
        node_id = str(data["id"])
        if node_id in self.nodes:
            raise DefinitionErrors([DefinitionError("a node with this id exists already", node_id, "id")])
        for item in [*upstream, *reads]:
            self._own(item.source if isinstance(item, EdgeSource) else item, node_id)
        self.nodes[node_id] = data
        handle = NodeHandle(self, node_id)
        for item in upstream:
            self.add_edge(item if isinstance(item, EdgeSource) else EdgeSource(item), handle)
        for source in dict.fromkeys(h.id for h in reads):  # once each, in the order read
            self._edges.append(_EdgeEntry(source, node_id, implied=True))
        return handle

    def add_edge(self, source: EdgeSource, target: NodeHandle) -> None:
        self._own(source.source, target.id)
        self._own(target, target.id)
        self._edges.append(_EdgeEntry(source.source.id, target.id, source.condition, source.branch_name))

    def add_edge_to(self, source: NodeHandle, target: str) -> None:
        """An edge to a node named by id, which may be added later (a task's ``next``); checked by ``check``."""
        self._own(source, source.id)
        self._edges.append(_EdgeEntry(source.id, target))

    def check(self) -> None:
        """Every edge's target was added (edges to ids are drawn before their node may exist)."""
        errors = [DefinitionError(f"next: no node {e.target!r} in this pipeline", e.source, "next")
                  for e in self._edges if e.target not in self.nodes]  # fmt: skip
        if errors:
            raise DefinitionErrors(errors)

    def _own(self, handle: NodeHandle, where: str) -> None:
        if handle._graph is not self:
            raise DefinitionErrors([DefinitionError(f"{handle.id!r} is a node of another pipeline", where)])

    def edges(self) -> list[dict[str, JsonValue]]:
        """The edges as a definition file lists them, without implied edges whose source is upstream anyway."""
        kept = self._kept_implied()
        out: list[dict[str, JsonValue]] = []
        for edge in self._edges:
            if edge.implied and edge not in kept:
                continue
            data: dict[str, JsonValue] = {"source": edge.source, "target": edge.target}
            if edge.when is not None:
                data["when"] = edge.when
            if edge.branch is not None:
                data["branch"] = edge.branch
            out.append(data)
        return out

    def _kept_implied(self) -> set[_EdgeEntry]:
        # Node by node: a read node that is an ancestor (of the reader, or of another node it reads) is upstream
        # already, and an extra edge would change what the reader waits for (its join, its skips).
        parents: dict[str, set[str]] = {node_id: set() for node_id in self.nodes}
        for edge in self._edges:
            if not edge.implied:
                parents[edge.target].add(edge.source)
        kept: set[_EdgeEntry] = set()
        for node_id in self.nodes:  # creation order: whatever a node reads was added before it
            implied = [e for e in self._edges if e.implied and e.target == node_id]
            reach = {e.source: _ancestors(e.source, parents) for e in implied}
            above = _ancestors(node_id, parents)
            for edge in implied:
                if edge.source in above or any(edge.source in reach[o] for o in reach if o != edge.source):
                    continue
                kept.add(edge)
                parents[node_id].add(edge.source)
        return kept


def _ancestors(node_id: str, parents: Mapping[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(parents.get(node_id, ()))
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(parents.get(current, ()))
    return seen
