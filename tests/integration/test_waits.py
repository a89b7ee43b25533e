"""Wait nodes are engine timers.

A three-day wait holds no worker slot and no process, survives a restart of the runtime and fires when its time
comes (a clock the test moves, never a sleep).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.helpers import fast_settings, poll_async, select_rows

from lockgate.engine import RunStatus, StepStatus
from lockgate.runtime import Runtime
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.tables import attempts, timers

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
        {"id": "beside", "kind": "script", "config": {"code": "output = 'ran while the wait waited'"}},
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
