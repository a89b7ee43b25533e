"""Whether an edge is taken, and whether a node is ready, skipped or still waiting."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from lockgate.compile.problems import ERROR_BRANCH
from lockgate.engine.state import TERMINAL, StepState, StepStatus
from lockgate.expressions import ExpressionError, render, truthy
from lockgate.spec.policies import Join, OnError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lockgate.compile.plan import Plan, PlanEdge

__all__ = ["EdgeState", "Readiness", "edge_state", "readiness"]


class EdgeState(StrEnum):
    UNRESOLVED = "unresolved"
    TAKEN = "taken"
    NOT_TAKEN = "not_taken"


class Readiness(StrEnum):
    WAIT = "wait"
    READY = "ready"
    SKIP = "skip"


def _routed(plan: Plan, edge: PlanEdge, source: StepState) -> bool:
    """Whether the source's outcome routes along this edge, before ``when`` is looked at."""
    on_error = plan.nodes[edge.source].node.on_error
    if source.status is StepStatus.FAILED:
        if on_error is OnError.BRANCH:
            return edge.branch == ERROR_BRANCH
        return on_error is OnError.CONTINUE and edge.branch is None
    if source.status is not StepStatus.SUCCEEDED or edge.branch == ERROR_BRANCH:
        return False
    if edge.branch is not None and (source.branches is None or edge.branch not in source.branches):
        return False
    return source.next is None or edge.target in source.next


def edge_state(plan: Plan, steps: Mapping[str, StepState], edge: PlanEdge, context: dict[str, Any]) -> EdgeState:
    """Raises ExpressionError when the edge's ``when`` cannot be evaluated."""
    source = steps.get(edge.source)
    if source is None or source.status not in TERMINAL:
        return EdgeState.UNRESOLVED
    if not _routed(plan, edge, source):
        return EdgeState.NOT_TAKEN
    if edge.when is None:
        return EdgeState.TAKEN
    if isinstance(edge.when, bool):
        holds = edge.when
    else:
        try:
            holds = truthy(render(edge.when, context, f"edges[{edge.index}].when", plan.templates))
        except ExpressionError as exc:
            raise ExpressionError(exc.message, f"edges[{edge.index}].when") from exc
    return EdgeState.TAKEN if holds else EdgeState.NOT_TAKEN


def readiness(plan: Plan, steps: Mapping[str, StepState], node_id: str, context: dict[str, Any]) -> Readiness:
    node = plan.nodes[node_id]
    if not node.incoming:
        return Readiness.READY
    states = [edge_state(plan, steps, e, context) for e in node.incoming]
    taken = EdgeState.TAKEN in states
    waiting = EdgeState.UNRESOLVED in states
    if node.node.join is Join.ANY:
        return Readiness.READY if taken else Readiness.WAIT if waiting else Readiness.SKIP
    if waiting:
        return Readiness.WAIT
    return Readiness.READY if taken else Readiness.SKIP
