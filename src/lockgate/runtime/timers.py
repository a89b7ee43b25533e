"""Timers in memory, fired on time; persisted rows (written with each transition) survive crashes."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
from typing import TYPE_CHECKING

from lockgate.engine.events import TimerFired, TimerPurpose

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from lockgate.runtime.clock import Clock

__all__ = ["TimerQueue"]

TimerKey = tuple[str, str, int, str]


class TimerQueue:
    def __init__(self, clock: Clock, fire: Callable[[str, TimerFired], None]) -> None:
        self._clock = clock
        self._fire = fire
        self._heap: list[tuple[datetime, TimerKey]] = []
        # (when, what): the same timer set again for another time fires at both; the engine ignores the stale one
        self._known: set[tuple[datetime, TimerKey]] = set()
        self._wake = asyncio.Event()

    def schedule(self, run_id: str, step: str, attempt: int, purpose: TimerPurpose, fire_at: datetime) -> None:
        key = (run_id, step, attempt, purpose.value)
        if (fire_at, key) in self._known:
            return
        self._known.add((fire_at, key))
        heapq.heappush(self._heap, (fire_at, key))
        self._wake.set()

    def __len__(self) -> int:
        return len(self._heap)

    async def run(self) -> None:
        while True:
            self._wake.clear()
            now = self._clock.now()
            while self._heap and self._heap[0][0] <= now:
                when, key = heapq.heappop(self._heap)
                self._known.discard((when, key))
                run_id, step, attempt, purpose = key
                self._fire(run_id, TimerFired(step=step, attempt=attempt, purpose=TimerPurpose(purpose)))
            delay = (self._heap[0][0] - now).total_seconds() if self._heap else 3600.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(0.001, min(delay, 3600.0)))
