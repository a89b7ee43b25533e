"""Live events for SSE and WebSocket clients: stored history after a cursor, then new rows as they commit.

The table is the only source: a wake-up (``runtime.live``: a commit in this process, or in any process when
live updates cross processes over Redis) merely makes the feed read it. Otherwise it reads every ``POLL``
seconds, which is how it finds other processes' commits without Redis (or while Redis is away), or every
``LOCKGATE_LIVE_POLL_INTERVAL`` as a safety net while wake-ups arrive over Redis. One read per wake-up.

Agents' tokens are live only (``runtime.live``): a feed passes on the deltas published while it is connected
(in this process, or in any with Redis), as ``agent_delta`` frames without an id (they are never stored, so a
reconnect does not get them again, and they do not move the cursor).

Ordering and resumption (the resume token is ``events.id``):

* One run: its events are written under the run lock (``FOR UPDATE`` / ``BEGIN IMMEDIATE``), so the
  transaction with seq N+1 takes its ids only after seq N committed. Within a run, id order is commit order
  and seq order, and a plain ``id > cursor`` read can neither skip nor repeat.
* All runs: on PostgreSQL ids are drawn at insert time, so a transaction of another run (another process)
  may commit *after* a higher id was already read. The global feed therefore hands out rows strictly in id
  order and stops at the first hole (``releasable``): ``last + 1`` is not visible yet. A hole is waited for
  until the row above it is ``GRACE`` old — a transaction open that long is treated as rolled back (a sequence
  value a rollback or a crash burnt never appears). So the cursor stays a single id: everything up to it was
  delivered, nothing above it was, and reconnecting with it loses and repeats nothing. The cost is a delay of
  at most ``GRACE`` behind a real hole; SQLite never has holes (one writer, rowid = max + 1). A transaction
  that stays open longer than ``GRACE`` and then commits is the one case the global feed can miss (clocks of
  the writing processes are assumed to agree within a second or so); the per-run feed has no such case.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from lockgate.api.deps import Store
from lockgate.api.schemas.conversations import AgentDelta
from lockgate.api.schemas.events import EventRead
from lockgate.engine.state import RunStatus
from lockgate.errors import NotFoundError
from lockgate.store.tables import events, runs

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Sequence

    from lockgate.runtime.live import LiveDelta, Wake

__all__ = [
    "BATCH",
    "DELTA_BACKLOG",
    "GRACE",
    "HEARTBEAT",
    "POLL",
    "Feed",
    "read_events",
    "releasable",
    "run_status",
    "sse_frame",
]

POLL = 0.5  # seconds between reads when nothing woke the feed, unless wake-ups cross processes (Redis)
HEARTBEAT = 15.0  # seconds of silence before an SSE comment line keeps proxies from closing the stream
GRACE = timedelta(seconds=5)  # how long the global feed waits for a hole in the ids to fill
BATCH = 500  # rows per read; a longer backlog is read again at once
DELTA_BACKLOG = 2000  # live token deltas kept for a slow subscriber; older ones are dropped (they are not stored)


def read_events(conn: Connection, after: int, limit: int, run_id: str | None = None) -> list[EventRead]:
    """Committed events with ``id > after``, in id order."""
    stmt = select(events).where(events.c.id > after).order_by(events.c.id).limit(limit)
    if run_id is not None:
        stmt = stmt.where(events.c.run_id == run_id)
    return [
        EventRead(id=r.id, run_id=r.run_id, seq=r.seq, type=r.type, at=r.at, data=r.data) for r in conn.execute(stmt)
    ]


def run_status(conn: Connection, run_id: str) -> RunStatus:
    status = conn.execute(select(runs.c.status).where(runs.c.id == run_id)).scalar_one_or_none()
    if status is None:
        raise NotFoundError("run", run_id)
    return RunStatus(status)


def releasable(rows: Sequence[EventRead], last: int, now: datetime, grace: timedelta) -> list[EventRead]:
    """The prefix of ``rows`` (id order, all ``> last``) that can go out without a later commit filling a gap."""
    out: list[EventRead] = []
    for row in rows:
        if row.id != last + 1 and now - row.at < grace:
            break
        out.append(row)
        last = row.id
    return out


def sse_frame(event: EventRead | AgentDelta) -> str:
    if isinstance(event, AgentDelta):  # live only: no id, so a reconnect's cursor is not moved by it
        return f"event: agent_delta\ndata: {event.model_dump_json()}\n\n"
    return f"id: {event.id}\nevent: {event.type}\ndata: {event.model_dump_json()}\n\n"


@dataclass
class Feed:
    """One subscriber: yields batches of new events, or an empty batch after ``HEARTBEAT`` seconds of silence.

    A single run's feed ends after the batch that holds the run's last event once the run is terminal,
    unless ``follow``. The listener is removed when the iteration stops, however it stops.
    """

    store: Store
    after: int
    run_id: str | None = None
    follow: bool = False
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _deltas: deque[AgentDelta] = field(default_factory=lambda: deque(maxlen=DELTA_BACKLOG))
    _seq: int = 0  # of the last event handed out (a single run's feed): a wake-up up to it is old news

    def _on_wake(self, wake: Wake) -> None:
        if wake.run_id is None or self.run_id is None or (wake.run_id == self.run_id and wake.seq > self._seq):
            self._wake.set()

    def _on_delta(self, delta: LiveDelta) -> None:
        if self.run_id is None or delta.run_id == self.run_id:
            self._deltas.append(
                AgentDelta(
                    run_id=delta.run_id,
                    step=delta.step,
                    attempt=delta.attempt,
                    member=delta.member,
                    seq=delta.seq,
                    text=delta.text,
                    at=delta.at,
                )
            )
            self._wake.set()

    def _take_deltas(self) -> list[AgentDelta]:
        taken = list(self._deltas)
        self._deltas.clear()
        return taken

    def _read(self, conn: Connection) -> tuple[RunStatus | None, list[EventRead]]:
        # the status first: if it is terminal, the rows read after it include the run's last event
        status = run_status(conn, self.run_id) if self.run_id is not None else None
        return status, read_events(conn, self.after, BATCH, self.run_id)

    async def check(self) -> None:
        """Raise NotFoundError for an unknown run before a response is started."""
        if self.run_id is not None:
            await self.store.read(run_status, self.run_id)

    async def batches(self) -> AsyncGenerator[list[EventRead | AgentDelta], None]:
        live = self.store.runtime.live
        unwatch = live.watch(self._on_wake)
        unsubscribe = live.subscribe(self._on_delta)
        safety_net = self.store.runtime.settings.live_poll_interval.total_seconds()
        quiet_since = time.monotonic()
        try:
            while True:
                self._wake.clear()  # before the read: a commit during it wakes the next round
                deltas = self._take_deltas()  # taken before the read: stored events they led to come after them
                status, rows = await self.store.read(self._read)
                batch = rows if self.run_id is not None else releasable(rows, self.after, self._now(), GRACE)
                if batch or deltas:
                    if batch:
                        self.after, self._seq = batch[-1].id, batch[-1].seq
                    quiet_since = time.monotonic()
                    yield [*deltas, *batch]
                if status is not None and status.terminal and not self.follow and len(rows) < BATCH:
                    return
                if len(batch) == BATCH:
                    continue
                if time.monotonic() - quiet_since >= HEARTBEAT:
                    quiet_since = time.monotonic()
                    yield []
                # Held at a hole in the ids: no wake-up comes for a sequence value a rollback burnt, so read soon.
                prompted = live.crosses_processes and len(batch) == len(rows)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), safety_net if prompted else POLL)
        finally:
            unsubscribe()
            unwatch()

    def _now(self) -> datetime:
        return self.store.runtime.clock.now()
