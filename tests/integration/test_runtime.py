"""The runtime end to end: real subprocesses, real files, a real database (SQLite and PostgreSQL).

Each body runs with the local executor and, on PostgreSQL, with Celery: steps then run in a real
``lockgate worker`` over Redis (the ``executor`` fixture, tests/integration/conftest.py).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.helpers import (
    contiguous_seqs,
    fast_settings,
    pid_alive,
    poll_async,
    running,
    select_rows,
    sha256,
)

from lockgate.engine import RunCancelled, RunPaused, RunResumed, RunStatus, StepStatus
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.tables import artifacts, attempts, events, steps, timers

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from lockgate.engine import RunState
    from lockgate.runtime import Runtime
    from lockgate.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path, database_url: str, executor_settings: dict[str, Any]) -> Settings:
    """Local executor, or Celery with a worker (tests/integration/conftest.py): the same bodies either way."""
    return fast_settings(tmp_path / "home", database_url, **executor_settings)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder the scripts share with the test (markers, pid files, side effects)."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def spec(name: str, nodes: list[dict[str, Any]], edges: Sequence[tuple[str, str]] = (), **extra: Any) -> PipelineSpec:
    return PipelineSpec.model_validate(
        {"name": name, "nodes": nodes, "edges": [{"source": s, "target": t} for s, t in edges], **extra}
    )


def script(node_id: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": "script", "config": {"code": code}, **extra}


# A script that records its pid, then waits (up to 30 s) for a release file: the test decides when it ends.
WAIT_FOR_RELEASE = """
import os, time
from pathlib import Path
Path(work, f"{name}.pid").write_text(str(os.getpid()))
deadline = time.monotonic() + 30
while not Path(work, f"{name}.release").exists() and time.monotonic() < deadline:
    time.sleep(0.02)
output = name
"""


def event_seqs_are_contiguous(database_url: str, run_id: str) -> None:
    seqs = contiguous_seqs(database_url)[run_id]
    assert seqs == list(range(1, len(seqs) + 1))


async def wait_for(runtime: Runtime, run_id: str, limit: float = 45) -> RunState:
    return await asyncio.wait_for(runtime.wait(run_id), limit)


async def test_linear_pipeline_succeeds_and_projections_match(settings: Settings, database_url: str) -> None:
    pipeline = spec(
        "linear",
        [
            script("one", "output = {'n': n + 1}", inputs={"n": "{{ input.n }}"}),
            script("two", "output = n * 10", inputs={"n": "{{ nodes.one.output.n }}"}),
            {"id": "three", "kind": "transform", "config": {"value": {"total": "{{ nodes.two.output + 1 }}"}}},
        ],
        [("one", "two"), ("two", "three")],
        input={"n": {"type": "integer"}},
    )
    async with running(settings) as runtime:
        head = await runtime.create_run(pipeline, {"n": 4})
        state = await wait_for(runtime, head.id)
    assert head.number == 1
    assert state.status is RunStatus.SUCCEEDED
    assert {k: s.output for k, s in state.steps.items()} == {"one": {"n": 5}, "two": 50, "three": {"total": 51}}

    rows = {r["key"]: r for r in select_rows(database_url, steps, steps.c.run_id == head.id)}
    assert {k: (r["status"], r["attempt"], r["output"]) for k, r in rows.items()} == {
        "one": ("succeeded", 1, {"n": 5}),
        "two": ("succeeded", 1, 50),
        "three": ("succeeded", 1, {"total": 51}),
    }
    tries = select_rows(database_url, attempts, attempts.c.run_id == head.id)
    # the transform is evaluated inline: only the scripts went through an executor, each once
    assert {(a["step_key"], a["number"], a["status"]) for a in tries} >= {("one", 1, "succeeded"),
                                                                           ("two", 1, "succeeded")}  # fmt: skip
    assert all(a["status"] == "succeeded" and a["finished_at"] is not None for a in tries)
    event_seqs_are_contiguous(database_url, head.id)


async def test_for_each_fan_out_keeps_item_order(settings: Settings, database_url: str) -> None:
    items = list(range(200))
    pipeline = spec(
        "fan",
        [
            {"id": "make", "kind": "transform", "config": {"value": items}},
            script("square", "output = x * x", for_each="{{ nodes.make.output }}", max_parallel=8,
                   inputs={"x": "{{ item }}"}),
            {"id": "collect", "kind": "transform", "config": {"value": "{{ nodes.square.output }}"}},
        ],
        [("make", "square"), ("square", "collect")],
    )  # fmt: skip
    async with running(settings) as runtime:
        head = await runtime.create_run(pipeline, {})
        state = await wait_for(runtime, head.id, limit=55)
    assert state.status is RunStatus.SUCCEEDED
    assert state.steps["collect"].output == [x * x for x in items]
    rows = select_rows(database_url, steps, steps.c.run_id == head.id, steps.c.node_id == "square")
    by_index = {r["item_index"]: r["output"] for r in rows if r["item_index"] is not None}
    assert by_index == {x: x * x for x in items}
    event_seqs_are_contiguous(database_url, head.id)


async def test_retry_after_a_retryable_exit_waits_for_its_backoff(
    settings: Settings, database_url: str, work: Path
) -> None:
    code = """
