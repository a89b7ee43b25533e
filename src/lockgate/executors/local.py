"""The default executor: asyncio tasks in this process (scripts run as subprocesses), bounded concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lockgate.engine.events import Event, StepStarted
from lockgate.executors.attempts import AttemptRunner
from lockgate.executors.base import ExecutorLink

if TYPE_CHECKING:
    from lockgate.artifacts.layout import ArtifactLayout
    from lockgate.engine.commands import DispatchStep
    from lockgate.handlers.context import SandboxMode, ScriptPolicy
    from lockgate.handlers.registry import HandlerRegistry

__all__ = ["LocalExecutor"]


class LocalExecutor:
    """Implements ``Executor``: attempts run as tasks of this event loop, at most ``max_concurrency`` at once."""

    def __init__(
        self,
        registry: HandlerRegistry,
        layout: ArtifactLayout,
        *,
        max_concurrency: int,
        sandbox: SandboxMode,
        script_policy: ScriptPolicy,
        max_output_bytes: int = 1 << 20,
    ) -> None:
        self._runner = AttemptRunner(registry, layout, sandbox=sandbox, script_policy=script_policy,
                                     max_output_bytes=max_output_bytes)  # fmt: skip
        self._link = ExecutorLink()  # until start: reporting fails loudly rather than dropping a result
        self._slots = asyncio.Semaphore(max_concurrency)
        self._tasks: dict[tuple[str, str, int], asyncio.Task[None]] = {}

    async def start(self, link: ExecutorLink) -> None:
        self._link = link

    def _report(self, run_id: str, event: Event) -> None:
        self._link.report(run_id, event)

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def submit(self, command: DispatchStep) -> None:
        key = (command.run_id, command.step, command.attempt)
        if key in self._tasks:  # delivered twice: the attempt is already running here
            return
        task = asyncio.create_task(self._run(command), name=f"step {command.step}#{command.attempt}")
        self._tasks[key] = task
        task.add_done_callback(lambda _: self._tasks.pop(key, None))

    def cancel(self, run_id: str, step: str, attempt: int) -> None:
        task = self._tasks.get((run_id, step, attempt))
        if task is not None:
            task.cancel()

    async def stop(self, grace: float) -> None:
        tasks = list(self._tasks.values())
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _run(self, command: DispatchStep) -> None:
        async with self._slots:
            started = StepStarted(step=command.step, attempt=command.attempt, worker=self._link.worker)
            self._report(command.run_id, started)
            started_at = datetime.now(UTC)
            self._report(command.run_id, await self._runner.run(command, self._link, self._report, started_at))
