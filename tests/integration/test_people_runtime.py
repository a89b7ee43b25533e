"""The runtime with people in the loop, in one process, on SQLite and PostgreSQL: what crashes leave behind.

A revision or rollback changes the rows first and moves the folders after the commit; a run that extends
another takes its files over before it starts. A process may die in between: the next start finishes the job.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from tests.integration.helpers import fast_settings, poll_async, running, select_rows

from lockgate.engine import HumanTaskAnswered, RunRolledBack, RunStatus, StepStatus, TaskAction
from lockgate.runtime import ExtendRequest
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store import runs as run_store
from lockgate.store.pipelines import save_version
from lockgate.store.tables import artifact_moves, artifacts, attempts, human_interactions, human_tasks

if TYPE_CHECKING:
    from pathlib import Path

    from lockgate.runtime import Runtime
    from lockgate.settings import Settings

pytestmark = pytest.mark.anyio

WRITE = "from pathlib import Path\nPath(f'{name}.txt').write_text(f'{name} {feedback}')\noutput = feedback or name"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return fast_settings(tmp_path / "home", database_url)


def pipeline() -> PipelineSpec:
    def node(node_id: str, **extra: Any) -> dict[str, Any]:
        return {"id": node_id, "kind": "script", "inputs": {"name": node_id}, "config": {"code": WRITE}, **extra}

    return PipelineSpec.model_validate({
        "name": "crashy-people",
        "nodes": [node("prepare"), node("draft", review={"approve_complete": True}), node("publish")],
        "edges": [{"source": "prepare", "target": "draft"}, {"source": "draft", "target": "publish"}],
    })  # fmt: skip


async def waiting_task(runtime: Runtime, run_id: str, step: str) -> str:
    async def task() -> str | None:
        state = await runtime.run_state(run_id)
        found = state.steps.get(step)
        return found.task if found is not None and found.status is StepStatus.WAITING else None

    found: str = await poll_async(task, 30, what=f"a task for {step}")
    return found


async def answer(runtime: Runtime, run_id: str, step: str, action: TaskAction, feedback: str | None = None) -> None:
    task = await waiting_task(runtime, run_id, step)
    await runtime.apply(run_id, HumanTaskAnswered(task=task, step=step, action=action, by="ann", feedback=feedback))


async def test_moves_a_crash_left_undone_are_finished_at_the_next_start(settings: Settings, database_url: str) -> None:
    run_dir = settings.home / "pipelines" / "crashy-people" / "runs" / "v1"
    async with running(settings) as runtime:
        head = await runtime.create_run(pipeline(), {})
        await answer(runtime, head.id, "draft", TaskAction.REVISE, "again")
        await answer(runtime, head.id, "draft", TaskAction.APPROVE)
        await asyncio.wait_for(runtime.wait(head.id), 45)
        # the process dies just after committing a rollback: the rows moved, the folders did not, and the
        # restarted step's attempt never ran
        runtime.archiving.moved = lambda command: None  # type: ignore[method-assign]  # noqa: ARG005
        runtime.executor.submit = lambda command: None  # type: ignore[method-assign]  # noqa: ARG005
        await runtime.apply(head.id, RunRolledBack(rollback="rb-crash", node="draft", by="ann"))
    pending = select_rows(database_url, artifact_moves, artifact_moves.c.done.is_(False))
    assert {m["source"] for m in pending} >= {"runs/v1/draft", "runs/v1/.attempts/draft", "runs/v1/publish"}
    assert (run_dir / "draft" / "draft.txt").read_text() == "draft again"  # still where it was

    async with running(settings) as runtime:
        archived = select_rows(database_url, artifacts, artifacts.c.archived.is_(True))
        folder = settings.home / "pipelines" / "crashy-people"
        for row in archived:
            assert (folder / row["path"]).is_file(), row["path"]  # where the rows say, once started
        assert select_rows(database_url, artifact_moves, artifact_moves.c.done.is_(False)) == []
        await answer(runtime, head.id, "draft", TaskAction.APPROVE)
        state = await asyncio.wait_for(runtime.wait(head.id), 45)
    assert state.status is RunStatus.SUCCEEDED and state.steps["draft"].attempt == 4
    assert {r["name"] for r in archived} == {"draft.txt", "publish.txt"}
    assert (run_dir / "draft" / "draft.txt").read_text() == "draft None"  # attempt 4, without feedback
    kept = select_rows(database_url, attempts, attempts.c.run_id == head.id, attempts.c.step_key == "draft")
    assert sorted((a["number"], a["status"], a["feedback"], a["output"], a["archived"]) for a in kept) == [
        (1, "succeeded", None, "draft", True),
        (2, "succeeded", "again", "again", True),
        (3, "lost", None, None, False),  # dispatched by the rollback, lost with the process
        (4, "succeeded", None, "draft", False),
    ]
    answers = select_rows(database_url, human_interactions, human_interactions.c.run_id == head.id)
    assert sorted(a["action"] for a in answers) == ["approve", "approve", "revise"]
    tasks = select_rows(database_url, human_tasks, human_tasks.c.run_id == head.id)
    assert sorted(t["status"] for t in tasks) == ["approved", "approved", "revision_requested"]


async def test_an_extending_run_whose_creator_died_starts_with_its_reuse(settings: Settings, database_url: str) -> None:
    async with running(settings) as runtime:
        first = await runtime.create_run(pipeline(), {})
        await answer(runtime, first.id, "draft", TaskAction.APPROVE)
        await asyncio.wait_for(runtime.wait(first.id), 45)
        extended = await runtime.create_run(pipeline(), {}, extend=ExtendRequest("v1", "publish"))
        state = await asyncio.wait_for(runtime.wait(extended.id), 45)
    assert state.status is RunStatus.SUCCEEDED and state.extends is not None and state.extends.number == 1
    assert set(state.reuse) == {"prepare", "draft"}  # both upstream of publish: taken over, not reviewed again

    # the creator of v3 died after creating the run, before starting it (a while ago: past recovery's grace)
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    created = datetime.now(UTC) - timedelta(seconds=30)
    with engine.begin() as conn:
        version = save_version(conn, pipeline(), created)
        lost = run_store.create_run(conn, version.pipeline_id, version.id, {}, created, first.id, "draft")
    engine.dispose()
    async with running(settings) as runtime:
        await runtime.maintenance.once()
        await answer(runtime, lost.id, "draft", TaskAction.APPROVE)
        state = await asyncio.wait_for(runtime.wait(lost.id), 45)
    assert state.status is RunStatus.SUCCEEDED and set(state.reuse) == {"prepare"}
    reused = select_rows(database_url, attempts, attempts.c.run_id == lost.id, attempts.c.step_key == "prepare")
    assert [(a["status"], a["output"]) for a in reused] == [("reused", "prepare")]
    v3 = settings.home / "pipelines" / "crashy-people" / "runs" / f"v{lost.number}"
    assert (v3 / "prepare" / "prepare.txt").read_text() == "prepare None"
    (copied,) = select_rows(database_url, artifacts, artifacts.c.run_id == lost.id, artifacts.c.step_key == "prepare")
    assert copied["reused_from"] is not None