import sys
from pathlib import Path
marker = Path(work, "failed-once")
if not marker.exists():
    marker.write_text("x")
    sys.exit(75)
output = "second time lucky"
"""
    retry = {"max_attempts": 3, "initial_delay": "1s", "jitter": 0}
    pipeline = spec("retry", [script("flaky", code, inputs={"work": str(work)}, retry=retry)])
    async with running(settings) as runtime:
        head = await runtime.create_run(pipeline, {})

        def timer_rows() -> list[dict[str, Any]]:
            return select_rows(database_url, timers, timers.c.run_id == head.id)

        pending = await poll_async(lambda: timer_rows() or None, deadline_s=20, what="the backoff timer row")
        state = await wait_for(runtime, head.id)
    assert [(t["step_key"], t["attempt"], t["purpose"]) for t in pending] == [("flaky", 1, "retry")]
    assert state.status is RunStatus.SUCCEEDED
    assert state.steps["flaky"].output == "second time lucky"
    tries = sorted(select_rows(database_url, attempts, attempts.c.run_id == head.id), key=lambda a: a["number"])
    assert [(a["number"], a["status"]) for a in tries] == [(1, "failed"), (2, "succeeded")]
    assert tries[0]["error"]["kind"] == "script_retry"
    backoff = (tries[1]["queued_at"] - tries[0]["finished_at"]).total_seconds()
    assert 0.8 <= backoff < 10, backoff
    assert select_rows(database_url, timers, timers.c.run_id == head.id) == []  # fired and gone
    fired = select_rows(database_url, events, events.c.run_id == head.id, events.c.type == "timer_fired")
    assert [e["data"]["purpose"] for e in fired] == ["retry"]
    event_seqs_are_contiguous(database_url, head.id)


async def test_timeout_kills_the_script(settings: Settings, database_url: str, work: Path) -> None:
    code = """
