"""How steps move: dispatch, success, failure and retry, map items, skips, and the run's end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockgate.compile.problems import declared_branches
from lockgate.engine.backoff import retry_delay
from lockgate.engine.children import start_child
from lockgate.engine.commands import CancelStep, RecordReuse, RunFinished, StartTimer, TaskOutcome
from lockgate.engine.dispatching import build_dispatch, step_context
from lockgate.engine.events import TimerPurpose
from lockgate.engine.readiness import Readiness, readiness
from lockgate.engine.state import (
    ACTIVE,
    ErrorInfo,
    MapProgress,
    RunStatus,
    StepState,
    StepStatus,
    TaskPurpose,
    item_key,
)
from lockgate.engine.tasks import close_task, needs_start_approval, open_task
from lockgate.engine.waits import start_wait
from lockgate.expressions import ExpressionError, render_deep
from lockgate.spec.policies import OnError

if TYPE_CHECKING:
    from pydantic import JsonValue

    from lockgate.engine.draft import Draft

__all__ = [
    "cancel_active",
    "dispatch",
    "drain",
    "fail_final",
    "fail_run",
    "on_failure",
    "on_success",
    "open_or_fail",
    "route_problem",
    "start_node",
]


def _expression_error(exc: ExpressionError) -> ErrorInfo:
    """A template that failed, or ran out of a budget (``expression_budget``: its message names which)."""
    kind = "expression_budget" if exc.budget is not None else "expression_error"
    return ErrorInfo(kind=kind, message=exc.message, field=exc.field)


def open_or_fail(d: Draft, step: StepState, purpose: TaskPurpose) -> None:
    """Open a human task for the step, or fail it when what the task shows cannot be rendered."""
    try:
        open_task(d, step, purpose)
    except ExpressionError as exc:
        fail_final(d, step, _expression_error(exc))


def dispatch(d: Draft, step: StepState) -> None:
    """Queue the next attempt of a step; held instead while the run is paused.

    The step of a kind that waits for a person opens its form until it has the submitted values: nothing runs
    until a person answers. A kind that waits on a timer sleeps on the engine's timer instead of running.
    """
    if not d.running:
        d.update(step, status=StepStatus.PENDING, held=True)
        return
    node = d.node(step.node_id).node
    if node.needs.waits_for_person and step.answer is None:
        open_or_fail(d, step, TaskPurpose.FORM)
        return
    wait = node.timer()
    if wait is not None:  # no attempt runs anywhere: the engine's timer wakes the step
        try:
            problem = start_wait(d, step, wait)
        except ExpressionError as exc:
            step, problem = d.update(step, attempt=step.attempt + 1), _expression_error(exc)
        if problem is not None:
            fail_final(d, d.steps[step.key], problem)
        return
    if node.needs.starts_child_run:  # the runtime starts the child run: no worker runs the step
        _start_child(d, step)
        return
    try:
        command = build_dispatch(d.plan, d.base, d.steps, d.input, step, step.attempt + 1, d.now)
    except ExpressionError as exc:
        fail_final(d, d.update(step, attempt=step.attempt + 1), _expression_error(exc))
        return
    d.update(
        step,
        status=StepStatus.QUEUED,
        attempt=command.attempt,
        held=False,
        error=None,
        queued_at=d.now,
        first_queued_at=step.first_queued_at or d.now,
        started_at=None,
        heartbeat_at=None,
        retry_at=None,
    )
    d.commands.append(command)


def _start_child(d: Draft, step: StepState) -> None:
    try:
        problem = start_child(d, step)
    except ExpressionError as exc:
        step, problem = d.update(step, attempt=step.attempt + 1), _expression_error(exc)
    if problem is not None:
        fail_final(d, d.steps[step.key], problem)


def route_problem(d: Draft, step: StepState, next_: list[str] | None, branches: list[str] | None) -> ErrorInfo | None:
    """Why a result's routing cannot be taken (a permanent error: retrying would route the same way), or None."""
    plan_node = d.node(step.node_id)
    if next_ is not None:
        allowed = list(plan_node.successors)
        unknown = sorted(set(next_) - set(allowed))
        if unknown:
            named = ", ".join(repr(name) for name in unknown)
            choices = ", ".join(repr(name) for name in allowed) if allowed else "none: it has no successors"
            message = (
                f"step {step.key!r} chose next {named}, which is not a successor of {step.node_id!r}; "
                f"its successors are {choices}"
            )
            return ErrorInfo(kind="invalid_next", message=message, field="next")
    if branches is not None:
        unknown = sorted(set(branches) - declared_branches(plan_node.node))
        if unknown:
            return ErrorInfo(kind="invalid_route", message=f"branches {unknown} are not declared by {step.node_id!r}")
    return None


def _chosen(d: Draft, node_id: str, next_: list[str]) -> tuple[str, ...]:
    """The named successors once each, in the node's declared order (what the API and UI show)."""
    named = set(next_)
    return tuple(s for s in d.node(node_id).successors if s in named)


