"""Statements run on the driver's cursor behave as SQLAlchemy's: values converted, errors wrapped, rolled back.

The journal's statements bypass SQLAlchemy's execution (store/prepared.py); what a caller sees must not change:
the same rows read back, a constraint violation raised as SQLAlchemy's IntegrityError, nothing of a failed
transaction kept, the database usable afterwards (SQLite, PostgreSQL).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lockgate.errors import NotFoundError
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.database import Database
from lockgate.store.journal_sql import write_rows
from lockgate.store.migrate import upgrade
from lockgate.store.pipelines import save_version
from lockgate.store.runs import create_run, get_run, lock_run
from lockgate.store.tables import events

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _event(run_id: str, seq: int, data: object) -> dict[str, object]:
    return {"run_id": run_id, "seq": seq, "type": "RunStarted", "data": data, "at": T0}


def test_driver_statements_write_read_and_fail_as_sqlalchemy(database_url: str) -> None:
    db = Database(database_url)
    try:
        upgrade(db)
        spec = PipelineSpec.model_validate({"name": "rows", "nodes": [{"id": "a", "kind": "noop"}]})
        with db.write() as conn:
            version = save_version(conn, spec, T0)
            run = create_run(conn, version.pipeline_id, version.id, {}, T0)
            second = create_run(conn, version.pipeline_id, version.id, {"topic": [1, None]}, T0)
        with db.write() as conn:
            assert lock_run(conn, run.id) == run
            assert (run.number, second.number, run.pipeline, run.status) == (1, 2, "rows", "pending")
            stored = get_run(conn, second.id)
            assert (stored.input, stored.created_at, stored.output) == ({"topic": [1, None]}, T0, None)
            write_rows(conn, "events", [_event(run.id, 1, {"a": [1, None]}), _event(run.id, 2, None)])
        with pytest.raises(IntegrityError), db.write() as conn:  # seq 2 exists: the whole transaction is undone
            write_rows(conn, "events", [_event(run.id, 3, {}), _event(run.id, 2, {})])
        with db.read() as conn:
            rows = conn.execute(select(events.c.seq, events.c.data, events.c.at).where(events.c.run_id == run.id))
            assert sorted((r.seq, r.data, r.at) for r in rows) == [(1, {"a": [1, None]}, T0), (2, None, T0)]
            with pytest.raises(NotFoundError):
                lock_run(conn, "no-such-run")
    finally:
        db.dispose()
