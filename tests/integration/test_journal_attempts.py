"""The journal merges the updates one batch makes to an attempt row into one: the row ends as if each ran in turn.

"started" and "cancelled" apply only to a queued or running attempt, "finished" always; a merged update must
leave every column as the updates one after another would, from any status the row had (SQLite, PostgreSQL).
"""

from __future__ import annotations

import contextlib
import itertools
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.database import Database
from lockgate.store.journal_sql import AttemptUpdates
from lockgate.store.migrate import upgrade
from lockgate.store.pipelines import save_version
from lockgate.store.runs import create_run
from lockgate.store.tables import attempts

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Connection

T0 = datetime(2026, 1, 1, tzinfo=UTC)
_keys = itertools.count()


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


UPDATES = st.one_of(
    st.builds(lambda m: ("started", {"status": "running", "started_at": _at(m)}), st.integers(1, 50)),
    st.builds(
        lambda status, m: ("finished", {"status": status, "error": None, "finished_at": _at(m), "output": m}),
        st.sampled_from(["succeeded", "failed", "lost"]), st.integers(1, 50),
    ),
    st.builds(
        lambda status, m: ("cancelled", {"status": status, "error": {"kind": "x"}, "finished_at": _at(m)}),
        st.sampled_from(["cancelled", "failed"]), st.integers(1, 50),
    ),
)  # fmt: skip


@contextlib.contextmanager
def _database(url: str) -> Iterator[tuple[Database, str]]:
    db = Database(url)
    upgrade(db)
    spec = PipelineSpec.model_validate({"name": "rows", "nodes": [{"id": "a", "kind": "noop"}]})
    with db.write() as conn:
        version = save_version(conn, spec, T0)
        run = create_run(conn, version.pipeline_id, version.id, {}, T0)
    try:
        yield db, run.id
    finally:
        db.dispose()


def _attempt(conn: Connection, run_id: str, status: str) -> str:
    step = f"a{next(_keys)}"
    conn.execute(attempts.insert().values(run_id=run_id, step_key=step, number=1, status=status, queued_at=T0))
    return step


def _row(conn: Connection, run_id: str, step: str) -> dict[str, Any]:
    columns = (attempts.c.status, attempts.c.started_at, attempts.c.finished_at, attempts.c.error, attempts.c.output)
    found = conn.execute(select(*columns).where(attempts.c.run_id == run_id, attempts.c.step_key == step)).one()
    return dict(found._mapping)


def test_merged_updates_leave_the_row_as_updates_in_turn(database_url: str) -> None:
    with _database(database_url) as (db, run_id):

        @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(initial=st.sampled_from(["queued", "running", "succeeded", "cancelled"]),
               updates=st.lists(UPDATES, min_size=1, max_size=4))  # fmt: skip
        def check(initial: str, updates: list[tuple[str, dict[str, Any]]]) -> None:
            with db.write() as conn:
                merged, in_turn = _attempt(conn, run_id, initial), _attempt(conn, run_id, initial)
                batch = AttemptUpdates()
                for kind, values in updates:
                    batch.add(kind, run_id, merged, 1, values)
                batch.flush(conn)
                for kind, values in updates:  # one batch per update: nothing to merge
                    alone = AttemptUpdates()
                    alone.add(kind, run_id, in_turn, 1, values)
                    alone.flush(conn)
                assert _row(conn, run_id, merged) == _row(conn, run_id, in_turn), updates

        check()
