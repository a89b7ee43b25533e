"""Steps of a kind that starts a child run (``subpipeline``): the step runs while its child run does.

No worker runs such a step: at dispatch the step is RUNNING at once (no attempt row, so no lease to lose) and a
``StartChildRun`` command asks the runtime to start the child; the child's end comes back as the step's
``StepSucceeded`` or ``StepFailed`` for that attempt, which the engine takes once (a later copy is stale).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockgate.engine.commands import StartChildRun, StartTimer
from lockgate.engine.dispatching import render_step
from lockgate.engine.events import StepFailed, StepSucceeded, TimerPurpose
from lockgate.engine.state import ErrorInfo, RunStatus, StepState, StepStatus

if TYPE_CHECKING:
    from pydantic import JsonValue

    from lockgate.engine.draft import Draft

__all__ = ["child_ended", "child_version", "start_child"]


def child_version(value: JsonValue) -> int | ErrorInfo | None:
    """The rendered ``version``: a number, or None for ``latest``."""
    if value is None or value == "latest":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    return ErrorInfo(kind="invalid_config", message=f"config.version: {value!r} is neither 'latest' nor a number "
                     "from 1", field="config.version")  # fmt: skip


def start_child(d: Draft, step: StepState) -> ErrorInfo | None:
    """Mark the next attempt running and ask for its child run; the error when its config cannot be used.

    Raises ExpressionError when a template of the config fails (the caller fails the step with it).
    """
    attempt = step.attempt + 1
    config = render_step(d.plan, d.base, d.steps, d.input, step).config
    version = child_version(config.get("version"))
    input_ = config.get("input")
    if isinstance(version, ErrorInfo) or not isinstance(input_, dict):
        d.update(step, attempt=attempt, first_queued_at=step.first_queued_at or d.now, queued_at=d.now)
        if isinstance(version, ErrorInfo):
            return version
        return ErrorInfo(kind="invalid_config", message="config.input must be an object", field="config.input")
    step = d.update(step, status=StepStatus.RUNNING, attempt=attempt, held=False, error=None, queued_at=d.now,
                    first_queued_at=step.first_queued_at or d.now, started_at=d.now, heartbeat_at=None,
                    retry_at=None)  # fmt: skip
    d.commands.append(StartChildRun(run_id=d.base.run_id, step=step.key, node_id=step.node_id, attempt=attempt,
                                    pipeline=str(config.get("pipeline")), version=version, input=input_,
                                    at=d.now))  # fmt: skip
    timeout = d.node(step.node_id).node.timeout
    if timeout is not None:  # the child run as a whole is bounded by the step's timeout
        d.commands.append(StartTimer(run_id=d.base.run_id, step=step.key, attempt=attempt,
                                     purpose=TimerPurpose.TIMEOUT, fire_at=d.now + timeout))  # fmt: skip
    return None


def child_ended(
    step: str, attempt: int, child: str, status: RunStatus, output: JsonValue, error: ErrorInfo | None
) -> StepSucceeded | StepFailed:
    """What a finished child run (``child``: ``pipeline vN``) means for the step that started it."""
    match status:
        case RunStatus.SUCCEEDED:
            return StepSucceeded(step=step, attempt=attempt, output=output)
        case RunStatus.CANCELLED:
            reason = error.message if error is not None else "cancelled"
            info = ErrorInfo(kind="child_run_cancelled", message=f"child run {child} was cancelled: {reason}")
        case _:
            why = f"{error.kind}: {error.message}" if error is not None else status.value
            info = ErrorInfo(kind="child_run_failed", message=f"child run {child} failed ({why})")
    return StepFailed(step=step, attempt=attempt, error=info)
