"""Flow control in the database: open runs per concurrency key, queued runs, and the pipeline row as the lock.

Every admission (a new run, a queued run let in) first locks its pipeline's row, so two servers sharing a
PostgreSQL database decide one after the other and never both admit a run past ``max_runs``; SQLite has one
writer at a time anyway. ``create_run`` already holds that lock (it bumps the pipeline's run number).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update

from lockgate.store.tables import pipelines, runs

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = [
    "OPEN",
    "QueuedRun",
    "lock_pipeline",
    "open_runs_with_key",
    "pipeline_id",
    "pipelines_with_queued",
    "queued_runs",
    "queued_with_key",
    "set_admitted",
    "set_key",
    "set_queued",
]

OPEN = ("pending", "running", "paused")  # what holds a slot: a run created and not finished, not queued


@dataclass(frozen=True, slots=True)
class QueuedRun:
    id: str
    version_id: str
    key: str


def lock_pipeline(conn: Connection, pipeline_id: str) -> None:
    """Hold the pipeline row until the transaction ends (SQLite: BEGIN IMMEDIATE already serialises writers)."""
    if conn.dialect.name != "sqlite":
        conn.execute(select(pipelines.c.id).where(pipelines.c.id == pipeline_id).with_for_update())


def open_runs_with_key(conn: Connection, pipeline_id: str, key: str) -> list[str]:
    """Ids of the open runs with ``key``, oldest first."""
    stmt = (
        select(runs.c.id)
        .where(runs.c.pipeline_id == pipeline_id, runs.c.concurrency_key == key, runs.c.status.in_(OPEN))
        .order_by(runs.c.number)
    )
    return list(conn.scalars(stmt))


def queued_with_key(conn: Connection, pipeline_id: str, key: str) -> int:
    stmt = select(func.count()).where(
        runs.c.pipeline_id == pipeline_id, runs.c.concurrency_key == key, runs.c.status == "queued"
    )
    return int(conn.scalar(stmt) or 0)


def queued_runs(conn: Connection, pipeline_id: str) -> list[QueuedRun]:
    """The pipeline's queued runs, first come first served."""
    stmt = (
        select(runs.c.id, runs.c.version_id, runs.c.concurrency_key)
        .where(runs.c.pipeline_id == pipeline_id, runs.c.status == "queued")
        .order_by(runs.c.number)
    )
    return [QueuedRun(r.id, r.version_id, r.concurrency_key or "") for r in conn.execute(stmt)]


def pipeline_id(conn: Connection, name: str) -> str:
    return str(conn.scalar(select(pipelines.c.id).where(pipelines.c.name == name)))


def pipelines_with_queued(conn: Connection) -> list[str]:
    return list(conn.scalars(select(runs.c.pipeline_id).where(runs.c.status == "queued").distinct()))


def set_key(conn: Connection, run_id: str, key: str) -> None:
    conn.execute(update(runs).where(runs.c.id == run_id).values(concurrency_key=key))


def set_queued(conn: Connection, run_id: str, reason: str) -> None:
    conn.execute(update(runs).where(runs.c.id == run_id).values(status="queued", wait_reason=reason))


def set_admitted(conn: Connection, run_id: str) -> None:
    """A queued run takes its slot: pending until its RunStarted is applied (recovery starts it if that is lost)."""
    conn.execute(
        update(runs).where(runs.c.id == run_id, runs.c.status == "queued").values(status="pending", wait_reason=None)
    )
