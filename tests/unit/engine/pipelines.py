"""Random pipelines for the property tests, and an oracle for edges written from DESIGN.md, not from the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from lockgate.compile import ERROR_BRANCH, Plan, PlanEdge
from lockgate.engine import TERMINAL, StepState, StepStatus
from lockgate.spec import Join, OnError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["BRANCHES", "WHEN", "edge_taken", "pipelines", "resolved_inputs"]

BRANCHES = ("p", "q", "r")  # what every random condition node may pick
WHEN = {None: True, "{{ true }}": True, "{{ false }}": False}  # constant conditions: the oracle needs no Jinja


@st.composite
def _review(draw: st.DrawFn) -> dict[str, Any]:
    review: dict[str, Any] = {
        "approve_start": draw(st.booleans()),
        "approve_complete": draw(st.booleans()),
        "max_revisions": draw(st.integers(0, 2)),
    }
    if draw(st.integers(0, 2)) == 0:
        review["deadline"] = f"{draw(st.integers(5, 60))}s"
        review["on_deadline"] = draw(st.sampled_from(["reject", "approve", "notify"]))
        if review["on_deadline"] == "notify":
            review["notify_url"] = "http://127.0.0.1:9/notify"
    return review


@st.composite
def _node(draw: st.DrawFn, index: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(["noop", "noop", "condition", "human", "wait"]))
    out: dict[str, Any] = {"id": f"n{index}", "kind": kind}
    if kind == "wait":  # an engine timer: never dispatched, woken by its ``wake`` timer
        out["config"] = {"duration": f"{draw(st.integers(0, 30))}s"}
    elif kind == "condition":
        out["config"] = {"branches": [{"name": "p", "when": True}, {"name": "q", "when": False}], "default": "r"}
    elif kind == "human":
        out["config"] = {"fields": [{"name": "ok", "type": "boolean", "default": True}]}
    if kind == "human" or draw(st.integers(0, 3)) == 0:
        out["review"] = draw(_review())
    out["join"] = draw(st.sampled_from(["all", "all", "any"]))
    out["on_error"] = draw(st.sampled_from(["fail", "continue", "branch"]))
    out["retry"] = {
        "max_attempts": draw(st.integers(1, 3)),
        "initial_delay": f"{draw(st.integers(1, 5))}s",
        "jitter": draw(st.sampled_from([0.0, 0.5])),
        "retry_on": draw(st.sampled_from([[], ["flaky"]])),
    }
    if draw(st.booleans()):
        out["timeout"] = f"{draw(st.integers(2, 40))}s"
    out["max_lost_attempts"] = draw(st.integers(1, 3))
    if kind in {"noop", "human", "wait"} and draw(st.integers(0, 2)) == 0:
        out["for_each"] = f"{{{{ {list(range(draw(st.integers(0, 3))))} }}}}"
        out["max_parallel"] = draw(st.sampled_from([None, 1, 2]))
    return out


@st.composite
def pipelines(draw: st.DrawFn, max_nodes: int = 7) -> dict[str, Any]:
    """A random DAG as a user would write it: edges only go forward by index, so there is no cycle."""
    count = draw(st.integers(1, max_nodes))
    nodes = [draw(_node(i)) for i in range(count)]
    edges: list[dict[str, Any]] = []
    for target in range(1, count):
        for source in range(target):
            if draw(st.integers(0, 9)) >= 4:
                continue
            labels: list[str | None] = [None]
            if nodes[source]["kind"] == "condition":
                labels += list(BRANCHES)
            if nodes[source]["on_error"] == "branch":
                labels.append(ERROR_BRANCH)
            edge: dict[str, Any] = {"source": f"n{source}", "target": f"n{target}"}
            branch = draw(st.sampled_from(labels))
            if branch is not None:
                edge["branch"] = branch
            when = draw(st.sampled_from(list(WHEN)))
            if when is not None:
                edge["when"] = when
            edges.append(edge)
    linked = {end for edge in edges for end in (edge["source"], edge["target"])}
    if edges:  # a node left without an edge starts on its own, as its author says
        nodes = [{**node, "start": True} if node["id"] not in linked else node for node in nodes]
    return {"name": "random", "nodes": nodes, "edges": edges}


def edge_taken(plan: Plan, steps: Mapping[str, StepState], edge: PlanEdge) -> bool | None:
    """None while the source has not finished; else whether the edge is taken (DESIGN.md, Readiness)."""
    source = steps.get(edge.source)
    if source is None or source.status not in TERMINAL:
        return None
    if source.status is StepStatus.SUCCEEDED:
        routed = (
            edge.branch != ERROR_BRANCH
            and (edge.branch is None or edge.branch in (source.branches or ()))
            and (source.next is None or edge.target in source.next)
        )
    elif source.status is StepStatus.FAILED:
        on_error = plan.nodes[edge.source].node.on_error
        routed = (on_error is OnError.CONTINUE and edge.branch is None) or (
            on_error is OnError.BRANCH and edge.branch == ERROR_BRANCH
        )
    else:
        routed = False
    assert isinstance(edge.when, str | None)
    return routed and WHEN[edge.when]


def resolved_inputs(plan: Plan, steps: Mapping[str, StepState], node_id: str) -> tuple[bool, bool]:
    """``(may start, must be skipped)`` for a node, from its incoming edges."""
    states = [edge_taken(plan, steps, e) for e in plan.nodes[node_id].incoming]
    if not states:
        return True, False
    taken = any(s is True for s in states)
    resolved = all(s is not None for s in states)
    may_start = taken if plan.nodes[node_id].node.join is Join.ANY else taken and resolved
    return may_start, resolved and not taken
