"""The one entry point of the core: ``advance(plan, state, event, now) -> Transition``. Pure."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, assert_never

from lockgate.engine.answers import deadline_fired, task_answered
from lockgate.engine.commands import CancelStep, Command, RunFinished, StartTimer
from lockgate.engine.draft import Draft
from lockgate.engine.events import (
    DeadlineNotificationAttempted,
    Event,
    ExpressionTimedOut,
    HumanTaskAnswered,
    RunCancelled,
    RunMadeLatest,
    RunPaused,
    RunResumed,
    RunRolledBack,
    RunStarted,
    StepFailed,
    StepHeartbeat,
    StepLost,
    StepRetryRequested,
    StepStarted,
    StepSucceeded,
    TimerFired,
    TimerPurpose,
)
from lockgate.engine.notify import notification_attempted, notify_timer_fired
from lockgate.engine.rollback import downstream, run_made_latest, run_rolled_back
from lockgate.engine.state import ACTIVE, ErrorInfo, RunState, RunStatus, StepState, StepStatus, TaskPurpose
from lockgate.engine.transitions import (
    cancel_active,
    dispatch,
    drain,
    fail_final,
    fail_run,
    on_failure,
    on_success,
    open_or_fail,
    route_problem,
    start_node,
)
from lockgate.engine.waits import woke_output
from lockgate.errors import InvalidTransitionError

if TYPE_CHECKING:
    from datetime import datetime

    from pydantic import JsonValue

    from lockgate.compile.plan import Plan

__all__ = ["Transition", "advance"]


@dataclass(frozen=True, slots=True)
class Transition:
    state: RunState
    commands: tuple[Command, ...]
    changed: frozenset[str]  # keys of the steps this transition touched
    removed: frozenset[str] = frozenset()  # keys a rollback took out; those also in ``changed`` started again


def advance(plan: Plan, state: RunState, event: Event, now: datetime) -> Transition:
    """Fold one event into the run's state; return the new state and what must be done next.

    Step events that no longer match the step (stale attempt, finished step, finished run) change
    nothing: executors deliver at least once. Run commands illegal in the run's status raise
    InvalidTransitionError.
    """
    draft = Draft(plan, state, now)
    _fold(draft, event)
    drain(draft)
    return Transition(draft.freeze(), tuple(draft.commands), frozenset(draft.changed), frozenset(draft.removed))


def _invalid(d: Draft, event: Event) -> InvalidTransitionError:
    return InvalidTransitionError(d.base.run_id, d.status.value, event.type)


def _current(d: Draft, step_key: str, attempt: int, *statuses: StepStatus) -> StepState | None:
    """The step if the event still concerns its current attempt in one of ``statuses``.

    A ``for_each`` parent is never an attempt of its own (only its items run), so events naming it are ignored.
    """
    step = d.steps.get(step_key)
    if step is None or step.attempt != attempt or step.status not in statuses or not d.live:
        return None
    if step.items is not None:
        return None
    return step


def _run_started(d: Draft, event: RunStarted) -> None:
    if d.status is not RunStatus.PENDING:
        raise _invalid(d, event)
    d.status = RunStatus.RUNNING
    d.input = event.input
    d.started_at = d.now
    d.base = replace(d.base, extends=event.extends, reuse=event.reuse, budgets=event.budgets)
    d.to_check.extend(d.plan.roots)


def _timer(d: Draft, step: StepState, purpose: TimerPurpose, fire_at: datetime) -> None:
    d.commands.append(StartTimer(run_id=d.base.run_id, step=step.key, attempt=step.attempt, purpose=purpose,
                                 fire_at=fire_at))  # fmt: skip


def _step_started(d: Draft, event: StepStarted) -> None:
    step = _current(d, event.step, event.attempt, StepStatus.QUEUED)
    if step is None:
        return
    step = d.update(step, status=StepStatus.RUNNING, started_at=d.now, heartbeat_at=d.now)
    node = d.node(step.node_id).node
    if node.timeout is not None:
        _timer(d, step, TimerPurpose.TIMEOUT, d.now + node.timeout)
    if node.heartbeat_timeout is not None:
        _timer(d, step, TimerPurpose.HEARTBEAT, d.now + node.heartbeat_timeout)


def _step_heartbeat(d: Draft, event: StepHeartbeat) -> None:
    step = _current(d, event.step, event.attempt, StepStatus.RUNNING)
    if step is not None:
        d.update(step, heartbeat_at=d.now)


def _step_succeeded(d: Draft, event: StepSucceeded) -> None:
    step = _current(d, event.step, event.attempt, *ACTIVE)
    if step is None:
        return
    if step.started_at is None:
        step = d.update(step, started_at=event.started_at or d.now)
    _succeed(d, step, event.output, event.next, event.branches)


def _succeed(d: Draft, step: StepState, output: JsonValue, next_: list[str] | None, branches: list[str] | None) -> None:
    review = d.node(step.node_id).node.review
    if review is not None and review.approve_complete and route_problem(d, step, next_, branches) is None:
        # Done only once a person approves: the output waits with the step, visible to the reviewer.
        step = d.update(step, output=output, next=tuple(next_) if next_ is not None else None,
                        branches=tuple(branches) if branches is not None else None)  # fmt: skip
        open_or_fail(d, step, TaskPurpose.APPROVE_COMPLETE)
        return
    on_success(d, step, output, next_, branches)


def _woke(d: Draft, event: TimerFired) -> None:
    step = _current(d, event.step, event.attempt, StepStatus.WAITING)
    if step is None or step.wake_at is None:  # fired twice, or the step was cancelled or rolled back meanwhile
        return
    wake_at = step.wake_at
    _succeed(d, d.update(step, wake_at=None), woke_output(wake_at), None, None)


def _step_failed(d: Draft, event: StepFailed) -> None:
    step = _current(d, event.step, event.attempt, *ACTIVE)
    if step is None:
        return
    if step.started_at is None:
        step = d.update(step, started_at=event.started_at or d.now)
    on_failure(d, step, event.error)


def _step_lost(d: Draft, event: StepLost) -> None:
    step = _current(d, event.step, event.attempt, *ACTIVE)
    if step is None:
        return
    d.commands.append(CancelStep(run_id=d.base.run_id, step=step.key, attempt=step.attempt))
    # Counted queued or running: a step that brings its worker down may do so before its start is committed.
    step = d.update(step, lost=step.lost + 1)
    limit = d.node(step.node_id).node.max_lost_attempts
    if step.lost >= limit:  # a step that kills its worker (or never answers) must not loop for ever
        message = (f"node {step.node_id!r}: {step.lost} attempts of step {step.key!r} were lost "
                   f"(the worker died or stopped answering; the last: {event.reason}); "
                   f"max_lost_attempts is {limit}")  # fmt: skip
        fail_final(d, step, ErrorInfo(kind="lost", message=message))
        return
    dispatch(d, step)  # a lost attempt does not count against the retry policy


def _timer_fired(d: Draft, event: TimerFired) -> None:
    if event.purpose is TimerPurpose.DEADLINE:
        deadline_fired(d, event)
        return
    if event.purpose is TimerPurpose.NOTIFY:
        notify_timer_fired(d, event)
        return
    if event.purpose is TimerPurpose.WAKE:
        _woke(d, event)
        return
    if event.purpose is TimerPurpose.RETRY:
        step = _current(d, event.step, event.attempt, StepStatus.RETRYING)
        if step is not None:
            dispatch(d, step)
        return
    step = _current(d, event.step, event.attempt, *ACTIVE)
    if step is None:
        return
    node = d.node(step.node_id).node
    if event.purpose is TimerPurpose.HEARTBEAT and node.heartbeat_timeout is not None:
        deadline = (step.heartbeat_at or step.started_at or d.now) + node.heartbeat_timeout
        if deadline > d.now:
            _timer(d, step, TimerPurpose.HEARTBEAT, deadline)
            return
        error = ErrorInfo(kind="heartbeat_timeout", message=f"no heartbeat for {node.heartbeat_timeout}",
                          retryable=True)  # fmt: skip
    else:
        error = ErrorInfo(kind="timeout", message=f"attempt {step.attempt} exceeded {node.timeout}", retryable=True)
    d.commands.append(CancelStep(run_id=d.base.run_id, step=step.key, attempt=step.attempt))
    on_failure(d, step, error)


def _run_paused(d: Draft, event: RunPaused) -> None:
    if d.status is not RunStatus.RUNNING:
        raise _invalid(d, event)
    d.status = RunStatus.PAUSED


def _run_resumed(d: Draft, event: RunResumed) -> None:
    if d.status is not RunStatus.PAUSED:
        raise _invalid(d, event)
    d.status = RunStatus.RUNNING
    for step in list(d.steps.values()):
        if step.held:
            if step.item_index is None:
                start_node(d, step.key)
            else:
                dispatch(d, step)
        elif step.items is not None and step.status is StepStatus.RUNNING:
            d.to_launch.add(step.key)


def _run_cancelled(d: Draft, event: RunCancelled) -> None:
    if d.status.terminal:
        raise _invalid(d, event)
    d.status = RunStatus.CANCELLED
    d.finished_at = d.now
    d.error = ErrorInfo(kind="cancelled", message=event.reason or "cancelled")
    cancel_active(d)
    d.commands.append(RunFinished(run_id=d.base.run_id, status=d.status))


def _retryable(d: Draft, event: StepRetryRequested) -> StepState:
    step = d.steps.get(event.step)
    allowed = d.status in {RunStatus.RUNNING, RunStatus.PAUSED, RunStatus.FAILED}
    if not allowed or step is None or step.status is not StepStatus.FAILED:
        raise _invalid(d, event)
    if step.items is not None or step.item_index is not None:  # map steps are retried as a whole run, not here
        raise _invalid(d, event)
    return step


def _reset(d: Draft, step: StepState) -> StepState:
    """Back to an untried step (keeping its attempt count): deliberately outside ALLOWED, which governs progress."""
    # A fresh try: a form opens again, revisions count from zero; an approval to start once given stands.
    fresh = replace(step, status=StepStatus.PENDING, failures=0, lost=0, held=False, output=None, error=None,
                    branches=None, next=None, started_at=None, heartbeat_at=None, finished_at=None, retry_at=None,
                    items=None, item_values=None, answer=None, feedback=None, revisions=0, wake_at=None)  # fmt: skip
    d.steps = d.steps.set(step.key, fresh)
    d.changed.add(step.key)
    # A cancelled step was never counted out of ``unfinished`` (a run's end cancels without counting).
    if step.item_index is None and step.status is not StepStatus.CANCELLED:
        d.unfinished += 1
    return fresh


def _step_retry_requested(d: Draft, event: StepRetryRequested) -> None:
    step = _retryable(d, event)
    reopened = d.status is RunStatus.FAILED
    if reopened:  # steps the failure cancelled run again too, once readiness allows
        d.status, d.error, d.finished_at, d.output = RunStatus.RUNNING, None, None, None
    below = downstream(d, step.node_id)
    for other in list(d.steps.values()):
        if other.key == step.key or other.node_id == step.node_id:
            continue
        cancelled = other.status is StepStatus.CANCELLED and (reopened or other.node_id in below)
        skipped = other.status is StepStatus.SKIPPED and other.node_id in below
        if cancelled or skipped:
            _reset(d, other)
            if other.item_index is None:
                d.to_check.append(other.node_id)
    _reset(d, step)
    start_node(d, step.node_id)  # through the start approval again, if the node asks for one


def _expression_timed_out(d: Draft, event: ExpressionTimedOut) -> None:
    d.refused = d.refused | {event.template}
    if event.fail_run:
        message = (f"templates kept running past the time budget of {event.seconds:g} s "
                   "(LOCKGATE_EXPRESSION_MAX_TIME) while the run advanced")  # fmt: skip
        fail_run(d, ErrorInfo(kind="expression_budget", message=message, field=event.field))


def _fold(d: Draft, event: Event) -> None:  # noqa: C901 - one case per event: mypy checks the match is exhaustive
    match event:
        case RunStarted():
            _run_started(d, event)
        case StepStarted():
            _step_started(d, event)
        case StepHeartbeat():
            _step_heartbeat(d, event)
        case StepSucceeded():
            _step_succeeded(d, event)
        case StepFailed():
            _step_failed(d, event)
        case StepLost():
            _step_lost(d, event)
        case TimerFired():
            _timer_fired(d, event)
        case RunPaused():
            _run_paused(d, event)
        case RunResumed():
            _run_resumed(d, event)
        case RunCancelled():
            _run_cancelled(d, event)
        case StepRetryRequested():
            _step_retry_requested(d, event)
        case HumanTaskAnswered():
            task_answered(d, event)
        case DeadlineNotificationAttempted():
            notification_attempted(d, event)
        case RunRolledBack():
            run_rolled_back(d, event)
        case RunMadeLatest():
            run_made_latest(d, event)
        case ExpressionTimedOut():
            _expression_timed_out(d, event)
        case _:
            assert_never(event)
