"""The plan: a validated, frozen graph with its order, neighbours and levels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import JsonValue

from lockgate.expressions import Templates
from lockgate.spec.nodes import Node
from lockgate.spec.pipeline import Edge, PipelineSpec

__all__ = ["Plan", "PlanEdge", "PlanNode"]


@dataclass(frozen=True, slots=True)
class PlanEdge:
    index: int
    source: str
    target: str
    when: str | bool | None
    branch: str | None


@dataclass(frozen=True, slots=True)
class PlanNode:
    node: Node
    predecessors: tuple[str, ...]
    successors: tuple[str, ...]
    incoming: tuple[PlanEdge, ...]
    outgoing: tuple[PlanEdge, ...]
    ancestors: frozenset[str]
    level: int
    # ``(field path, template JSON)`` of the config, rendered at dispatch
    config_templates: tuple[tuple[str, JsonValue], ...]
    config_json: Mapping[str, JsonValue]

    @property
    def id(self) -> str:
        return self.node.id


@dataclass(frozen=True, slots=True)
class Plan:
    spec: PipelineSpec
    hash: str
    nodes: Mapping[str, PlanNode]
    edges: tuple[PlanEdge, ...]
    order: tuple[str, ...]
    levels: tuple[tuple[str, ...], ...]
    roots: tuple[str, ...]
    sinks: tuple[str, ...]
    idempotent: frozenset[str]  # nodes that declare an idempotency key (read on every batch: computed once)
    # Every template of the definition, prepared as the compiler checked it: rendered without parsing again.
    templates: Templates

    @property
    def name(self) -> str:
        return self.spec.name

    def node(self, node_id: str) -> PlanNode:
        return self.nodes[node_id]

    @staticmethod
    def edge_of(index: int, edge: Edge) -> PlanEdge:
        return PlanEdge(index, edge.source, edge.target, edge.when, edge.branch)
