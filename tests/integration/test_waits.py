"""Wait nodes are engine timers.

A three-day wait holds no worker slot and no process, survives a restart of the runtime and fires when its time
comes (a clock the test moves, never a sleep); a short one survives a SIGKILLed ``lockgate run`` and fires on time
after ``lockgate resume``.
"""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from tests.integration.helpers import cli, fast_settings, poll, poll_async, select_rows, spawn_cli, write_pipeline

from lockgate.engine import RunStatus, StepStatus
from lockgate.runtime import Runtime
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.tables import attempts, runs, steps, timers

if TYPE_CHECKING:
    from pathlib import Path

    from lockgate.settings import Settings

pytestmark = pytest.mark.anyio

THREE_DAYS = timedelta(days=3)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class MovableClock:
    """The runtime's clock, moved by the test: three days pass in an instant."""

    def __init__(self) -> None:
        self.at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # One slot: the script beside the wait runs only if the wait holds none.
    return fast_settings(tmp_path / "home", database_url, max_concurrency=1)


SPEC: dict[str, Any] = {
    "name": "waits",
    "nodes": [
        {"id": "nap", "kind": "wait", "config": {"duration": "3d"}},
        {"id": "after", "kind": "noop", "inputs": {"woke": "{{ nodes.nap.output.waited_until }}"}},
        {"id": "beside", "kind": "script", "start": True, "config": {"code": "output = 'ran while the wait waited'"}},
    ],
    "edges": [{"source": "nap", "target": "after"}],
}


async def _state_of(runtime: Runtime, run_id: str, step: str, status: StepStatus) -> bool:
    state = await runtime.run_state(run_id)
    return step in state.steps and state.steps[step].status is status


async def test_a_three_day_wait_holds_no_slot_survives_a_restart_and_fires_on_time(
    settings: Settings, database_url: str
) -> None:
    clock = MovableClock()
    first = Runtime(settings, clock=clock)
    await first.start()
    try:
        head = await first.create_run(PipelineSpec.model_validate(SPEC), {})
        await poll_async(lambda: _state_of(first, head.id, "beside", StepStatus.SUCCEEDED), what="the script beside")
        state = await first.run_state(head.id)
        nap = state.steps["nap"]
        assert nap.status is StepStatus.WAITING and first.executor.in_flight == 0
        wake_at = clock.at + THREE_DAYS  # counted from its dispatch, at the clock's time
        assert nap.wake_at == wake_at
    finally:
        await first.stop(grace=5)
    assert select_rows(database_url, attempts, attempts.c.step_key == "nap") == []  # nothing ever ran it
    [row] = select_rows(database_url, timers, timers.c.step_key == "nap")
    assert (row["purpose"], row["fire_at"].replace(tzinfo=UTC)) == ("wake", wake_at)

    clock.at = wake_at - timedelta(minutes=1)  # a minute early: the restarted runtime knows of the wait
    second = Runtime(settings, clock=clock)
    await second.start()
    try:
        await poll_async(lambda: _state_of(second, head.id, "nap", StepStatus.WAITING), what="the wait, recovered")
        clock.at = wake_at + timedelta(milliseconds=1)
        state = await asyncio.wait_for(second.wait(head.id), 30)
    finally:
        await second.stop(grace=5)
    assert state.status is RunStatus.SUCCEEDED
    nap = state.steps["nap"]
    assert nap.output == {"waited_until": wake_at.isoformat()}
    assert nap.finished_at is not None and nap.finished_at >= wake_at  # not a moment before its time
    assert state.steps["after"].output == {"woke": wake_at.isoformat()}
    assert select_rows(database_url, timers, timers.c.run_id == head.id) == []


NAP: dict[str, Any] = {
    "name": "napping",
    "nodes": [{"id": "nap", "kind": "wait", "config": {"duration": "3s"}}, {"id": "after", "kind": "noop"}],
    "edges": [{"source": "nap", "target": "after"}],
}


def _statuses(database_url: str) -> list[str]:
    try:
        return [r["status"] for r in select_rows(database_url, steps)]
    except (sa.exc.OperationalError, sa.exc.ProgrammingError):  # no tables yet (SQLite, PostgreSQL)
        return []


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def test_a_wait_survives_a_sigkilled_process_and_fires_at_its_time(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "home"
    file = write_pipeline(tmp_path, NAP)
    proc = spawn_cli(home, database_url, "run", str(file), "-q", log=tmp_path / "run.log")
    try:
        poll(lambda: proc.poll() is None and _statuses(database_url) == ["waiting"], what="the wait to begin")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    [run] = select_rows(database_url, runs)
    assert run["status"] == "running"

    resumed = cli(home, database_url, "resume", run["id"], "-q", timeout=50)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    nap = {r["key"]: r for r in select_rows(database_url, steps)}["nap"]
    wake_at = _aware(nap["queued_at"]) + timedelta(seconds=3)  # from its first dispatch, by the killed process
    assert nap["status"] == "succeeded" and nap["output"] == {"waited_until": wake_at.isoformat()}
    assert _aware(nap["finished_at"]) >= wake_at
    assert select_rows(database_url, attempts, attempts.c.step_key == "nap") == []
