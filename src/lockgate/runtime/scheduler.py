"""The schedule loop: every ~second (or sooner, when a slot is due sooner) fire the due slots of every schedule.

Any number of processes may run it against one database: a slot fires where the INSERT into
``schedule_firings`` wins (its primary key is (schedule, fire time)); the run is created and started in that
same transaction (``RunStarter``), so a firing and its started run exist together or not at all.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from lockgate.errors import DefinitionError, DefinitionErrors, InvalidInputError, NotFoundError
from lockgate.runtime.hooks import Boot, Hook
from lockgate.runtime.starting import RunRequest
from lockgate.store import triggers as trigger_store
from lockgate.store.pipelines import get_pipeline
from lockgate.triggers.schedule import MissedPolicy, due_firings, next_fire_time, parse_timezone

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Connection

    from lockgate.runtime.clock import Clock
    from lockgate.runtime.starting import RunStarter, StartedRun
    from lockgate.runtime.storage import Storage

__all__ = ["Scheduler"]

log = logging.getLogger(__name__)
INTERVAL = timedelta(seconds=1)
_MIN_SLEEP = 0.01


class Scheduler(Hook):
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        starter: RunStarter,
        act: Callable[[StartedRun], None],
        interval: timedelta = INTERVAL,
    ) -> None:
        # ``starter`` starts a run inside the firing's transaction; ``act`` hands it to the runtime once committed.
        self._storage = storage
        self._clock = clock
        self._starter = starter
        self._act = act
        self.interval = interval

    async def on_start(self, boot: Boot) -> None:
        boot.spawn(self.run(), "lockgate-scheduler")

    async def run(self) -> None:
        while True:
            try:
                wake = await self.tick()
            except Exception as exc:  # noqa: BLE001 - the store may be away for a moment: try again next round
                log.warning("the scheduler round failed (%s); retrying", exc)
                wake = None
            await asyncio.sleep(self._delay(wake))

    def _delay(self, wake: datetime | None) -> float:
        delay = self.interval.total_seconds()
        if wake is not None:
            delay = min(delay, (wake - self._clock.now()).total_seconds())
        return max(delay, _MIN_SLEEP)

    async def tick(self) -> datetime | None:
        """Fire what is due now; return the next slot of any schedule (to wake for it)."""
        for started in await self._storage.call(self._fire_due):
            self._act(started)
        return await self._storage.call(self._next_wake)

    def _fire_due(self) -> list[StartedRun]:
        now = self._clock.now()
        with self._storage.db.read() as conn:
            items = trigger_store.enabled_schedules(conn)
        started: list[StartedRun] = []
        for schedule in items:
            try:
                tz = parse_timezone(schedule.timezone)
                due = due_firings(schedule.cron, tz, schedule.last_fire_at or schedule.created_at, now,
                                  MissedPolicy(schedule.missed))  # fmt: skip
            except ValueError as exc:
                log.warning("schedule %s cannot be evaluated: %s", schedule.id, exc)
                continue
            if due.last is None:
                continue
            try:
                with self._storage.db.write() as conn:
                    fired = self._fire(conn, schedule, due.fire, now)
                    trigger_store.mark_considered(conn, schedule.id, due.last)
            except (NotFoundError, DefinitionError) as exc:  # one broken schedule does not stop the others
                log.warning("schedule %s of %s cannot fire: %s", schedule.id, schedule.pipeline, exc.detail)
                continue
            for run in fired:
                self._starter.committed(run)
            started.extend(fired)
        return started

    def _fire(
        self, conn: Connection, schedule: trigger_store.ScheduleRecord, slots: tuple[datetime, ...], now: datetime
    ) -> list[StartedRun]:
        if not slots:
            return []
        version = trigger_store.latest_version(conn, get_pipeline(conn, schedule.pipeline_id))
        request = RunRequest(version.pipeline, version.number, schedule.input)
        started: list[StartedRun] = []
        refused = False
        for fire_at in slots:
            if not trigger_store.claim_firing(conn, schedule, fire_at, now):
                continue  # another process fired this slot
            if refused:  # recorded as fired, without a run
                continue
            try:  # refused before anything of the run is written: the firing stays
                run = self._starter.start(conn, version, request, now)
            except (InvalidInputError, DefinitionErrors) as exc:
                log.warning("schedule %s: its input no longer fits %s (%s); firing skipped", schedule.id,
                            schedule.pipeline, exc.detail)  # fmt: skip
                refused = True
                continue
            trigger_store.link_firing(conn, schedule.id, fire_at, run.head.id)
            started.append(run)
        return started

    def _next_wake(self) -> datetime | None:
        now = self._clock.now()
        with self._storage.db.read() as conn:
            items = trigger_store.enabled_schedules(conn)
        wakes = []
        for schedule in items:
            try:
                wakes.append(next_fire_time(schedule.cron, parse_timezone(schedule.timezone), now))
            except ValueError:
                continue
        return min(wakes, default=None)
