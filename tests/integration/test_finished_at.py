"""A run is finished when the transaction that finished it ran, not when its last event was taken up.

The committer reads the time when it takes a batch; the transaction may then wait for the run's lock behind
another writer (another server, maintenance). The times a user reads (``lockgate run``'s "succeeded in",
the API's ``finished_at``) are those of the transaction that held the lock, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from tests.integration.helpers import fast_settings, poll_async, running, select_rows

from lockgate.engine import HumanTaskAnswered, RunStatus, StepStatus, TaskAction
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store import runs as run_store
from lockgate.store.database import Database
from lockgate.store.tables import runs, steps

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.anyio

HOLD = 0.5  # seconds another writer keeps the run locked while its last event waits


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_run_finished_behind_another_writer_is_stamped_when_it_got_the_lock(
    tmp_path: Path, database_url: str
) -> None:
    pipeline = PipelineSpec.model_validate(
        {"name": "late", "nodes": [{"id": "draft", "kind": "noop", "review": {"approve_complete": True}}]}
    )
    other = Database(database_url)
    try:
        async with running(fast_settings(tmp_path / "home", database_url)) as runtime:
            head = await runtime.create_run(pipeline, {})

            async def waiting() -> str | None:
                step = (await runtime.run_state(head.id)).steps.get("draft")
                return step.task if step is not None and step.status is StepStatus.WAITING else None

            task = await poll_async(waiting)
            with other.write() as conn:  # another writer holds the run's lock while the answer arrives
                run_store.lock_run(conn, head.id)
                answer = HumanTaskAnswered(task=task, step="draft", action=TaskAction.APPROVE, by="ann")
                runtime.report(head.id, answer)
                await asyncio.sleep(HOLD)  # the committer has taken the answer up and waits for the lock
                released = datetime.now(UTC)
            state = await runtime.wait(head.id)
    finally:
        other.dispose()
    assert state.status is RunStatus.SUCCEEDED
    assert state.started_at is not None and state.finished_at is not None
    assert state.finished_at >= released  # what `lockgate run` prints: finished_at - started_at
    row = select_rows(database_url, runs, runs.c.id == head.id)[0]  # what the API and `lockgate runs` show
    assert row["finished_at"] == state.finished_at
    last_step = max(r["finished_at"] for r in select_rows(database_url, steps, steps.c.run_id == head.id))
    assert row["finished_at"] >= last_step >= released