import os, time
from pathlib import Path
Path(work, "sleeper.pid").write_text(str(os.getpid()))
time.sleep(30)
"""
    node = script("sleeper", code, inputs={"work": str(work)}, timeout="1s", retry={"max_attempts": 1})
    async with running(settings) as runtime:
        head = await runtime.create_run(spec("timeout", [node]), {})
        state = await wait_for(runtime, head.id, limit=20)
    assert state.status is RunStatus.FAILED
    step = state.steps["sleeper"]
    assert step.status is StepStatus.FAILED
    assert step.error is not None and step.error.kind == "timeout"
    pid = int((work / "sleeper.pid").read_text())
    # At once with the local executor; a Celery worker learns of it within its 0.25 s check of ended attempts.
    await poll_async(lambda: not pid_alive(pid), deadline_s=2, what="the timed-out script to be killed")
    tries = select_rows(database_url, attempts, attempts.c.run_id == head.id)
    assert [(a["number"], a["status"], a["error"]["kind"]) for a in tries] == [(1, "failed", "timeout")]
    event_seqs_are_contiguous(database_url, head.id)


async def test_pause_holds_successors_and_resume_goes_on(settings: Settings, database_url: str, work: Path) -> None:
    pipeline = spec(
        "pausing",
        [
            script("slow", WAIT_FOR_RELEASE, inputs={"work": str(work), "name": "slow"}),
            script("after", "output = 'after'"),
        ],
        [("slow", "after")],
    )
    async with running(settings) as runtime:
        head = await runtime.create_run(pipeline, {})
        await poll_async(lambda: (work / "slow.pid").exists(), what="the slow step to start")
        await runtime.apply(head.id, RunPaused(by="test"))
        (work / "slow.release").touch()  # a running step finishes while paused

        async def slow_done() -> bool:
            return (await runtime.run_state(head.id)).steps["slow"].status is StepStatus.SUCCEEDED

        await poll_async(slow_done, what="the slow step to finish")
        await asyncio.sleep(0.4)  # the successor would be dispatched at once if pause did not hold it
        paused = await runtime.run_state(head.id)
        assert paused.status is RunStatus.PAUSED
        assert "after" not in paused.steps or paused.steps["after"].status is StepStatus.PENDING
        assert not [a for a in select_rows(database_url, attempts, attempts.c.run_id == head.id)
                    if a["step_key"] == "after"]  # fmt: skip

        await runtime.apply(head.id, RunResumed(by="test"))
        state = await wait_for(runtime, head.id)
    assert state.status is RunStatus.SUCCEEDED
    assert state.steps["after"].output == "after"
    types = [e["type"] for e in sorted(select_rows(database_url, events, events.c.run_id == head.id),
                                       key=lambda e: e["seq"])]  # fmt: skip
    assert types.index("run_paused") < types.index("run_resumed")
    event_seqs_are_contiguous(database_url, head.id)


async def test_cancel_kills_the_running_script(settings: Settings, database_url: str, work: Path) -> None:
    pipeline = spec(
        "cancelling",
        [
            script("slow", WAIT_FOR_RELEASE, inputs={"work": str(work), "name": "slow"}),
            script("after", "output = 'after'"),
        ],
        [("slow", "after")],
    )
    async with running(settings) as runtime:
        head = await runtime.create_run(pipeline, {})
        # the script creates the file, then writes its pid: wait for the pid, not for the empty file
        pid_file = work / "slow.pid"
        pid = int(await poll_async(lambda: (pid_file.exists() and pid_file.read_text()) or None, what="its pid"))
        assert pid_alive(pid)
        await runtime.apply(head.id, RunCancelled(by="test", reason="enough"))
        state = await wait_for(runtime, head.id)
        await poll_async(lambda: not pid_alive(pid), deadline_s=10, what="the script to be killed")
    assert state.status is RunStatus.CANCELLED
    assert state.steps["slow"].status is StepStatus.CANCELLED
    assert "after" not in state.steps or state.steps["after"].status in {StepStatus.PENDING, StepStatus.CANCELLED,
                                                                         StepStatus.SKIPPED}  # fmt: skip
    tries = select_rows(database_url, attempts, attempts.c.run_id == head.id)
    assert [(a["step_key"], a["status"]) for a in tries] == [("slow", "cancelled")]
    event_seqs_are_contiguous(database_url, head.id)


async def test_on_error_continue_lets_successors_see_the_error(settings: Settings, database_url: str) -> None:
    pipeline = spec(
        "tolerant",
        [
            script("bad", "import sys\nsys.exit(3)", on_error="continue"),
            {"id": "report", "kind": "transform",
             "config": {"value": {"status": "{{ nodes.bad.status }}", "kind": "{{ nodes.bad.error.kind }}"}}},
        ],
        [("bad", "report")],
    )  # fmt: skip
    async with running(settings) as runtime:
        head = await runtime.create_run(pipeline, {})
        state = await wait_for(runtime, head.id)
    assert state.steps["bad"].status is StepStatus.FAILED
    assert state.steps["report"].status is StepStatus.SUCCEEDED
    assert state.steps["report"].output == {"status": "failed", "kind": "script_exit"}
    assert state.status is RunStatus.SUCCEEDED
    rows = {r["key"]: r for r in select_rows(database_url, steps, steps.c.run_id == head.id)}
    assert rows["bad"]["status"] == "failed"
    assert rows["bad"]["error"]["kind"] == "script_exit"
    event_seqs_are_contiguous(database_url, head.id)


async def test_artifacts_are_promoted_hashed_and_failures_kept(settings: Settings, database_url: str) -> None:
    writer = """
