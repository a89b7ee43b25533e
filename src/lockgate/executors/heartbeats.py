"""Keep-alive: while a handler runs, heartbeats at a third of the node's ``heartbeat_timeout``.

Two may be late or lost before the engine calls the attempt dead, whatever the timeout (a few seconds or hours).
Without a ``heartbeat_timeout`` nothing watches them, so none are sent.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import timedelta

    from lockgate.executors.context import AttemptContext

__all__ = ["heartbeat_every", "keep_alive"]

_FLOOR = 0.25  # seconds: a timeout of a few milliseconds must not turn into a stream of events


def heartbeat_every(heartbeat_timeout: timedelta) -> float:
    """Seconds between two heartbeats."""
    return max(heartbeat_timeout.total_seconds() / 3, _FLOOR)


async def keep_alive(ctx: AttemptContext) -> None:
    timeout = ctx.heartbeat_timeout
    if timeout is None:
        return
    every = heartbeat_every(timeout)
    while True:
        await asyncio.sleep(every)
        if not ctx.own_heartbeats:
            await ctx.heartbeat()
