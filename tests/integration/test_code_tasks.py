"""Code tasks in the real runtime (SQLite, and PostgreSQL in its pass).

A pipeline of task nodes runs, routes, retries and times out; each attempt records its code hash, which
can key idempotency.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.helpers import cli, fast_settings, running, select_rows
from tests.tasks_pkg import billing

from lockgate.engine import RunStatus, StepStatus
from lockgate.handlers.code_tasks import CodeTask, CodeTasks, code_hash, load_tasks, task_ref
from lockgate.handlers.registry import default_registry
from lockgate.runtime import Runtime
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.tables import attempts, events

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Sequence
    from pathlib import Path

    from lockgate.engine import RunState
    from lockgate.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

MODULE = "tests.tasks_pkg.billing"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return fast_settings(tmp_path / "home", database_url, tasks=(MODULE,))


def task_node(node_id: str, fn: Callable[..., object], **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": "task", "config": {"ref": task_ref(fn), "code_hash": code_hash(fn)}, **extra}


def pipeline(
    name: str, nodes: list[dict[str, Any]], edges: Sequence[tuple[str, str]] = (), **extra: Any
) -> PipelineSpec:
    return PipelineSpec.model_validate(
        {"name": name, "nodes": nodes, "edges": [{"source": s, "target": t} for s, t in edges], **extra}
    )


async def finish(runtime: Runtime, spec: PipelineSpec, input_: dict[str, Any] | None = None) -> RunState:
    head = await runtime.create_run(spec, input_ or {})
    return await runtime.wait(head.id)


@contextlib.asynccontextmanager
async def running_with(settings: Settings, tasks: CodeTasks) -> AsyncIterator[Runtime]:
    runtime = Runtime(settings, registry=default_registry(tasks))
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop(grace=5)


async def test_task_nodes_run_route_and_record_their_code(settings: Settings, database_url: str) -> None:
    spec = pipeline("invoice", [
        task_node("fetch", billing.fetch, inputs={"order_id": "{{ input.order_id }}"}),
        task_node("total", billing.total_of, inputs={"order": "{{ nodes.fetch.output }}"}),
        task_node("route", billing.route, inputs={"total": "{{ nodes.total.output }}"}),
        {"id": "big", "kind": "transform", "config": {"value": "big {{ nodes.route.output.total }}"}},
        {"id": "small", "kind": "transform", "config": {"value": "small"}},
    ], [("fetch", "total"), ("total", "route"), ("route", "big"), ("route", "small")],
        input={"order_id": {"type": "string"}})  # fmt: skip
    async with running(settings) as runtime:
        state = await finish(runtime, spec, {"order_id": "A-1"})
    assert state.status is RunStatus.SUCCEEDED, state.error
    assert state.steps["fetch"].output == {"order_id": "A-1", "total": 42}
    assert state.steps["route"].output == {"total": 42}
    assert state.steps["big"].output == "big 42"
    assert state.steps["small"].status is StepStatus.SKIPPED
    rows = {r["step_key"]: r for r in select_rows(database_url, attempts, attempts.c.run_id == state.run_id)}
    assert rows["fetch"]["code_hash"] == code_hash(billing.fetch)
    assert rows["route"]["code_hash"] == code_hash(billing.route)
    assert rows["big"]["code_hash"] is None


async def test_an_idempotency_key_with_the_code_hash_reuses_until_the_code_changes(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()

    def spec_for(fn: Callable[..., object]) -> PipelineSpec:
        node = task_node("charge", fn, inputs={"order_id": "{{ input.id }}", "marks": str(marks)},
                         idempotency_key="{{ input.id }}-{{ task.code_hash }}")  # fmt: skip
        node["config"]["ref"] = task_ref(billing.counted)  # v2 is the same task, deployed again
        return pipeline("charges", [node], input={"id": {"type": "string"}})

    v1 = load_tasks([MODULE])
    v2 = CodeTasks()
    v2.add(CodeTask(task_ref(billing.counted), code_hash(billing.counted_v2), billing.counted_v2))
    async with running_with(settings, v1) as runtime:
        first = await finish(runtime, spec_for(billing.counted), {"id": "o-7"})
        again = await finish(runtime, spec_for(billing.counted), {"id": "o-7"})
    async with running_with(settings, v2) as runtime:
        changed = await finish(runtime, spec_for(billing.counted_v2), {"id": "o-7"})
    assert [s.steps["charge"].output for s in (first, again, changed)] == ["ran o-7", "ran o-7", "ran o-7 (v2)"]
    assert sorted(p.name for p in marks.iterdir()) == ["o-7-0", "o-7-1"]  # the code ran twice, not three times
    runs = (first, again, changed)
    hashes = [select_rows(database_url, attempts, attempts.c.run_id == s.run_id)[0]["code_hash"] for s in runs]
    assert hashes == [code_hash(billing.counted), code_hash(billing.counted), code_hash(billing.counted_v2)]
    succeeded = [select_rows(database_url, events, events.c.run_id == s.run_id, events.c.type == "step_succeeded")
                 for s in runs]  # fmt: skip
    assert [e[0]["data"].get("reused", False) for e in succeeded] == [False, True, False]


async def test_a_raising_task_is_retried_per_the_node_policy(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    node = task_node("flaky", billing.flaky, inputs={"marks": str(tmp_path)},
                     retry={"max_attempts": 2, "initial_delay": "50ms"})  # fmt: skip
    async with running(settings) as runtime:
        state = await finish(runtime, pipeline("flaky", [node]))
    assert state.status is RunStatus.SUCCEEDED and state.steps["flaky"].output == "steady"
    tries = select_rows(database_url, attempts, attempts.c.run_id == state.run_id)
    assert [(a["status"], (a["error"] or {}).get("kind")) for a in sorted(tries, key=lambda a: a["number"])] == [
        ("failed", "task_error"), ("succeeded", None)]  # fmt: skip
    first = min(tries, key=lambda a: a["number"])
    assert first["error"]["message"] == "ConnectionError: the ledger is away"


async def test_the_node_timeout_abandons_a_task_and_fails_the_step(settings: Settings, tmp_path: Path) -> None:
    release = tmp_path / "release"
    node = task_node("hold", billing.hold, inputs={"release": str(release)}, timeout="500ms")
    try:
        async with running(settings) as runtime:
            state = await finish(runtime, pipeline("held", [node]))
    finally:
        release.touch()  # the abandoned thread ends
    assert state.status is RunStatus.FAILED
    error = state.steps["hold"].error
    assert error is not None and error.kind == "timeout"


async def test_wrong_inputs_and_unknown_refs_fail_clearly(settings: Settings) -> None:
    bad_args = task_node("fetch", billing.fetch, inputs={"order": "A-1"}, on_error="continue")
    unknown = {"id": "other", "kind": "task", "on_error": "continue",
               "config": {"ref": "tests.tasks_pkg.elsewhere:fetch", "code_hash": "0" * 64}}  # fmt: skip
    async with running(settings) as runtime:
        state = await finish(runtime, pipeline("broken", [bad_args, unknown]))
    fetch_error, other_error = state.steps["fetch"].error, state.steps["other"].error
    assert fetch_error is not None and fetch_error.kind == "task_arguments" and not fetch_error.retryable
    assert "missing input 'order_id'" in fetch_error.message and "input 'order' is not" in fetch_error.message
    assert other_error is not None and other_error.kind == "task_not_registered"
    assert MODULE in other_error.message  # what this process loaded


@pytest.mark.parametrize("command", ["worker", "serve"])
def test_a_task_module_that_fails_to_import_stops_the_process_naming_it(tmp_path: Path, command: str) -> None:
    done = cli(tmp_path, None, command, "--tasks", MODULE, "--tasks", "tests.tasks_pkg.no_such_module", timeout=60)
    assert done.returncode != 0
    assert "'tests.tasks_pkg.no_such_module'" in done.stderr and "Traceback" not in done.stderr
    assert f"task {task_ref(billing.fetch)} code" not in done.stdout  # nothing half-registered is announced
