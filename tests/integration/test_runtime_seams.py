"""The runtime's seams: an executor injected from outside, services attached as hooks."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from tests.integration.helpers import fast_settings

from lockgate.artifacts.layout import ArtifactLayout
from lockgate.engine import RunStatus
from lockgate.executors.factory import build_executor
from lockgate.handlers.registry import default_registry
from lockgate.runtime import Runtime
from lockgate.runtime.hooks import Boot, Hook
from lockgate.spec.pipeline import PipelineSpec

if TYPE_CHECKING:
    from pathlib import Path

    from lockgate.engine.commands import DispatchStep
    from lockgate.executors.base import Executor, ExecutorLink
    from lockgate.runtime.applier import Applied
    from lockgate.settings import Settings

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
