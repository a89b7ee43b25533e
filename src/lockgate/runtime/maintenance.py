"""Recovery, at start and periodically: heartbeats, lost attempts, due timers, runs never started."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from lockgate.engine import RunStarted, StepLost, TimerPurpose
from lockgate.runtime.hooks import Boot, Hook
from lockgate.store import deliveries as delivery_store
from lockgate.store import workers as worker_store
from lockgate.store.tables import runs

if TYPE_CHECKING:
    from collections.abc import Callable

    from lockgate.artifacts.layout import ArtifactLayout
    from lockgate.executors.base import Report
    from lockgate.runtime.clock import Clock
    from lockgate.runtime.storage import Storage
    from lockgate.runtime.timers import TimerQueue
    from lockgate.settings import Settings

__all__ = ["Maintenance"]

log = logging.getLogger(__name__)


@dataclass
class _Found:
    lost: list[Any]
    timers: list[Any]
    pending: list[Any]


class Maintenance(Hook):
    def __init__(
        self,
        storage: Storage,
        layout: ArtifactLayout,
        clock: Clock,
        settings: Settings,
        report: Report,
        timers: TimerQueue,
        restart: Callable[[str], RunStarted],
        scope: set[str] | None = None,
    ) -> None:
        # ``restart`` gives the RunStarted of a run whose creator died (sync: on the database thread);
        # ``scope`` limits recovery to these runs (None: every run).
        self._storage = storage
        self._layout = layout
        self._clock = clock
        self._settings = settings
        self._report = report
        self._timers = timers
        self._restart = restart
        self._scope = scope
        self._worker = ""
        self._reported_lost: set[tuple[str, str, int]] = set()

    async def on_start(self, boot: Boot) -> None:
        self._worker = boot.worker
        boot.spawn(self.run(), "lockgate-maintenance")

    async def run(self) -> None:
        interval = self._settings.maintenance_interval.total_seconds()
        while True:
            try:
                await self.once()
            except Exception:  # recovery must keep going: the next round may succeed
                log.exception("maintenance round failed")
            await asyncio.sleep(interval)

    async def once(self) -> None:
        found = await self._storage.call(self._scan)
        scope = self._scope
        for row in found.lost:
            key = (row.run_id, row.step_key, row.number)
            if key in self._reported_lost or (scope is not None and row.run_id not in scope):
                continue
            self._reported_lost.add(key)
            # What the dead worker left in .temp/ is kept for diagnosis, beside other failed attempts.
            workspace = self._layout.workspace(row.pipeline, row.run_number, row.step_key, row.number)
            await asyncio.to_thread(self._layout.keep_failed, workspace, row.pipeline)
            self._report(row.run_id, StepLost(step=row.step_key, attempt=row.number))
        for row in found.timers:
            if scope is None or row.run_id in scope:
                self._timers.schedule(row.run_id, row.step_key, row.attempt, TimerPurpose(row.purpose), row.fire_at)
        for row in found.pending:
            if scope is None or row.id in scope:
                self._report(row.id, await self._storage.call(self._restart, row.id))

    def _scan(self) -> _Found:
        now, settings, db = self._clock.now(), self._settings, self._storage.db
        ttl = settings.lease_ttl
        with db.write() as conn:
            worker_store.heartbeat(conn, self._worker, now)
            # A delivery is refused as too old once its window closed; kept one window more for servers whose
            # clocks disagree by less than that.
            delivery_store.prune(conn, now - 2 * settings.webhook_tolerance)
        with db.read() as conn:
            lost = worker_store.lost_attempts(conn, self._worker, now, ttl)
            due = worker_store.due_timers(conn, now + settings.maintenance_interval + timedelta(seconds=1))
            # A run whose creator died before starting it; a few seconds' grace lets the creator finish.
            pending = list(
                conn.execute(
                    select(runs.c.id, runs.c.input).where(
                        runs.c.status == "pending", runs.c.created_at < now - timedelta(seconds=2)
                    )
                )
            )
        return _Found(lost, due, pending)