from pathlib import Path
Path("report.txt").write_text("hello artifacts\\n")
Path("data").mkdir()
Path("data/values.json").write_text('{"a": 1}')
output = "written"
"""
    pipeline = spec(
        "files",
        [
            script("writer", writer),
            script("broken", "open('partial.txt', 'w').write('half')\nraise SystemExit(4)", on_error="continue"),
        ],
        [("writer", "broken")],
    )
    async with running(settings) as runtime:
        head = await runtime.create_run(pipeline, {})
        state = await wait_for(runtime, head.id)
    assert state.status is RunStatus.SUCCEEDED
    pipeline_dir = settings.home / "pipelines" / "files"
    run_dir = pipeline_dir / "runs" / "v1"
    rows = select_rows(database_url, artifacts, artifacts.c.run_id == head.id)
    assert sorted((r["step_key"], r["name"]) for r in rows) == [("writer", "data/values.json"),
                                                                 ("writer", "report.txt")]  # fmt: skip
    for row in rows:
        path = run_dir / row["path"]
        assert path.is_relative_to(run_dir / "writer")
        assert row["sha256"] == sha256(path)
        assert row["size"] == path.stat().st_size
    assert (run_dir / "writer" / "report.txt").read_text() == "hello artifacts\n"
    latest = pipeline_dir / "runs" / "latest"
    assert latest.is_symlink() and latest.resolve() == run_dir.resolve()
    errored = list((pipeline_dir / ".errored").iterdir())
    assert len(errored) == 1 and errored[0].name.startswith("exec_v1_broken_1_")
    assert (errored[0] / "partial.txt").read_text() == "half"
    assert not (run_dir / "broken").exists()
    assert not [p for p in (pipeline_dir / ".temp").glob("*") if p.exists()]  # no workspace left in flight


async def test_idempotency_key_reuses_the_recorded_output(settings: Settings, database_url: str, work: Path) -> None:
    code = """
from pathlib import Path
with Path(work, "side-effects.log").open("a") as log:
    log.write(key + "\\n")
output = {"charged": key}
"""
    node = script("charge", code, inputs={"work": str(work), "key": "{{ input.key }}"},
                  idempotency_key="charge-{{ input.key }}")  # fmt: skip
    pipeline = spec("payments", [node], input={"key": {"type": "string"}})
    async with running(settings) as runtime:
        first = await runtime.create_run(pipeline, {"key": "order-7"})
        state1 = await wait_for(runtime, first.id)
        second = await runtime.create_run(pipeline, {"key": "order-7"})
        state2 = await wait_for(runtime, second.id)
        third = await runtime.create_run(pipeline, {"key": "order-8"})
        state3 = await wait_for(runtime, third.id)
    assert (first.number, second.number, third.number) == (1, 2, 3)
    assert state1.status is state2.status is state3.status is RunStatus.SUCCEEDED
    assert state1.steps["charge"].output == state2.steps["charge"].output == {"charged": "order-7"}
    assert state3.steps["charge"].output == {"charged": "order-8"}
    assert (work / "side-effects.log").read_text().splitlines() == ["order-7", "order-8"]
    reused = select_rows(database_url, events, events.c.run_id == second.id, events.c.type == "step_succeeded")
    assert [e["data"]["reused"] for e in reused] == [True]


async def test_replayed_state_equals_the_live_state(settings: Settings, database_url: str, work: Path) -> None:
    code = """
import sys
from pathlib import Path
marker = Path(work, f"failed-{item}")
if item % 3 == 0 and not marker.exists():
    marker.write_text("x")
    sys.exit(75)
output = {"item": item}
"""
    pipeline = spec(
        "replayed",
        [
            {"id": "make", "kind": "transform", "config": {"value": list(range(6))}},
            script("each", code, for_each="{{ nodes.make.output }}", max_parallel=3,
                   inputs={"work": str(work), "item": "{{ item }}"},
                   retry={"max_attempts": 2, "initial_delay": "100ms"}),
            script("bad", "raise SystemExit(2)", on_error="continue"),
            {"id": "end", "kind": "noop"},
        ],
        [("make", "each"), ("each", "bad"), ("bad", "end")],
    )  # fmt: skip
    async with running(settings) as runtime:
        head = await runtime.create_run(pipeline, {})
        await wait_for(runtime, head.id)
        live = await runtime.run_state(head.id)
    async with running(settings) as fresh:
        replayed = await fresh.run_state(head.id)
    assert live.status is RunStatus.SUCCEEDED
    assert replayed == live
    assert replayed.steps == live.steps


async def test_a_node_named_like_a_mapping_method_is_reachable(settings: Settings) -> None:
    pipeline = spec(
        "named",
        [
            {"id": "items", "kind": "transform", "config": {"value": [1, 2]}},
            {"id": "count", "kind": "transform", "config": {"value": "{{ nodes.items.output | length }}"}},
        ],
        [("items", "count")],
    )
    async with running(settings) as runtime:
        head = await runtime.create_run(pipeline, {})
        state = await wait_for(runtime, head.id)
    assert state.status is RunStatus.SUCCEEDED
    assert state.steps["count"].output == 2
