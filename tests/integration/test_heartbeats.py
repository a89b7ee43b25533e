"""Heartbeats at a third of the node's heartbeat_timeout.

A healthy step outlives a timeout of two seconds; with ``heartbeat: script`` only the script's own
heartbeats count, so a silent one is found.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.helpers import fast_settings, poll_async, select_rows

from lockgate.engine import RunStatus, StepStatus
from lockgate.runtime import Runtime
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.tables import attempts, events

if TYPE_CHECKING:
    from pathlib import Path

    from lockgate.settings import Settings

pytestmark = pytest.mark.anyio

TIMEOUT = "2s"
# Runs until the test drops a release file: the test decides how long, by what it has seen.
HOLD = """
import time
from pathlib import Path
while not Path(work, "release").exists():
    time.sleep(0.02)
output = "healthy"
"""
BEATING = """
import time, lockgate_step
from pathlib import Path
n = 0
while not Path(work, "release").exists():
    n += 1
    lockgate_step.heartbeat({"n": n})
    time.sleep(0.3)
output = n
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return fast_settings(tmp_path / "home", database_url)


def _spec(name: str, code: str, **config: Any) -> PipelineSpec:
    node = {"id": "long", "kind": "script", "heartbeat_timeout": TIMEOUT, "retry": {"max_attempts": 1},
            "inputs": {"work": "{{ input.work }}"}, "config": {"code": code, **config}}  # fmt: skip
    return PipelineSpec.model_validate({"name": name, "nodes": [node]})


def _beats(database_url: str, run_id: str) -> list[dict[str, Any]]:
    rows = select_rows(database_url, events, events.c.run_id == run_id, events.c.type == "step_heartbeat")
    return [row["data"] for row in rows]


async def _run_until_beats(runtime: Runtime, database_url: str, spec: PipelineSpec, work: Path, beats: int) -> Any:
    head = await runtime.create_run(spec, {"work": str(work)})
    # Seven heartbeats two thirds of a second apart: the step has run twice its heartbeat_timeout, and is alive.
    await poll_async(lambda: len(_beats(database_url, head.id)) >= beats, what=f"{beats} heartbeats")
    (work / "release").touch()
    return head, await asyncio.wait_for(runtime.wait(head.id), 30)


async def test_a_healthy_script_outlives_a_short_heartbeat_timeout(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    runtime = Runtime(settings)
    await runtime.start()
    try:
        head, state = await _run_until_beats(runtime, database_url, _spec("healthy", HOLD), tmp_path, 7)
    finally:
        await runtime.stop(grace=5)
    assert state.status is RunStatus.SUCCEEDED, state.error
    step = state.steps["long"]
    assert (step.output, step.attempt) == ("healthy", 1)
    assert step.finished_at is not None and step.started_at is not None
    assert (step.finished_at - step.started_at).total_seconds() > 4  # twice its heartbeat_timeout
    assert [r["status"] for r in select_rows(database_url, attempts, attempts.c.run_id == head.id)] == ["succeeded"]


async def test_a_script_that_beats_itself_lives_and_its_details_are_recorded(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    runtime = Runtime(settings)
    await runtime.start()
    try:
        head, state = await _run_until_beats(runtime, database_url, _spec("own", BEATING, heartbeat="script"),
                                             tmp_path, 6)  # fmt: skip
    finally:
        await runtime.stop(grace=5)
    assert state.status is RunStatus.SUCCEEDED, state.error
    details = [beat["details"] for beat in _beats(database_url, head.id)]
    assert all(isinstance(d, dict) and d["n"] >= 1 for d in details)  # only the script's: Lockgate's carry none
    numbers = [d["n"] for d in details if isinstance(d, dict)]
    assert numbers == sorted(numbers)


async def test_with_heartbeat_script_a_silent_script_fails_its_heartbeat_timeout(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    runtime = Runtime(settings)
    await runtime.start()
    try:
        head = await runtime.create_run(_spec("silent", HOLD, heartbeat="script"), {"work": str(tmp_path)})
        state = await asyncio.wait_for(runtime.wait(head.id), 30)
    finally:
        (tmp_path / "release").touch()
        await runtime.stop(grace=5)
    assert state.status is RunStatus.FAILED
    step = state.steps["long"]
    assert step.status is StepStatus.FAILED and step.error is not None
    assert step.error.kind == "heartbeat_timeout"
    assert _beats(database_url, head.id) == []
