"""The ``wait`` kind: sleeps until an instant, counted from the step's first dispatch or given outright.

Runs never dispatch it: the engine turns a wait step into a timer (engine/waits.py), so that a waiting step holds
no worker slot and no process. This handler stays for whoever invokes the kind's handler directly.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lockgate.errors import PermanentStepError
from lockgate.handlers.context import HandlerContext, StepResult

if TYPE_CHECKING:
    from pydantic import JsonValue

    from lockgate.spec.nodes import WaitConfig

__all__ = ["run"]

# Long waits wake up this often to heartbeat, so the runtime does not think the step was lost.
_HEARTBEAT_EVERY = 30.0


def _deadline(ctx: HandlerContext, config: WaitConfig) -> datetime:
    if config.duration is not None:
        # From the first dispatch, not this attempt: a retried or recovered wait does not start over.
        return _aware(ctx.first_queued_at) + config.duration
    text = str(config.until)
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        raise PermanentStepError("invalid_config", f"config.until: {text!r} is not an ISO-8601 datetime") from None
    return _aware(instant)


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)  # naive means UTC


async def run(ctx: HandlerContext, config: WaitConfig, inputs: dict[str, JsonValue]) -> StepResult:  # noqa: ARG001 - the handler signature is fixed
    deadline = _deadline(ctx, config)
    ctx.logger.info("waiting until %s", deadline.isoformat())
    while (remaining := (deadline - datetime.now(UTC)).total_seconds()) > 0:
        await asyncio.sleep(min(remaining, _HEARTBEAT_EVERY))
        if (deadline - datetime.now(UTC)).total_seconds() > 0:
            await ctx.heartbeat({"waiting_until": deadline.isoformat()})
    return StepResult(output={"waited_until": deadline.astimezone(UTC).isoformat()})
