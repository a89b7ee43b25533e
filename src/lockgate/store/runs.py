"""Runs: creation with per-pipeline numbers, the per-run lock, the event log, and queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, bindparam, select, update

from lockgate.errors import InvalidInputError, NotFoundError
from lockgate.store.ids import new_id, run_ref, unique_prefix
from lockgate.store.prepared import Prepared
from lockgate.store.tables import attempts, events, pipelines, runs, steps

if TYPE_CHECKING:  # the engine's events (pydantic models) load with the first run read, not for a listing
    from pydantic import JsonValue

    from lockgate.engine.events import Event

__all__ = [
    "RunHead",
    "RunRecord",
    "create_run",
    "find_run",
    "get_run",
    "list_runs",
    "load_events",
    "lock_run",
    "open_runs",
    "replay_source",
    "run_attempts",
    "run_steps",
]


@dataclass(frozen=True, slots=True)
class RunHead:
    """What the applier needs to know of a run before it folds events into it."""

    id: str
    pipeline_id: str
    pipeline: str
    version_id: str
    number: int
    status: str
    last_seq: int


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: str
    pipeline: str
    version_id: str
    number: int
    status: str
    input: Any
    output: Any
    error: Any
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    wait_reason: str | None = None  # why a queued run waits (flow control)


_HEAD = select(
    runs.c.id, runs.c.pipeline_id, pipelines.c.name, runs.c.version_id, runs.c.number, runs.c.status, runs.c.last_seq
).join(pipelines, pipelines.c.id == runs.c.pipeline_id)


# Every transition locks its run first: compiled once, run on the driver (FOR UPDATE of the run row on PostgreSQL;
# SQLite's BEGIN IMMEDIATE already holds the lock).
_LOCK = Prepared(
    lambda dialect: (
        _HEAD.where(runs.c.id == bindparam("b_id"))
        if dialect == "sqlite"
        else _HEAD.where(runs.c.id == bindparam("b_id")).with_for_update(of=runs)
    )
)


# A run's start takes the next number and inserts the run: both compiled once, run on the driver.
_NEXT_NUMBER = Prepared(
    lambda _: (
        update(pipelines)
        .where(pipelines.c.id == bindparam("b_id"))
        .values(next_run_number=pipelines.c.next_run_number + 1)
        .returning(pipelines.c.next_run_number - 1, pipelines.c.name)
    )
)
_NEW_RUN = Prepared(
    lambda _: runs.insert(),
    ("id", "pipeline_id", "version_id", "number", "status", "input", "last_seq", "created_at", "updated_at",
     "extends_run_id", "start_at", "draft"),
)  # fmt: skip


def create_run(
    conn: Connection,
    pipeline_id: str,
    version_id: str,
    input_: dict[str, JsonValue],
    now: datetime,
    extends_run_id: str | None = None,
    start_at: str | None = None,
    *,
    draft: bool = False,
) -> RunHead:
    """Insert a pending run with the next number of its pipeline (the pipeline row serialises numbering).

    A ``draft`` run (from the editor's draft) takes its number from the same sequence: every run has one address.
    """
    number = _NEXT_NUMBER.first(conn, {"b_id": pipeline_id})
    if number is None:
        raise NotFoundError("pipeline", pipeline_id)
    run_id = new_id()
    _NEW_RUN.execute(conn, [{"id": run_id, "pipeline_id": pipeline_id, "version_id": version_id, "number": number[0],
                             "status": "pending", "input": input_, "last_seq": 0, "created_at": now, "updated_at": now,
                             "extends_run_id": extends_run_id, "start_at": start_at, "draft": draft}])  # fmt: skip
    return RunHead(run_id, pipeline_id, number[1], version_id, number[0], "pending", 0)


def lock_run(conn: Connection, run_id: str) -> RunHead:
    """Read the run's head under its lock (FOR UPDATE; SQLite's BEGIN IMMEDIATE already holds the lock)."""
    row = _LOCK.first(conn, {"b_id": run_id})
    if row is None:
        raise NotFoundError("run", run_id)
    return RunHead(*row)


def load_events(conn: Connection, run_id: str, after_seq: int = 0) -> list[tuple[Event, datetime]]:
    from lockgate.engine.events import EVENT_ADAPTER

    rows = conn.execute(
        select(events.c.data, events.c.at)
        .where(events.c.run_id == run_id, events.c.seq > after_seq)
        .order_by(events.c.seq)
    )
    return [(EVENT_ADAPTER.validate_python(r.data), r.at) for r in rows]


def find_run(conn: Connection, ref: str) -> RunHead:
    """A run by id (or a unique prefix of one), or by ``pipeline/vN`` (also ``pipeline:N``)."""
    named = run_ref(ref)
    if named is not None:
        stmt = _HEAD.where(pipelines.c.name == named.pipeline, runs.c.number == named.number)
    else:
        stmt = _HEAD.where(runs.c.id == ref)
    row = conn.execute(stmt).first()
    if row is None and named is None:  # a unique prefix of an id, as git takes one
        row = conn.execute(_HEAD.where(runs.c.id == unique_prefix(conn, runs.c.id, "run", ref))).first()
    if row is None:
        raise NotFoundError("run", ref)
    return RunHead(*row)


def replay_source(conn: Connection, pipeline: str, ref: str, field: str) -> str:
    """The id of the run whose recording a new run of ``pipeline`` replays.

    ``ref`` is a run id, ``pipeline/vN``, or ``vN`` / ``N`` for a run of this pipeline; ``field`` names the
    option in the error (``replay_from``, ``--replay``) so each caller's user reads their own word.
    """
    number = ref.removeprefix("v")
    wanted = f"{pipeline}/v{number}" if number.isdigit() else ref
    try:
        head = find_run(conn, wanted)
    except NotFoundError:
        raise InvalidInputError([f"{field}: no run {ref!r} of {pipeline!r}"]) from None
    if head.pipeline != pipeline:
        raise InvalidInputError([f"{field}: run {ref!r} is a run of {head.pipeline!r}, not of {pipeline!r}"])
    return head.id


def _record(row: Row[Any]) -> RunRecord:
    return RunRecord(row.id, row.name, row.version_id, row.number, row.status, row.input, row.output, row.error,
                     row.created_at, row.started_at, row.finished_at,
                     row.wait_reason if row.status == "queued" else None)  # fmt: skip


def get_run(conn: Connection, run_id: str) -> RunRecord:
    row = conn.execute(
        select(runs, pipelines.c.name).join(pipelines, pipelines.c.id == runs.c.pipeline_id).where(runs.c.id == run_id)
    ).first()
    if row is None:
        raise NotFoundError("run", run_id)
    return _record(row)


def list_runs(
    conn: Connection, pipeline: str | None = None, status: str | None = None, limit: int = 50
) -> list[RunRecord]:
    stmt = select(runs, pipelines.c.name).join(pipelines, pipelines.c.id == runs.c.pipeline_id)
    if pipeline is not None:
        stmt = stmt.where(pipelines.c.name == pipeline)
    if status is not None:
        stmt = stmt.where(runs.c.status == status)
    return [_record(r) for r in conn.execute(stmt.order_by(runs.c.created_at.desc(), runs.c.id.desc()).limit(limit))]


def open_runs(conn: Connection) -> list[RunHead]:
    """Runs not yet finished: what recovery looks at."""
    return [RunHead(*r) for r in conn.execute(_HEAD.where(runs.c.status.in_(("pending", "running", "paused"))))]


def run_steps(conn: Connection, run_id: str) -> list[Row[Any]]:
    return list(conn.execute(select(steps).where(steps.c.run_id == run_id).order_by(steps.c.queued_at, steps.c.key)))


def run_attempts(conn: Connection, run_id: str) -> list[Row[Any]]:
    stmt = select(attempts).where(attempts.c.run_id == run_id).order_by(attempts.c.queued_at, attempts.c.number)
    return list(conn.execute(stmt))
