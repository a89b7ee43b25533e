"""What can still be read of a definition that failed its schema, so that its graph and references are checked too.

A node that fails its schema keeps its id (edges and references to it stay checkable); a node without a usable id,
an edge that fails its own schema or a top-level field that fails is left out of the checks it would feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import JsonValue, TypeAdapter, ValidationError

from lockgate.spec.concurrency import Concurrency
from lockgate.spec.nodes import Node, TemplatedJson
from lockgate.spec.pipeline import Edge

if TYPE_CHECKING:
    from lockgate.spec.pipeline import PipelineSpec

__all__ = ["Draft", "DraftNode"]

_T = TypeVar("_T")
_M = TypeVar("_M", Edge, Concurrency)

_NODE: TypeAdapter[Node] = TypeAdapter(Node)
_OUTPUT: TypeAdapter[JsonValue] = TypeAdapter(TemplatedJson)


@dataclass(frozen=True, slots=True)
class DraftNode:
    """A node as far as it could be read: its id always, its model if it passed its schema."""

    id: str
    node: Node | None  # None: it failed its schema (reported there); its id still anchors edges and references
    start: bool = False


@dataclass(frozen=True, slots=True)
class Draft:
    """A definition as far as it could be read: what the compiler's structure and reference checks look at."""

    nodes: tuple[DraftNode, ...]
    edges: tuple[tuple[int, Edge], ...]  # (index in the definition, edge) of each edge that passed its schema
    linked: frozenset[str]  # node ids some edge names as its source or target, valid or not
    has_edges: bool
    input_fields: frozenset[str] | None  # None: no input schema declared (any input name is accepted)
    output: JsonValue
    concurrency: Concurrency | None

    @property
    def valid_nodes(self) -> tuple[Node, ...]:
        """The nodes that passed their schema."""
        return tuple(d.node for d in self.nodes if d.node is not None)

    @classmethod
    def of_spec(cls, spec: PipelineSpec) -> Draft:
        """A definition that passed its schema, whole."""
        return cls(
            nodes=tuple(DraftNode(n.id, n, n.start) for n in spec.nodes),
            edges=tuple(enumerate(spec.edges)),
            linked=frozenset(end for e in spec.edges for end in (e.source, e.target)),
            has_edges=bool(spec.edges),
            input_fields=frozenset(spec.input) if spec.input else None,
            output=spec.output,
            concurrency=spec.concurrency,
        )

    @classmethod
    def of_data(cls, data: dict[str, Any]) -> Draft:
        """Each part validated on its own: one bad node, edge or field hides nothing else."""
        raw_nodes = data.get("nodes")
        raw_edges = data.get("edges")
        nodes = [_draft_node(item) for item in raw_nodes] if isinstance(raw_nodes, list) else []
        edge_items = raw_edges if isinstance(raw_edges, list) else []
        edges = tuple((i, edge) for i, item in enumerate(edge_items) if (edge := _valid(Edge, item)) is not None)
        linked = frozenset(
            end
            for item in edge_items
            if isinstance(item, dict)
            for end in (item.get("source"), item.get("target"))
            if isinstance(end, str)
        )
        raw_input = data.get("input")
        return cls(
            nodes=tuple(n for n in nodes if n is not None),
            edges=edges,
            linked=linked,
            has_edges=bool(edge_items),
            input_fields=_input_names(raw_input),
            output=_or_none(_OUTPUT, data.get("output")),
            concurrency=_valid(Concurrency, data.get("concurrency")),
        )


def _input_names(raw: Any) -> frozenset[str] | None:
    """The declared input names, known even when a field's type is wrong."""
    if not isinstance(raw, dict):
        return None
    return frozenset(k for k in raw if isinstance(k, str)) or None


def _draft_node(item: Any) -> DraftNode | None:
    node_id = item.get("id") if isinstance(item, dict) else None
    if not isinstance(node_id, str):
        return None
    node = _or_none(_NODE, item)
    return DraftNode(node.id if node is not None else node_id, node, item.get("start") is True)


def _valid(model: type[_M], value: Any) -> _M | None:
    if value is None:
        return None
    try:
        return model.model_validate(value)
    except ValidationError:
        return None


def _or_none(adapter: TypeAdapter[_T], value: Any) -> _T | None:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None