def on_success(
    d: Draft, step: StepState, output: JsonValue, next_: list[str] | None, branches: list[str] | None
) -> None:
    problem = route_problem(d, step, next_, branches)
    if problem is not None:
        fail_final(d, step, problem)
        return
    step = d.update(
        step,
        status=StepStatus.SUCCEEDED,
        output=output,
        next=_chosen(d, step.node_id, next_) if next_ is not None else None,
        branches=tuple(branches) if branches is not None else None,
        finished_at=d.now,
        held=False,
    )
    _finished(d, step)


def on_failure(d: Draft, step: StepState, error: ErrorInfo) -> None:
    policy = d.node(step.node_id).node.retry
    failures = step.failures + 1
    retry = (
        error.retryable and failures < policy.max_attempts and (not policy.retry_on or error.kind in policy.retry_on)
    )
    if retry and d.live:
        delay = retry_delay(policy, failures, f"{d.base.run_id}/{step.key}/{step.attempt}", error.retry_after)
        fire_at = d.now + delay
        d.update(step, status=StepStatus.RETRYING, failures=failures, error=error, retry_at=fire_at)
        d.commands.append(StartTimer(run_id=d.base.run_id, step=step.key, attempt=step.attempt,
                                     purpose=TimerPurpose.RETRY, fire_at=fire_at))  # fmt: skip
        return
    fail_final(d, d.update(step, failures=failures), error)


def fail_final(d: Draft, step: StepState, error: ErrorInfo) -> None:
    step = d.update(step, status=StepStatus.FAILED, error=error, finished_at=d.now, held=False)
    _finished(d, step)


def _finished(d: Draft, step: StepState) -> None:
    if step.item_index is None:
        _node_finished(d, step)
    else:
        _item_finished(d, step)


def _node_finished(d: Draft, step: StepState) -> None:
    d.unfinished -= 1
    if step.status is StepStatus.FAILED and d.node(step.node_id).node.on_error is OnError.FAIL:
        error = step.error or ErrorInfo(kind="failed", message="failed")
        fail_run(d, error.model_copy(update={"message": f"step {step.key!r} failed: {error.message}"}))
        return
    d.to_check.extend(d.node(step.node_id).successors)


def _item_finished(d: Draft, item: StepState) -> None:
    parent = d.steps[item.node_id]
    if parent.terminal or parent.items is None:
        return
    failed = item.status is StepStatus.FAILED
    progress = MapProgress(parent.items.total, parent.items.launched, parent.items.done + 1,
                           parent.items.failed + failed)  # fmt: skip
    parent = d.update(parent, items=progress)
    if failed and d.node(item.node_id).node.on_error is OnError.FAIL:
        for index in range(progress.launched):
            _cancel_step(d, d.steps[item_key(item.node_id, index)])
        error = item.error or ErrorInfo(kind="failed", message="failed")
        message = f"item {item.item_index} failed: {error.message}"
        parent = d.update(parent, status=StepStatus.FAILED, error=error.model_copy(update={"message": message}),
                          finished_at=d.now)  # fmt: skip
        _node_finished(d, parent)
    elif progress.done == progress.total:
        _complete_map(d, parent)
    else:
        d.to_launch.add(parent.key)


def _complete_map(d: Draft, parent: StepState) -> None:
    total = parent.items.total if parent.items else 0
    items = [d.steps[item_key(parent.key, i)] for i in range(total)]
    outputs: list[JsonValue] = [s.output if s.status is StepStatus.SUCCEEDED else None for s in items]
    failed = [s.item_index for s in items if s.status is StepStatus.FAILED]
    error = None
    if failed:
        error = ErrorInfo(kind="items_failed", message=f"{len(failed)} of {total} items failed: {failed[:20]}")
    status = StepStatus.FAILED if failed else StepStatus.SUCCEEDED
    parent = d.update(
        parent, status=status, output=outputs, error=error, finished_at=d.now, next=_map_next(d, parent.node_id, items)
    )
    _node_finished(d, parent)


def _map_next(d: Draft, node_id: str, items: list[StepState]) -> tuple[str, ...] | None:
    """A mapped node routes to what any item chose; an item that chose nothing takes every successor."""
    done = [s for s in items if s.status is StepStatus.SUCCEEDED]
    if not done or any(s.next is None for s in done):
        return None
    return _chosen(d, node_id, [name for s in done for name in s.next or ()])


def _reuse(d: Draft, step: StepState) -> None:
    """Take the step over from the run this one extends: no attempt runs, no person reviews it again."""
    reused = d.base.reuse[step.node_id]
    step = d.update(step, attempt=step.attempt + 1, first_queued_at=d.now, queued_at=d.now, started_at=d.now)
    source = d.base.extends.run_id if d.base.extends is not None else ""
    d.commands.append(RecordReuse(run_id=d.base.run_id, step=step.key, attempt=step.attempt, source_run=source,
                                  output=reused.output, artifacts=reused.artifacts))  # fmt: skip
    on_success(d, step, reused.output, reused.next, reused.branches)


