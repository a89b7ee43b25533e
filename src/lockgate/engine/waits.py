"""Steps of a kind that waits on a timer (``wait``) sleep on the engine's own timers: no worker slot, thread or process.

The step is WAITING (with ``wake_at``, and no human task) from its dispatch until a ``wake`` timer fires;
the timer row is written with the transition, so the wait survives restarts, for seconds or for days.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lockgate.engine.commands import StartTimer
from lockgate.engine.dispatching import render_step
from lockgate.engine.events import TimerPurpose
from lockgate.engine.state import ErrorInfo, StepState, StepStatus

if TYPE_CHECKING:
    from pydantic import JsonValue

    from lockgate.engine.draft import Draft
    from lockgate.spec.kinds import TimerConfig

__all__ = ["start_wait", "woke_output"]


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)  # naive means UTC


def _wake_at(d: Draft, step: StepState, config: TimerConfig, first_queued_at: datetime) -> datetime | ErrorInfo:
    if config.duration is not None:
        # From the first dispatch, not this attempt: a retried or rolled-forward wait does not start over.
        return first_queued_at + config.duration
    text = str(render_step(d.plan, d.base, d.steps, d.input, step).config.get("until"))
    try:
        return _aware(datetime.fromisoformat(text.strip()))
    except ValueError:
        return ErrorInfo(kind="invalid_config", message=f"config.until: {text!r} is not an ISO-8601 datetime",
                         field="config.until")  # fmt: skip


def start_wait(d: Draft, step: StepState, config: TimerConfig) -> ErrorInfo | None:
    """Put the step to sleep until its instant; the error when that instant is not one (raises ExpressionError)."""
    first = step.first_queued_at or d.now
    wake_at = _wake_at(d, step, config, first)
    attempt = step.attempt + 1
    if isinstance(wake_at, ErrorInfo):
        d.update(step, attempt=attempt, first_queued_at=first, queued_at=d.now, started_at=d.now)
        return wake_at
    d.update(step, status=StepStatus.WAITING, attempt=attempt, held=False, error=None, queued_at=d.now,
             first_queued_at=first, started_at=d.now, heartbeat_at=None, retry_at=None, wake_at=wake_at)  # fmt: skip
    d.commands.append(StartTimer(run_id=d.base.run_id, step=step.key, attempt=attempt, purpose=TimerPurpose.WAKE,
                                 fire_at=wake_at))  # fmt: skip
    return None


def woke_output(wake_at: datetime) -> JsonValue:
    return {"waited_until": wake_at.astimezone(UTC).isoformat()}
