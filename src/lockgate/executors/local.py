"""The default executor: asyncio tasks in this process (scripts run as subprocesses), bounded concurrency."""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import ValidationError

from lockgate.artifacts.reader import LayoutArtifactReader
from lockgate.engine.events import Event, StepFailed, StepStarted, StepSucceeded
from lockgate.engine.state import ErrorInfo
from lockgate.errors import PermanentStepError, RetryableStepError, StepError
from lockgate.executors.context import AttemptContext, attempt_logger
from lockgate.executors.output import OUTPUT_TOO_LARGE, fits_cheaply, output_problem

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from lockgate.artifacts.layout import ArtifactLayout
    from lockgate.engine.commands import DispatchStep
    from lockgate.executors.base import Report
    from lockgate.handlers.agent.services import AgentServices
    from lockgate.handlers.context import SandboxMode, StepResult
    from lockgate.handlers.registry import HandlerRegistry

__all__ = ["LocalExecutor"]

log = logging.getLogger(__name__)


def _error(exc: BaseException) -> ErrorInfo:
    if isinstance(exc, StepError):
        retry_after = exc.retry_after if isinstance(exc, RetryableStepError) else None
        return ErrorInfo(kind=exc.kind, message=exc.detail, retryable=exc.retryable, retry_after=retry_after)
    if isinstance(exc, ValidationError):
        return ErrorInfo(kind="invalid_config", message=str(exc), retryable=False)
    # An unexpected exception may be a passing fault: retryable, as Temporal treats it.
    return ErrorInfo(kind="exception", message=f"{type(exc).__name__}: {exc}", retryable=True)


class LocalExecutor:
    def __init__(
        self,
        registry: HandlerRegistry,
        layout: ArtifactLayout,
        report: Report,
        *,
        worker: str,
        max_concurrency: int,
        sandbox: SandboxMode,
        credentials: Callable[[list[str]], Awaitable[dict[str, str]]] | None = None,
        agent_services: Callable[[DispatchStep], AgentServices] | None = None,
        max_output_bytes: int = 1 << 20,
    ) -> None:
        # ``credentials`` maps names to the values of those that exist; the values live only in attempt contexts.
        self._registry = registry
        self._layout = layout
        self._report = report
        self._worker = worker
        self._sandbox = sandbox
        self._credentials = credentials
        self._agent_services = agent_services
        self._max_output_bytes = max_output_bytes
        self._slots = asyncio.Semaphore(max_concurrency)
        self._tasks: dict[tuple[str, str, int], asyncio.Task[None]] = {}

    async def start(self) -> None:
        return None

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
            self._report(command.run_id, StepStarted(step=command.step, attempt=command.attempt, worker=self._worker))
            started_at = datetime.now(UTC)
            event = await self._invoke(command, started_at)
            if event is not None:
                self._report(command.run_id, event)

    async def _invoke(self, command: DispatchStep, started_at: datetime) -> Event | None:
        layout = self._layout
        log_path = layout.log_path(command.pipeline, command.run_number, command.step, command.attempt)
        prepare = functools.partial(layout.prepare, command.pipeline, command.run_number, command.step, command.attempt)
        ctx = AttemptContext(command, prepare, log_path, attempt_logger(command, log_path), self._sandbox, self._report,
                             LayoutArtifactReader(layout, command.pipeline, command.run_number),
                             functools.partial(self._services, command), feedback=command.feedback)  # fmt: skip
        if command.extends is not None:
            ctx.extends_dir = layout.run_dir(command.pipeline, command.extends.number)
        try:
            ctx.credentials = await self._resolve(command.credentials)
            handler = self._registry.get(command.kind)
            config = handler.config_type.model_validate(command.config)
            result: StepResult = await handler.run(ctx, config, command.inputs)
            await self._check_output(result)
        except asyncio.CancelledError:
            self._keep_failed(ctx)
            raise
        except Exception as exc:  # noqa: BLE001 - every failure becomes StepFailed data
            ctx.logger.error("attempt failed: %s", exc)
            await asyncio.to_thread(self._keep_failed, ctx)
            return StepFailed(step=command.step, attempt=command.attempt, error=_error(exc), started_at=started_at)
        finally:
            ctx.close()
        artifacts = []
        if ctx.workspace_used is not None:  # hashing files is disk work: off the event loop
            promote = functools.partial(layout.promote, ctx.workspace_used, command.pipeline, command.run_number)
            try:
                artifacts = await asyncio.to_thread(promote, command.step)
            except OSError as exc:
                error = ErrorInfo(
                    kind="artifact_error", message=f"promoting the workspace failed: {exc}", retryable=True
                )
                return StepFailed(step=command.step, attempt=command.attempt, error=error, started_at=started_at)
        return StepSucceeded(step=command.step, attempt=command.attempt, output=result.output, next=result.next,
                             branches=result.branches, artifacts=artifacts, started_at=started_at)  # fmt: skip

    async def _check_output(self, result: StepResult) -> None:
        """Every kind's result passes here before it becomes an event: a huge output fails the step."""
        if fits_cheaply(result.output, self._max_output_bytes):
            return
        problem = await asyncio.to_thread(output_problem, result.output, self._max_output_bytes)
        if problem is not None:
            raise PermanentStepError(OUTPUT_TOO_LARGE, problem)

    def _services(self, command: DispatchStep) -> AgentServices:
        if self._agent_services is None:
            raise PermanentStepError("agent_unavailable", "this executor offers no agent services")
        return self._agent_services(command)

    def _keep_failed(self, ctx: AttemptContext) -> None:
        if ctx.workspace_used is not None:
            self._layout.keep_failed(ctx.workspace_used, ctx.pipeline)

    async def _resolve(self, names: list[str]) -> dict[str, str]:
        if not names:
            return {}
        values = await self._credentials(names) if self._credentials is not None else {}
        for name in names:
            if name not in values:  # the detail names the credential, never a value
                raise PermanentStepError("missing_credential", f"credential {name!r} is not defined")
        return {name: values[name] for name in names}