def start_node(d: Draft, node_id: str) -> None:
    node = d.node(node_id).node
    step = d.steps.get(node_id) or d.put(d.new_step(node_id, node_id))
    if node_id in d.base.reuse:
        _reuse(d, step)
        return
    if d.running and needs_start_approval(node, step):
        open_or_fail(d, step, TaskPurpose.APPROVE_START)
        return
    if node.for_each is None or not d.running:
        dispatch(d, step)
        return
    try:
        values = render_deep(node.for_each, step_context(d.base, d.steps, d.input, None), "for_each", d.plan.templates)
    except ExpressionError as exc:
        fail_final(d, step, _expression_error(exc))
        return
    if not isinstance(values, list):
        message = f"for_each gave {type(values).__name__}, not a list"
        fail_final(d, step, ErrorInfo(kind="invalid_for_each", message=message, field="for_each"))
        return
    step = d.update(step, status=StepStatus.RUNNING, attempt=1, held=False, items=MapProgress(len(values)),
                    item_values=tuple(values), first_queued_at=d.now, queued_at=d.now, started_at=d.now)  # fmt: skip
    if values:
        d.to_launch.add(node_id)
    else:
        _complete_map(d, step)


def _launch_items(d: Draft, node_id: str) -> None:
    limit = d.node(node_id).node.max_parallel
    while d.running:
        parent = d.steps[node_id]
        progress = parent.items
        if parent.terminal or progress is None or progress.launched >= progress.total:
            return
        if limit is not None and progress.active >= limit:
            return
        index = progress.launched
        d.update(parent, items=MapProgress(progress.total, index + 1, progress.done, progress.failed))
        dispatch(d, d.put(d.new_step(item_key(node_id, index), node_id, index)))


def _check_node(d: Draft, node_id: str) -> None:
    existing = d.steps.get(node_id)
    # A pending step that is not held was reset by a retry and waits for readiness like an untried node.
    if not d.live or (existing is not None and (existing.status is not StepStatus.PENDING or existing.held)):
        return
    try:
        verdict = readiness(d.plan, d.steps, node_id, step_context(d.base, d.steps, d.input, None))
    except ExpressionError as exc:
        fail_final(d, d.put(d.new_step(node_id, node_id)), _expression_error(exc))
        return
    if verdict is Readiness.READY:
        start_node(d, node_id)
    elif verdict is Readiness.SKIP:
        d.put(d.new_step(node_id, node_id, status=StepStatus.SKIPPED, finished_at=d.now))
        d.unfinished -= 1
        d.to_check.extend(d.node(node_id).successors)


def drain(d: Draft) -> None:
    """Work through readiness checks and map launches until nothing more follows from this event."""
    while d.to_check or d.to_launch:
        if d.to_check:
            _check_node(d, d.to_check.popleft())
        else:
            _launch_items(d, d.to_launch.pop())
    _maybe_complete(d)


def _run_output(d: Draft) -> JsonValue:
    spec_output = d.plan.spec.output
    if spec_output is not None:
        return render_deep(spec_output, step_context(d.base, d.steps, d.input, None), "output", d.plan.templates)
    sinks = {n: d.steps[n] for n in d.plan.sinks if n in d.steps}
    return {n: s.output for n, s in sinks.items() if s.status is StepStatus.SUCCEEDED}


def _maybe_complete(d: Draft) -> None:
    if not d.live or d.status is RunStatus.PENDING or d.unfinished > 0:
        return
    try:
        d.output = _run_output(d)
    except ExpressionError as exc:
        fail_run(d, _expression_error(exc))
        return
    d.status = RunStatus.SUCCEEDED
    d.finished_at = d.now
    d.commands.append(RunFinished(run_id=d.base.run_id, status=d.status))


def _cancel_step(d: Draft, step: StepState) -> None:
    if step.terminal:
        return
    if step.status in ACTIVE and step.items is None:
        d.commands.append(CancelStep(run_id=d.base.run_id, step=step.key, attempt=step.attempt))
    if step.status is StepStatus.WAITING:
        step = close_task(d, step, TaskOutcome.CANCELLED)
    d.update(step, status=StepStatus.CANCELLED, finished_at=d.now, held=False, wake_at=None)


def cancel_active(d: Draft) -> None:
    for step in list(d.steps.values()):
        _cancel_step(d, step)


def fail_run(d: Draft, error: ErrorInfo) -> None:
    if not d.live:
        return
    d.status = RunStatus.FAILED
    d.error = error
    d.finished_at = d.now
    cancel_active(d)
    d.commands.append(RunFinished(run_id=d.base.run_id, status=d.status))
