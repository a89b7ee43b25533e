"""Recovery, at start and periodically: heartbeats, lost attempts, due timers, runs never started."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from lockgate.engine import RunStarted, StepLost, TimerPurpose
from lockgate.store import deliveries as delivery_store
from lockgate.store import workers as worker_store
from lockgate.store.tables import runs

if TYPE_CHECKING:
    from lockgate.runtime.runtime import Runtime

__all__ = ["Maintenance"]

log = logging.getLogger(__name__)


@dataclass
class _Found:
    lost: list[Any]
    timers: list[Any]
    pending: list[Any]


class Maintenance:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self._reported_lost: set[tuple[str, str, int]] = set()

    async def run(self) -> None:
        interval = self.rt.settings.maintenance_interval.total_seconds()
        while True:
            try:
                await self.once()
            except Exception:  # recovery must keep going: the next round may succeed
                log.exception("maintenance round failed")
            await asyncio.sleep(interval)

    async def once(self) -> None:
        found = await self.rt.db_call(self._scan)
        scope = self.rt.scope
        for row in found.lost:
            key = (row.run_id, row.step_key, row.number)
            if key in self._reported_lost or (scope is not None and row.run_id not in scope):
                continue
            self._reported_lost.add(key)
            # What the dead worker left in .temp/ is kept for diagnosis, beside other failed attempts.
            workspace = self.rt.layout.workspace(row.pipeline, row.run_number, row.step_key, row.number)
            await asyncio.to_thread(self.rt.layout.keep_failed, workspace, row.pipeline)
            self.rt.report(row.run_id, StepLost(step=row.step_key, attempt=row.number))
        for row in found.timers:
            if scope is None or row.run_id in scope:
                self.rt.timers.schedule(row.run_id, row.step_key, row.attempt, TimerPurpose(row.purpose), row.fire_at)
        for row in found.pending:
            if scope is None or row.id in scope:
                self.rt.report(row.id, await self.rt.db_call(self._started, row.id))

    def _started(self, run_id: str) -> RunStarted:
        with self.rt.db.write() as conn:
            return self.rt.start_event(conn, run_id)

    def _scan(self) -> _Found:
        now = self.rt.clock.now()
        ttl = self.rt.settings.lease_ttl
        with self.rt.db.write() as conn:
            worker_store.heartbeat(conn, self.rt.worker, now)
            # A delivery is refused as too old once its window closed; kept one window more for servers whose
            # clocks disagree by less than that.
            delivery_store.prune(conn, now - 2 * self.rt.settings.webhook_tolerance)
        with self.rt.db.read() as conn:
            lost = worker_store.lost_attempts(conn, self.rt.worker, now, ttl)
            due = worker_store.due_timers(conn, now + self.rt.settings.maintenance_interval + timedelta(seconds=1))
            # A run whose creator died before starting it; a few seconds' grace lets the creator finish.
            pending = list(
                conn.execute(
                    select(runs.c.id, runs.c.input).where(
                        runs.c.status == "pending", runs.c.created_at < now - timedelta(seconds=2)
                    )
                )
            )
        return _Found(lost, due, pending)
