"""The runtime's seams: an executor injected from outside, services attached as hooks."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from tests.integration.helpers import fast_settings, running, select_rows

from lockgate.artifacts.layout import ArtifactLayout
from lockgate.engine import RunStatus
from lockgate.errors import ConflictError, InvalidInputError, NotFoundError
from lockgate.executors.factory import build_executor
from lockgate.handlers.registry import default_registry
from lockgate.runtime import Runtime
from lockgate.runtime.hooks import Boot, Hook
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.tables import attempts, events, runs

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy import Connection

    from lockgate.engine.commands import DispatchStep
    from lockgate.executors.base import Executor, ExecutorLink
    from lockgate.runtime.applier import Applied
    from lockgate.settings import Settings
    from lockgate.store.runs import RunHead

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return fast_settings(tmp_path / "home", database_url)


PIPELINE = PipelineSpec.model_validate({
    "name": "relay",
    "input": {"n": {"type": "integer", "required": True}},
    "nodes": [
        {"id": "double", "kind": "script", "inputs": {"n": "{{ input.n }}"}, "config": {"code": "output = n * 2"}},
        {"id": "shape", "kind": "transform", "config": {"value": {"value": "{{ nodes.double.output }}"}}},
        {"id": "square", "kind": "script", "inputs": {"v": "{{ nodes.shape.output.value }}"},
         "config": {"code": "output = v * v"}},
    ],
    "edges": [{"source": "double", "target": "shape"}, {"source": "shape", "target": "square"}],
})  # fmt: skip


class RecordingExecutor:
    """An executor of the test's own: it records what it is asked to do and hands the work to a local one."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.link: ExecutorLink | None = None
        self.submitted: list[str] = []
        self.stopped = False

    async def start(self, link: ExecutorLink) -> None:
        self.link = link
        await self.inner.start(link)

    def submit(self, command: DispatchStep) -> None:
        self.submitted.append(f"{command.step}#{command.attempt}")
        self.inner.submit(command)

    def cancel(self, run_id: str, step: str, attempt: int) -> None:
        self.inner.cancel(run_id, step, attempt)

    @property
    def in_flight(self) -> int:
        return self.inner.in_flight

    async def stop(self, grace: float) -> None:
        self.stopped = True
        await self.inner.stop(grace)


class Witness(Hook):
    """A service attached from outside: what the runtime tells it, in order."""

    def __init__(self) -> None:
        self.heard: list[str] = []
        self.worker = ""

    async def on_start(self, boot: Boot) -> None:
        self.worker = boot.worker
        self.heard.append("start")

    def after_commit(self, applied: Applied) -> None:
        self.heard.append(applied.event.type)

    async def on_stop(self) -> None:
        self.heard.append("stop")


async def test_a_runtime_runs_its_steps_on_the_executor_it_is_given(settings: Settings) -> None:
    registry = default_registry()
    executor = RecordingExecutor(build_executor(settings, registry, ArtifactLayout(settings.home)))
    runtime = Runtime(settings, executor=executor, registry=registry)
    witness = Witness()
    runtime.add_hook(witness)
    await runtime.start()
    try:
        head = await runtime.create_run(PIPELINE, {"n": 3})
        state = await asyncio.wait_for(runtime.wait(head.id), 60)
    finally:
        await runtime.stop()
    assert state.status is RunStatus.SUCCEEDED and state.steps["square"].output == 36
    assert executor.submitted == ["double#1", "square#1"]  # the transform is evaluated inline, never submitted
    assert executor.link is not None and executor.link.worker == runtime.worker == witness.worker
    assert executor.stopped
    # told once at start, after each committed transition (inline results included), once at stop
    assert witness.heard[0] == "start" and witness.heard[-1] == "stop"
    committed = witness.heard[1:-1]
    assert committed[0] == "run_started"
    assert committed.count("step_succeeded") == 3 and committed.count("step_started") == 2


def _written(database_url: str) -> tuple[int, int, int]:
    return (
        len(select_rows(database_url, runs)),
        len(select_rows(database_url, events)),
        len(select_rows(database_url, attempts)),
    )


async def test_a_run_refused_at_start_leaves_nothing_behind(settings: Settings, database_url: str) -> None:
    def seen_before(conn: Connection, head: RunHead) -> None:
        raise ConflictError(f"delivery seen before (run {head.number} is undone)")

    async with running(settings) as runtime:
        with pytest.raises(InvalidInputError) as refused:
            await runtime.start_run(PIPELINE, None, {"n": "three", "colour": "red"})
        assert refused.value.problems == ["input.colour: not a declared input field",
                                          "input.n: expected integer, got str"]  # fmt: skip
        with pytest.raises(ConflictError):  # raised after the insert: the transaction undoes the run
            await runtime.start_run(PIPELINE, None, {"n": 1}, claim=seen_before)
        assert _written(database_url) == (0, 0, 0)

        head = await runtime.start_run(PIPELINE, None, {"n": 1})
        # started in the transaction that created it: no pending run for recovery to find
        (row,) = select_rows(database_url, runs)
        assert (row["status"], row["last_seq"], row["input"]) == ("running", 1, {"n": 1})
        assert head.number == 1  # the refused ones took no number
        await asyncio.wait_for(runtime.wait(head.id), 60)


async def test_runs_started_at_once_share_a_commit_and_a_refused_one_is_undone_alone(
    settings: Settings, database_url: str
) -> None:
    def seen_before(conn: Connection, head: RunHead) -> None:
        raise ConflictError(f"delivery seen before (run {head.number} is undone)")

    async with running(settings) as runtime:
        outcomes = await asyncio.gather(
            runtime.start_run(PIPELINE, None, {"n": 1}),
            runtime.start_run(PIPELINE, None, {"n": "two"}),
            runtime.start_run(PIPELINE, None, {"n": 3}, claim=seen_before),
            runtime.start_run(PIPELINE, None, {"n": 4}),
            return_exceptions=True,
        )
        first, bad_input, claimed, fourth = outcomes
        assert isinstance(bad_input, InvalidInputError) and isinstance(claimed, ConflictError)
        assert not isinstance(first, BaseException) and not isinstance(fourth, BaseException)
        assert (first.number, fourth.number) == (1, 2)  # the refused ones took no number
        states = [await asyncio.wait_for(runtime.wait(h.id), 60) for h in (first, fourth)]
    assert [s.steps["square"].output for s in states] == [4, 64]
    assert sorted(row["number"] for row in select_rows(database_url, runs)) == [1, 2]


async def test_a_stored_pipeline_starts_by_name_and_version(settings: Settings) -> None:
    async with running(settings) as runtime:
        first = await runtime.start_run(PIPELINE, None, {"n": 1})
        again = await runtime.start_run("relay", 1, {"n": 2})
        latest = await runtime.start_run("relay", None, {"n": 3})
        with pytest.raises(NotFoundError):
            await runtime.start_run("relay", 7, {"n": 1})
        with pytest.raises(InvalidInputError, match=r"input\.n: required"):
            await runtime.start_run("relay", None, {})
        states = [await asyncio.wait_for(runtime.wait(h.id), 60) for h in (first, again, latest)]
    assert [(s.number, s.steps["square"].output) for s in states] == [(1, 4), (2, 16), (3, 36)]
