"""Live, never stored: agents' tokens as they stream, and wake-ups when a run's events commit.

A ``LiveChannel`` tells whoever watches (SSE and WebSocket feeds). ``LiveBus`` does so within this process:
the default, one machine and no Redis. ``RedisLive`` (``runtime/live_redis.py``) also carries both to every
other process over Redis pub/sub when a broker is configured. The events table stays the record: a wake-up
only says "read it now", and a watcher that may have missed some (the channel lost or regained Redis) is
told ``Wake(None)``: read everything, and poll while ``crosses_processes`` is False.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["LiveBus", "LiveChannel", "LiveDelta", "Wake"]


@dataclass(frozen=True, slots=True)
class LiveDelta:
    """Text an agent produced since the previous delta of the same attempt (``seq`` orders them)."""

    run_id: str
    step: str
    attempt: int
    member: str
    seq: int
    text: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Wake:
    """``run_id``'s events up to its ``seq`` are committed; ``run_id`` None: any run may have new events."""

    run_id: str | None
    seq: int = 0


class LiveChannel(Protocol):
    """Deltas and wake-ups out (after the commit, never before) and in; callbacks run in the event loop."""

    @property
    def crosses_processes(self) -> bool:
        """Other processes' wake-ups arrive now; False: only this process's (the rest is found by polling)."""
        ...

    def publish(self, delta: LiveDelta) -> None:
        """Best effort: a delta lost on the way is a gap in the tokens (the answer is in the events)."""
        ...

    def subscribe(self, subscriber: Callable[[LiveDelta], None]) -> Callable[[], None]: ...

    def committed(self, run_id: str, seq: int) -> None:
        """``run_id``'s events up to ``seq`` are committed (called after the commit)."""
        ...

    def watch(self, watcher: Callable[[Wake], None]) -> Callable[[], None]: ...

    async def stop(self) -> None: ...


class LiveBus:
    """Implements ``LiveChannel`` in this process: a callback must not block."""

    def __init__(self) -> None:
        self._subscribers: list[Callable[[LiveDelta], None]] = []
        self._watchers: list[Callable[[Wake], None]] = []

    @property
    def crosses_processes(self) -> bool:
        return False

    def subscribe(self, subscriber: Callable[[LiveDelta], None]) -> Callable[[], None]:
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def publish(self, delta: LiveDelta) -> None:
        for subscriber in list(self._subscribers):
            subscriber(delta)

    def watch(self, watcher: Callable[[Wake], None]) -> Callable[[], None]:
        self._watchers.append(watcher)
        return lambda: self._watchers.remove(watcher)

    def committed(self, run_id: str, seq: int) -> None:
        self.wake(Wake(run_id, seq))

    def wake(self, wake: Wake) -> None:
        for watcher in list(self._watchers):
            watcher(wake)

    async def stop(self) -> None:
        pass  # nothing runs in the background; feeds still open unsubscribe themselves
