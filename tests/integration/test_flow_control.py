"""Flow control of runs: a pipeline's ``concurrency`` (queue, cancel_newest, cancel_oldest), held by the database."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.helpers import cli, fast_settings, running, select_rows
from tests.integration.test_flow_control_servers import most_at_once

from lockgate.compile import compile_pipeline
from lockgate.engine import RunCancelled, RunStatus
from lockgate.errors import ConflictError, DefinitionErrors
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.slots import waiting_reasons
from lockgate.store.tables import attempts, runs

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from lockgate.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return fast_settings(tmp_path / "home", database_url)


def held(policy: str, max_runs: int = 2) -> PipelineSpec:
    """Runs that wait for a person (a form) until the test cancels them: they hold their slot meanwhile."""
    return PipelineSpec.model_validate({
        "name": f"held-{policy.replace('_', '-')}",
        "input": {"customer": {"type": "string", "required": True}},
        "concurrency": {"max_runs": max_runs, "key": "{{ input.customer }}", "policy": policy},
        "nodes": [{"id": "ask", "kind": "human", "config": {}}],
    })  # fmt: skip


async def until(check: Callable[[], bool], within: float = 20) -> None:
    """Poll without blocking the runtime's event loop (it runs in this thread)."""
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def statuses(url: str, pipeline_runs: list[str]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in select_rows(url, runs) if r["id"] in pipeline_runs}


async def test_queue_waits_with_a_reason_and_starts_first_come_first_served(settings: Settings) -> None:
    spec = held("queue")
    async with running(settings) as runtime:
        acme = [(await runtime.create_run(spec, {"customer": "acme"})).id for _ in range(4)]
        other = (await runtime.create_run(spec, {"customer": "globex"})).id  # another key: its own limit
        rows = statuses(settings.db_url, [*acme, other])
        assert [rows[r]["status"] for r in acme] == ["running", "running", "queued", "queued"]
        assert rows[other]["status"] == "running"
        assert rows[acme[2]]["wait_reason"] == (
            "waiting: 2 runs of pipeline held-queue with key acme are running (max_runs 2)"
        )
        assert rows[acme[3]]["wait_reason"].endswith("(max_runs 2), 1 queued before it")
        shown = await asyncio.to_thread(cli, settings.home, settings.db_url, "runs", "show", "held-queue/v3")
        assert "queued" in shown.stdout and "with key acme are running (max_runs 2)" in shown.stdout, shown.stderr
        listed = await asyncio.to_thread(cli, settings.home, settings.db_url, "runs", "list", "--json")
        assert {r["number"]: r["wait_reason"] for r in json.loads(listed.stdout)}[3] == rows[acme[2]]["wait_reason"]

        await runtime.apply(acme[0], RunCancelled(reason="done with it"))
        await until(lambda: statuses(settings.db_url, acme)[acme[2]]["status"] == "running")
        rows = statuses(settings.db_url, acme)
        assert rows[acme[2]]["wait_reason"] is None and rows[acme[2]]["started_at"] is not None
        assert rows[acme[3]]["status"] == "queued"  # still no slot: v1 left, v3 took it
        state = await runtime.run_state(acme[2])
        assert state.status is RunStatus.RUNNING

        await runtime.apply(acme[3], RunCancelled(reason="not needed"))  # a queued run is cancelled like any other
        rows = statuses(settings.db_url, acme)
        assert rows[acme[3]]["status"] == "cancelled" and rows[acme[3]]["started_at"] is None


async def test_cancel_newest_refuses_the_run_with_the_reason(settings: Settings) -> None:
    spec = held("cancel_newest", max_runs=1)
    async with running(settings) as runtime:
        first = await runtime.create_run(spec, {"customer": "acme"})
        with pytest.raises(ConflictError, match=r"cancel_newest.*1 run of pipeline held-cancel-newest with key acme"):
            await runtime.create_run(spec, {"customer": "acme"})
        rows = select_rows(settings.db_url, runs)
        assert [(r["id"], r["status"]) for r in rows] == [(first.id, "running")]  # the refused run is not created


async def test_cancel_oldest_makes_room(settings: Settings) -> None:
    spec = held("cancel_oldest")
    async with running(settings) as runtime:
        made = [(await runtime.create_run(spec, {"customer": "acme"})).id for _ in range(3)]
        rows = statuses(settings.db_url, made)
        assert [rows[r]["status"] for r in made] == ["cancelled", "running", "running"]
        assert "cancel_oldest" in rows[made[0]]["error"]["message"]
        await runtime.wait(made[0])


def test_a_key_naming_a_node_is_a_definition_error() -> None:
    data = held("queue").model_dump(mode="json", exclude_defaults=True)
    data["concurrency"]["key"] = "{{ nodes.ask.output }}"
    spec = PipelineSpec.model_validate(data)
    with pytest.raises(DefinitionErrors) as raised:
        compile_pipeline(spec)
    assert any(e.field == "concurrency.key" for e in raised.value.errors)


def test_bad_concurrency_names_the_field() -> None:
    with pytest.raises(ValueError, match=r"concurrency\.max_runs"):
        PipelineSpec.model_validate({"name": "x", "concurrency": {"max_runs": 0},
                                     "nodes": [{"id": "a", "kind": "noop"}]})  # fmt: skip
    with pytest.raises(ValueError, match=r"concurrency\.policy"):
        PipelineSpec.model_validate({"name": "x", "concurrency": {"max_runs": 1, "policy": "drop"},
                                     "nodes": [{"id": "a", "kind": "noop"}]})  # fmt: skip


def limited_node(go: Path) -> PipelineSpec:
    """A mapped script step limited to two at once across every run; each waits until ``go`` exists."""
    code = "import time, pathlib\nwhile not pathlib.Path(go).exists():\n    time.sleep(0.02)\noutput = item"
    return PipelineSpec.model_validate({
        "name": "limited-node",
        "nodes": [
            {"id": "items", "kind": "transform", "config": {"value": [1, 2, 3]}},
            {"id": "work", "kind": "script", "for_each": "{{ nodes.items.output }}", "max_concurrent": 2,
             "inputs": {"item": "{{ item }}", "go": str(go)}, "config": {"code": code}},
        ],
        "edges": [{"source": "items", "target": "work"}],
    })  # fmt: skip


async def test_a_node_limit_holds_across_runs_and_says_why_steps_wait(settings: Settings, tmp_path: Path) -> None:
    go = tmp_path / "go"
    spec = limited_node(go)
    async with running(settings) as runtime:
        made = [(await runtime.create_run(spec, {})).id for _ in range(2)]  # six steps of one node in all

        def waiting() -> dict[str, str]:
            reasons: dict[str, str] = {}
            for run_id in made:
                with runtime.db.read() as conn:
                    reasons |= {f"{run_id}/{k}": v for k, v in waiting_reasons(conn, run_id).items()}
            return reasons

        await until(lambda: len(waiting()) == 4)
        assert set(waiting().values()) == {
            "waiting: 2 steps of node work of pipeline limited-node are running (max_concurrent 2)"
        }
        go.touch()
        for run_id in made:
            state = await runtime.wait(run_id)
            assert state.status is RunStatus.SUCCEEDED
        assert waiting() == {}
    rows = [a for a in select_rows(settings.db_url, attempts) if a["step_key"].startswith("work[")]
    assert len(rows) == 6 and all(a["status"] == "succeeded" for a in rows)
    assert most_at_once([(a["started_at"], a["finished_at"]) for a in rows]) == 2
