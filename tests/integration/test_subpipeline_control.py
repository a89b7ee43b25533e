"""The parent's pause, resume and cancel reach its child run; a rollback to the step (or a revision) runs a new child.

The child waits on a three-day wait node, so it is still going when the parent is paused, cancelled or rolled
back: what the test checks is the child run's status, as ``lockgate runs show`` would print it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.helpers import fast_settings, poll_async, running, select_rows
from tests.integration.test_people_runtime import answer
from tests.integration.test_subpipelines import runs_of, save

from lockgate.engine import RunCancelled, RunPaused, RunResumed, RunRolledBack, RunStatus, TaskAction
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.child_tables import child_runs

if TYPE_CHECKING:
    from pathlib import Path

    from lockgate.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return fast_settings(tmp_path / "home", database_url)


SLOW: dict[str, Any] = {"name": "slow", "nodes": [{"id": "nap", "kind": "wait", "config": {"duration": "3d"}}]}
QUICK: dict[str, Any] = {
    "name": "quick",
    "input": {"n": {"type": "integer", "required": True}},
    "nodes": [{"id": "echo", "kind": "transform", "config": {"value": "{{ input.n }}"}}],
    "output": "{{ nodes.echo.output }}",
}


def _parent(target: str, **node: Any) -> PipelineSpec:
    config = {"pipeline": target, "input": {"n": "{{ run.number }}"} if target == "quick" else {}}
    return PipelineSpec.model_validate(
        {"name": "parent", "nodes": [{"id": "call", "kind": "subpipeline", "config": config, **node}]}
    )


def _statuses(database_url: str, pipeline: str) -> list[str]:
    return [r["status"] for r in sorted(runs_of(database_url, pipeline), key=lambda r: r["number"])]


async def test_pause_resume_and_cancel_of_the_parent_reach_the_child(settings: Settings, database_url: str) -> None:
    async with running(settings) as runtime:
        save(runtime, SLOW)
        head = await runtime.create_run(_parent("slow"), {})
        await poll_async(lambda: _statuses(database_url, "slow") == ["running"], what="the child to run")
        await runtime.apply(head.id, RunPaused(by="ada"))
        await poll_async(lambda: _statuses(database_url, "slow") == ["paused"], what="the child to pause")
        await runtime.apply(head.id, RunResumed(by="ada"))
        await poll_async(lambda: _statuses(database_url, "slow") == ["running"], what="the child to resume")
        await runtime.apply(head.id, RunCancelled(by="ada", reason="enough"))
        await poll_async(lambda: _statuses(database_url, "slow") == ["cancelled"], what="the child to stop")
        state = await runtime.run_state(head.id)
    assert state.status is RunStatus.CANCELLED
    assert state.steps["call"].status.value == "cancelled"  # the child's end did not count twice


async def test_a_rollback_to_the_step_cancels_the_child_and_runs_a_new_one(
    settings: Settings, database_url: str
) -> None:
    async with running(settings) as runtime:
        save(runtime, SLOW)
        head = await runtime.create_run(_parent("slow"), {})
        await poll_async(lambda: _statuses(database_url, "slow") == ["running"], what="the child to run")
        await runtime.apply(head.id, RunRolledBack(rollback="rb1", node="call", by="ada"))
        await poll_async(lambda: _statuses(database_url, "slow") == ["cancelled", "running"], what="a new child")
    links = sorted(select_rows(database_url, child_runs), key=lambda r: r["attempt"])
    assert [r["attempt"] for r in links] == [1, 2]
    assert len({r["child_run_id"] for r in links}) == 2


async def test_a_revision_request_runs_the_child_again(settings: Settings, database_url: str) -> None:
    async with running(settings) as runtime:
        save(runtime, QUICK)
        head = await runtime.create_run(_parent("quick", review={"approve_complete": True}), {})
        await answer(runtime, head.id, "call", TaskAction.REVISE, "again")
        await answer(runtime, head.id, "call", TaskAction.APPROVE)
        state = await runtime.wait(head.id)
    assert state.status is RunStatus.SUCCEEDED
    assert _statuses(database_url, "quick") == ["succeeded", "succeeded"]
    assert [r["attempt"] for r in sorted(select_rows(database_url, child_runs), key=lambda r: r["attempt"])] == [1, 2]
