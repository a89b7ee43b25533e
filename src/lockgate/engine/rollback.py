"""Rollback within a run (to a node: archive, reset, run again from there) and across runs (``latest``)."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from lockgate.engine.commands import ArchivedStep, ArchiveOutputs, CancelStep, PointLatest, TaskOutcome
from lockgate.engine.paths import rollback_folder, run_folder, step_folder
from lockgate.engine.state import ACTIVE, RunStatus, StepState, StepStatus
from lockgate.engine.tasks import close_task
from lockgate.errors import ConflictError, InvalidTransitionError, NotFoundError
from lockgate.spec.policies import OnError

if TYPE_CHECKING:
    from lockgate.engine.draft import Draft
    from lockgate.engine.events import RunMadeLatest, RunRolledBack

__all__ = ["downstream", "run_made_latest", "run_rolled_back"]


def downstream(d: Draft, node_id: str) -> set[str]:
    """Every node reachable from ``node_id`` (itself excluded)."""
    seen: set[str] = set()
    todo = deque(d.node(node_id).successors)
    while todo:
        current = todo.popleft()
        if current not in seen:
            seen.add(current)
            todo.extend(d.node(current).successors)
    return seen


def _check(d: Draft, event: RunRolledBack, below: set[str]) -> None:
    if d.status is RunStatus.PENDING:
        raise InvalidTransitionError(d.base.run_id, d.status.value, event.type)
    if event.node not in d.steps:
        raise ConflictError(f"node {event.node!r} has not run in this run: there is nothing to roll back")
    if not d.status.terminal:
        return
    for step in d.steps.values():
        ends_run = step.status is StepStatus.FAILED and d.node(step.node_id).node.on_error is OnError.FAIL
        if ends_run and step.item_index is None and step.node_id not in below:
            raise ConflictError(f"step {step.key!r} failed the run and is not {event.node!r} or downstream of it: "
                                "retry that step instead")  # fmt: skip


def _take_out(d: Draft, step: StepState, cancelled: list[str]) -> ArchivedStep | None:
    """Stop the step if it is in flight, take it out of the state, and say what it had produced."""
    if step.status in ACTIVE and step.items is None:
        d.commands.append(CancelStep(run_id=d.base.run_id, step=step.key, attempt=step.attempt))
        cancelled.append(step.key)
    elif step.status is StepStatus.WAITING:
        step = close_task(d, step, TaskOutcome.CANCELLED)
        cancelled.append(step.key)
    if step.item_index is None and step.terminal and step.status is not StepStatus.CANCELLED:
        d.unfinished += 1  # counted out when it ended; a cancelled step never was
    d.remove(step)
    if step.item_index is not None:
        return None
    return ArchivedStep(key=step.key, node_id=step.node_id, status=step.status.value, attempt=step.attempt,
                        output=step.output)  # fmt: skip


def _reopen(d: Draft) -> list[str]:
    """A finished run runs again: the steps its end cancelled start over too (as a retry does)."""
    d.status, d.error, d.finished_at, d.output = RunStatus.RUNNING, None, None, None
    restart = sorted({s.node_id for s in d.steps.values() if s.status is StepStatus.CANCELLED})
    for step in [s for s in d.steps.values() if s.node_id in restart]:
        d.remove(step)
    return restart


def run_rolled_back(d: Draft, event: RunRolledBack) -> None:
    if event.node not in d.plan.nodes:
        raise NotFoundError("node", event.node)
    below = {event.node} | downstream(d, event.node)
    _check(d, event, below)
    archived: list[ArchivedStep] = []
    cancelled: list[str] = []
    for step in sorted((s for s in d.steps.values() if s.node_id in below), key=lambda s: s.key):
        kept = _take_out(d, step, cancelled)
        if kept is not None:
            archived.append(kept)
    restart = _reopen(d) if d.status.terminal else []
    number = d.base.number
    folder = rollback_folder(event.rollback, d.now)
    moves: list[tuple[str, str]] = []
    for node_id in sorted(below):
        name = step_folder(node_id)
        moves.append((f"{run_folder(number)}/{name}", f"{folder}/{name}"))
        moves.append((f"{run_folder(number)}/.attempts/{name}", f"{folder}/.attempts/{name}"))
    d.commands.append(
        ArchiveOutputs(run_id=d.base.run_id, pipeline=d.base.pipeline, run_number=number, rollback=event.rollback,
                       node_id=event.node, folder=folder, moves=moves, steps=archived, cancelled=cancelled,
                       by=event.by, reason=event.reason, at=d.now)
    )  # fmt: skip
    # Not only the node: a ``join: any`` node downstream may be ready through another input already.
    d.to_check.extend(n for n in d.plan.order if n in below or n in restart)


def run_made_latest(d: Draft, event: RunMadeLatest) -> None:
    if d.status is not RunStatus.SUCCEEDED:
        raise ConflictError(f"run {d.base.pipeline}/v{d.base.number} is {d.status.value}: latest points at a "
                            "succeeded run only")  # fmt: skip
    d.commands.append(PointLatest(run_id=d.base.run_id, pipeline=d.base.pipeline, run_number=d.base.number,
                                  rollback=event.rollback, by=event.by, reason=event.reason, at=d.now))  # fmt: skip
