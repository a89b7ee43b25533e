"""Sub-pipelines: a step whose work is a child run of another stored pipeline.

The child is an ordinary numbered run, linked to the parent's step and attempt; the step succeeds or fails with
it and takes its output. Refusals (no such pipeline, an input its schema refuses, nesting past the limit) fail
the step with a message naming the node.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.helpers import cli, fast_settings, running, select_rows

from lockgate.engine import RunStatus
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store import pipelines as pipeline_store
from lockgate.store.child_tables import child_runs
from lockgate.store.tables import pipelines, runs

if TYPE_CHECKING:
    from pathlib import Path

    from lockgate.runtime import Runtime
    from lockgate.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return fast_settings(tmp_path / "home", database_url, subpipeline_max_depth=3)


GREET: dict[str, Any] = {
    "name": "greet",
    "input": {"who": {"type": "string", "required": True}},
    "nodes": [{"id": "hello", "kind": "transform", "config": {"value": "hello {{ input.who }}"}}],
    "output": {"greeting": "{{ nodes.hello.output }}"},
}
SAD: dict[str, Any] = {
    "name": "sad",
    "nodes": [{"id": "boom", "kind": "transform", "config": {"value": "{{ 1 // 0 }}"}}],
}


def _caller(name: str, target: str, input_: dict[str, Any], **config: Any) -> dict[str, Any]:
    return {
        "name": name,
        "input": {"who": {"type": "string", "required": False}},
        "nodes": [
            {"id": "call", "kind": "subpipeline", "config": {"pipeline": target, "input": input_, **config}},
            {"id": "after", "kind": "transform", "config": {"value": "{{ nodes.call.output.greeting }}!"}},
        ],
        "edges": [{"source": "call", "target": "after"}],
    }


def save(runtime: Runtime, *definitions: dict[str, Any]) -> None:
    with runtime.db.write() as conn:
        for definition in definitions:
            pipeline_store.save_version(conn, PipelineSpec.model_validate(definition), datetime.now(UTC))


def runs_of(database_url: str, pipeline: str) -> list[dict[str, Any]]:
    [row] = select_rows(database_url, pipelines, pipelines.c.name == pipeline)
    return select_rows(database_url, runs, runs.c.pipeline_id == row["id"])


async def test_the_child_run_is_an_ordinary_run_and_its_output_is_the_steps(
    settings: Settings, database_url: str
) -> None:
    async with running(settings) as runtime:
        save(runtime, GREET)
        spec = PipelineSpec.model_validate(_caller("outer", "greet", {"who": "{{ input.who }}"}))
        head = await runtime.create_run(spec, {"who": "ada"})
        state = await runtime.wait(head.id)
    assert state.status is RunStatus.SUCCEEDED, state.error
    assert state.steps["call"].output == {"greeting": "hello ada"}
    assert state.output == {"after": "hello ada!"}
    [child] = runs_of(database_url, "greet")
    assert (child["number"], child["status"], child["input"]) == (1, "succeeded", {"who": "ada"})
    [link] = select_rows(database_url, child_runs)
    assert (link["parent_run_id"], link["step_key"], link["attempt"], link["child_run_id"], link["depth"]) == (
        head.id, "call", 1, child["id"], 1
    )  # fmt: skip
    shown = cli(settings.home, database_url, "runs", "show", "outer/v1")
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"greet v1\s+succeeded\s+call\s+1\s+" + child["id"], shown.stdout), shown.stdout
    as_json = json.loads(cli(settings.home, database_url, "runs", "show", "greet/v1", "--json").stdout)
    assert as_json["parent"] == {"id": head.id, "ref": "outer/v1", "status": "succeeded", "step": "call",
                                 "attempt": 1}  # fmt: skip


async def test_a_failed_child_fails_the_step_with_the_child_named(settings: Settings, database_url: str) -> None:
    async with running(settings) as runtime:
        save(runtime, SAD)
        head = await runtime.create_run(PipelineSpec.model_validate(_caller("outer", "sad", {})), {})
        state = await runtime.wait(head.id)
    assert state.status is RunStatus.FAILED
    error = state.steps["call"].error
    assert error is not None and error.kind == "child_run_failed" and "sad v1 failed" in error.message
    assert "after" not in state.steps  # the run failed with the step: nothing after it started
    assert [r["status"] for r in runs_of(database_url, "sad")] == ["failed"]


async def test_refused_children_fail_the_step_naming_the_node(settings: Settings, database_url: str) -> None:
    async with running(settings) as runtime:
        save(runtime, GREET)
        bad_input = await runtime.create_run(PipelineSpec.model_validate(_caller("outer", "greet", {})), {})
        missing = await runtime.create_run(PipelineSpec.model_validate(_caller("lost", "nowhere", {})), {})
        states = [await runtime.wait(bad_input.id), await runtime.wait(missing.id)]
    messages = []
    for state in states:
        error = state.steps["call"].error
        assert state.status is RunStatus.FAILED and error is not None
        assert error.kind == "child_run_refused" and "node 'call'" in error.message, error
        messages.append(error.message)
    assert "who" in messages[0] and "nowhere" in messages[1]
    assert runs_of(database_url, "greet") == []  # a refused child is not created at all


async def test_nesting_past_the_limit_fails_at_run_time(settings: Settings, database_url: str) -> None:
    # A pipeline that calls itself, saved past the compile checks: the depth limit (3) stops it at run time.
    looping = _caller("again", "again", {})
    async with running(settings) as runtime:
        save(runtime, looping)
        head = await runtime.start_run("again")
        state = await runtime.wait(head.id)
    assert state.status is RunStatus.FAILED
    statuses = sorted((r["number"], r["status"]) for r in runs_of(database_url, "again"))
    assert statuses == [(1, "failed"), (2, "failed"), (3, "failed"), (4, "failed")]
    deepest = [r for r in select_rows(database_url, child_runs) if r["depth"] == 4]
    assert [(r["child_run_id"]) for r in deepest] == [None]  # the fourth level was never started


SCRIPTED: dict[str, Any] = {
    "name": "scripted",
    "input": {"who": {"type": "string", "required": True}},
    "nodes": [{"id": "shout", "kind": "script", "inputs": {"who": "{{ input.who }}"},
               "config": {"code": "output = {'greeting': who.upper()}"}}],
    "output": "{{ nodes.shout.output }}",
}  # fmt: skip


async def test_a_childs_steps_run_on_the_executor_in_use(
    executor_settings: dict[str, Any], tmp_path: Path, database_url: str
) -> None:
    # With Celery the child's script runs on a worker; the child itself is started by a runtime, never a handler.
    settings = fast_settings(tmp_path / "home", database_url, **executor_settings)
    async with running(settings) as runtime:
        save(runtime, SCRIPTED)
        spec = PipelineSpec.model_validate(_caller("outer", "scripted", {"who": "{{ input.who }}"}))
        head = await runtime.create_run(spec, {"who": "ada"})
        state = await runtime.wait(head.id)
    assert state.status is RunStatus.SUCCEEDED, state.error
    assert state.output == {"after": "ADA!"}
    assert [r["status"] for r in runs_of(database_url, "scripted")] == ["succeeded"]
