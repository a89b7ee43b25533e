"""Processes that advance runs: registered with a heartbeat, so that recovery can tell the dead."""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, Row, and_, or_, select, update

from lockgate.store.ids import new_id
from lockgate.store.tables import attempts, idempotency, pipelines, runs, timers, workers

if TYPE_CHECKING:
    from datetime import datetime, timedelta

__all__ = ["due_timers", "heartbeat", "lookup_idempotent", "lost_attempts", "register_worker", "stop_worker"]


def register_worker(conn: Connection, kind: str, now: datetime) -> str:
    worker_id = new_id()
    conn.execute(workers.insert().values(id=worker_id, host=socket.gethostname(), pid=os.getpid(), kind=kind,
                                         started_at=now, heartbeat_at=now))  # fmt: skip
    return worker_id


def heartbeat(conn: Connection, worker_id: str, now: datetime) -> None:
    conn.execute(update(workers).where(workers.c.id == worker_id).values(heartbeat_at=now))


def stop_worker(conn: Connection, worker_id: str, now: datetime) -> None:
    conn.execute(update(workers).where(workers.c.id == worker_id).values(stopped_at=now))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _dead_workers(conn: Connection, me: str, now: datetime, ttl: timedelta) -> tuple[set[str], set[str]]:
    """(gone, silent): stopped or seen dead on this host; and those whose heartbeat is older than ``ttl``."""
    host = socket.gethostname()
    gone, silent = set(), set()
    for row in conn.execute(select(workers).where(workers.c.id != me)):
        if row.stopped_at is not None or (row.host == host and not _pid_alive(row.pid)):
            gone.add(row.id)
        elif row.heartbeat_at < now - ttl:
            silent.add(row.id)
    return gone, silent


def lost_attempts(conn: Connection, me: str, now: datetime, ttl: timedelta) -> list[Row[Any]]:
    """Open attempts whose worker is gone (or was never recorded), or whose lease (store/leases.py) ran out.

    A claimed attempt's lease decides for it, not its worker's heartbeat: a worker busy applying results may
    heartbeat late while its lease loop keeps its claims current (under load, calling those attempts lost ran
    every step again and failed runs at ``max_lost_attempts``). A worker seen dead loses them at once.
    """
    gone, silent = _dead_workers(conn, me, now, ttl)
    expired = and_(attempts.c.status == "running", attempts.c.lease_until < now)
    condition: ColumnElement[bool] = or_(attempts.c.worker.is_(None), expired)
    if gone:
        condition = or_(condition, attempts.c.worker.in_(gone))
    if silent:
        condition = or_(condition, and_(attempts.c.worker.in_(silent), attempts.c.lease_until.is_(None)))
    stmt = (
        select(
            attempts.c.run_id,
            attempts.c.step_key,
            attempts.c.number,
            runs.c.number.label("run_number"),
            pipelines.c.name.label("pipeline"),
        )
        .join(runs, runs.c.id == attempts.c.run_id)
        .join(pipelines, pipelines.c.id == runs.c.pipeline_id)
        .where(and_(attempts.c.status.in_(("queued", "running")), condition))
    )
    return list(conn.execute(stmt))


def due_timers(conn: Connection, until: datetime) -> list[Row[Any]]:
    return list(conn.execute(select(timers).where(timers.c.fire_at <= until).order_by(timers.c.fire_at).limit(5000)))


def lookup_idempotent(conn: Connection, key: str) -> Row[Any] | None:
    return conn.execute(select(idempotency).where(idempotency.c.key == key)).first()
