"""Claims, leases and fences of attempts run by a distributed executor: the database decides, brokers carry.

A worker claims a queued attempt with one conditional UPDATE (queued → running, its id, a lease, the fence
bumped): of two deliveries of one invocation, exactly one claims it. Leases are renewed per worker in one
statement. A result is applied only while its fence is the attempt's current one and the attempt is running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, and_, select, tuple_, update

from lockgate.store.tables import attempts

if TYPE_CHECKING:
    from collections.abc import Collection
    from datetime import datetime, timedelta

    from sqlalchemy import Connection

__all__ = ["claim_attempt", "ended", "fence_current", "renew_leases", "still_queued"]

AttemptKey = tuple[str, str, int]  # run id, step key, attempt number


def _key(run_id: str, step: str, attempt: int) -> ColumnElement[bool]:
    return and_(attempts.c.run_id == run_id, attempts.c.step_key == step, attempts.c.number == attempt)


def claim_attempt(
    conn: Connection, run_id: str, step: str, attempt: int, worker: str, now: datetime, lease: timedelta
) -> int | None:
    """The new fence if this worker claimed the attempt; None: claimed already, or no longer current (drop)."""
    stmt = (
        update(attempts)
        .where(_key(run_id, step, attempt), attempts.c.status == "queued")
        .values(status="running", worker=worker, lease_until=now + lease, fence=attempts.c.fence + 1, started_at=now)
    )
    if conn.execute(stmt).rowcount != 1:
        return None
    fence: int = conn.execute(select(attempts.c.fence).where(_key(run_id, step, attempt))).scalar_one()
    return fence


def renew_leases(conn: Connection, worker: str, keys: Collection[AttemptKey], now: datetime, lease: timedelta) -> None:
    """One statement for the attempts this worker runs (``keys``), however many."""
    if not keys:
        return
    stmt = update(attempts).where(
        attempts.c.worker == worker,
        attempts.c.status == "running",
        tuple_(attempts.c.run_id, attempts.c.step_key, attempts.c.number).in_(list(keys)),
    )
    conn.execute(stmt.values(lease_until=now + lease))


def fence_current(conn: Connection, run_id: str, step: str, attempt: int, fence: int) -> int | None:
    """None if a result carrying ``fence`` may be applied; else the attempt's current fence (-1: not running)."""
    row = conn.execute(select(attempts.c.fence, attempts.c.status).where(_key(run_id, step, attempt))).first()
    if row is None or row.status != "running":
        return -1
    return None if row.fence == fence else int(row.fence)


def ended(conn: Connection, keys: Collection[AttemptKey]) -> set[AttemptKey]:
    """Of these attempts, those the run ended (cancelled, timed out, failed): their processes must stop.

    A lost one is not among them: its worker went silent past its lease and the step runs again elsewhere; if
    the worker comes back, the attempt finishes and its result, carrying a stale fence, is ignored.
    """
    if not keys:
        return set()
    stmt = select(attempts.c.run_id, attempts.c.step_key, attempts.c.number).where(
        tuple_(attempts.c.run_id, attempts.c.step_key, attempts.c.number).in_(list(keys)),
        attempts.c.status.in_(("running", "lost")),
    )
    going = {(r.run_id, r.step_key, r.number) for r in conn.execute(stmt)}
    return set(keys) - going


def still_queued(conn: Connection, keys: Collection[AttemptKey]) -> set[AttemptKey]:
    """Of these attempts, those nobody has claimed yet."""
    if not keys:
        return set()
    stmt = select(attempts.c.run_id, attempts.c.step_key, attempts.c.number).where(
        tuple_(attempts.c.run_id, attempts.c.step_key, attempts.c.number).in_(list(keys)),
        attempts.c.status == "queued",
    )
    return {(r.run_id, r.step_key, r.number) for r in conn.execute(stmt)}
