"""What a run needs in flight, derived from its state: used by recovery after a crash."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockgate.engine.advance import Transition, advance
from lockgate.engine.commands import DispatchStep, StartTimer
from lockgate.engine.dispatching import build_dispatch
from lockgate.engine.events import Event, TimerPurpose
from lockgate.engine.state import RunState, StepStatus
from lockgate.expressions import ExpressionError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from lockgate.compile.plan import Plan

__all__ = ["pending_dispatches", "pending_timers", "replay", "replay_transitions"]


def replay(plan: Plan, state: RunState, events: Iterable[tuple[Event, datetime]]) -> RunState:
    """Fold recorded events (each with the time it was applied) into a state."""
    for event, at in events:
        state = advance(plan, state, event, at).state
    return state


def replay_transitions(plan: Plan, state: RunState, events: Iterable[tuple[Event, datetime]]) -> list[Transition]:
    out = []
    for event, at in events:
        transition = advance(plan, state, event, at)
        out.append(transition)
        state = transition.state
    return out


def pending_dispatches(plan: Plan, state: RunState) -> list[DispatchStep]:
    """The dispatch of every queued step, as it was issued (the same attempt, the same inputs)."""
    out = []
    for step in state.steps.values():
        if step.status is StepStatus.QUEUED and step.queued_at is not None:
            try:
                command = build_dispatch(plan, state, state.steps, state.input, step, step.attempt, step.queued_at)
            except ExpressionError:  # it rendered when it was queued; the state has not changed since
                continue
            out.append(command)
    return out


def pending_timers(plan: Plan, state: RunState) -> list[StartTimer]:
    """Every timer the run is waiting on: retries, waits, attempt timeouts, heartbeats, human task deadlines."""
    out: list[StartTimer] = []
    if state.status.terminal:
        return out
    for step in state.steps.values():
        node = plan.nodes[step.node_id].node
        review = node.review
        if step.status is StepStatus.WAITING and step.task_opened_at and review is not None and review.deadline:
            fire_at = step.task_opened_at + review.deadline
            out.append(StartTimer(run_id=state.run_id, step=step.key, attempt=step.tasks_opened,
                                  purpose=TimerPurpose.DEADLINE, fire_at=fire_at))  # fmt: skip
            if step.notify_next_at is not None:
                out.append(StartTimer(run_id=state.run_id, step=step.key, attempt=step.notify_sent + 1,
                                      purpose=TimerPurpose.NOTIFY, fire_at=step.notify_next_at))  # fmt: skip
            continue
        timers: list[tuple[TimerPurpose, datetime]] = []
        if step.status is StepStatus.WAITING and step.wake_at is not None:
            timers.append((TimerPurpose.WAKE, step.wake_at))
        if step.status is StepStatus.RETRYING and step.retry_at is not None:
            timers.append((TimerPurpose.RETRY, step.retry_at))
        if step.status is StepStatus.RUNNING and step.items is None and step.started_at is not None:
            if node.timeout is not None:
                timers.append((TimerPurpose.TIMEOUT, step.started_at + node.timeout))
            if node.heartbeat_timeout is not None:
                last = step.heartbeat_at or step.started_at
                timers.append((TimerPurpose.HEARTBEAT, last + node.heartbeat_timeout))
        out.extend(
            StartTimer(run_id=state.run_id, step=step.key, attempt=step.attempt, purpose=p, fire_at=at)
            for p, at in timers
        )
    return out
