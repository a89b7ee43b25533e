"""Running one attempt: the handler in an attempt context, its output checked, its workspace promoted.

Every executor runs attempts with this (the local one in the server's process, the Celery one in workers),
so a step behaves the same wherever it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from typing import TYPE_CHECKING

from pydantic import ValidationError

from lockgate.artifacts.reader import LayoutArtifactReader
from lockgate.engine.events import Event, StepFailed, StepSucceeded
from lockgate.engine.state import ErrorInfo
from lockgate.errors import PermanentStepError, RetryableStepError, StepError
from lockgate.executors.context import AttemptContext
from lockgate.executors.heartbeats import keep_alive
from lockgate.executors.output import INVALID_OUTPUT, OUTPUT_TOO_LARGE, fits_cheaply, output_flaw, output_problem
from lockgate.security.grants import AttemptSecrets
from lockgate.security.redaction import Redactor, redact_tree

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from lockgate.artifacts.layout import ArtifactLayout, Promotion
    from lockgate.engine.commands import DispatchStep
    from lockgate.engine.records import ArtifactRecord
    from lockgate.executors.base import ExecutorLink, Report
    from lockgate.handlers.agent.services import AgentServices
    from lockgate.handlers.context import SandboxMode, ScriptPolicy, StepResult
    from lockgate.handlers.registry import HandlerRegistry

__all__ = ["AttemptRunner"]

log = logging.getLogger(__name__)


def _error(exc: BaseException) -> ErrorInfo:
    if isinstance(exc, StepError):
        retry_after = exc.retry_after if isinstance(exc, RetryableStepError) else None
        return ErrorInfo(kind=exc.kind, message=exc.detail, retryable=exc.retryable, retry_after=retry_after)
    if isinstance(exc, ValidationError):
        return ErrorInfo(kind="invalid_config", message=str(exc), retryable=False)
    # An unexpected exception may be a passing fault: retryable, as Temporal treats it.
    return ErrorInfo(kind="exception", message=f"{type(exc).__name__}: {exc}", retryable=True)


class AttemptRunner:
    """Runs attempts of ``registry``'s handlers with artifacts under ``layout``; reports go where it is told."""

    def __init__(
        self,
        registry: HandlerRegistry,
        layout: ArtifactLayout,
        *,
        sandbox: SandboxMode,
        script_policy: ScriptPolicy,
        max_output_bytes: int = 1 << 20,
    ) -> None:
        self._registry = registry
        self._layout = layout
        self._sandbox = sandbox
        self._script_policy = script_policy
        self._max_output_bytes = max_output_bytes

    def log_path(self, command: DispatchStep) -> Path:
        return self._layout.log_path(command.pipeline, command.run_number, command.step, command.attempt)

    async def run(self, command: DispatchStep, link: ExecutorLink, report: Report, started_at: datetime) -> Event:
        """The attempt's result event; ``report`` takes what it sends while it runs (heartbeats)."""
        layout = self._layout
        prepare = functools.partial(layout.prepare, command.pipeline, command.run_number, command.step, command.attempt)
        redactor = Redactor()
        ctx = AttemptContext(command, prepare, functools.partial(self.log_path, command), self._sandbox,
                             report, LayoutArtifactReader(layout, command.pipeline, command.run_number),
                             functools.partial(self._services, link, command, redactor), redactor,
                             feedback=command.feedback, script_policy=self._script_policy)  # fmt: skip
        if command.extends is not None:
            ctx.extends_dir = layout.run_dir(command.pipeline, command.extends.number)
        # Without a heartbeat timeout nothing watches heartbeats: no task (keep_alive would return at once)
        beats = None
        if command.heartbeat_timeout is not None:
            beats = asyncio.create_task(keep_alive(ctx), name=f"heartbeats {command.step}#{command.attempt}")
        try:  # the log stays open until promotion: its warnings go there too
            return await self._attempt(link, ctx, started_at)
        finally:
            if beats is not None:
                beats.cancel()
            ctx.close()

    async def _attempt(self, link: ExecutorLink, ctx: AttemptContext, started_at: datetime) -> Event:
        command = ctx.command
        try:
            secrets = await self._resolve(link, command)
            ctx.credentials, ctx.credential_hosts = secrets.values, secrets.hosts
            for name, value in secrets.values.items():
                ctx.redactor.add(name, value)
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
            error = _error(exc)
            error = error.model_copy(update={"message": ctx.redactor.text(error.message)})
            return StepFailed(step=command.step, attempt=command.attempt, error=error, started_at=started_at)
        try:
            artifacts = await self._promote(ctx)
        except OSError as exc:
            error = ErrorInfo(kind="artifact_error", message=f"promoting the workspace failed: {exc}", retryable=True)
            return StepFailed(step=command.step, attempt=command.attempt, error=error, started_at=started_at)
        output = ctx.redactor.json(result.output)
        return StepSucceeded(step=command.step, attempt=command.attempt, output=output, next=result.next,
                             branches=result.branches, artifacts=artifacts, started_at=started_at)  # fmt: skip

    async def _promote(self, ctx: AttemptContext) -> list[ArtifactRecord]:
        if ctx.workspace_used is None:
            return []
        command, workspace = ctx.command, ctx.workspace_used
        try:  # a step that wrote nothing (most scripts): one syscall here, no thread; it fails on any entry
            workspace.rmdir()
        except OSError:
            pass
        else:
            return []
        promoted = await asyncio.to_thread(self._redact_and_promote, ctx, workspace)  # disk work: off the loop
        for refused in promoted.refused:  # the attempt's log: what a user reading the step sees
            ctx.logger.warning("refused %s: %s; it is not an artifact (never opened, removed)", refused.path,
                               refused.reason)  # fmt: skip
        if promoted.refused:  # and the server's, for whoever watches for a step probing the server
            where = f"{command.pipeline}/v{command.run_number} {command.step}#{command.attempt}"
            log.warning("%s: refused %d workspace entries (not regular files with one name)", where,
                        len(promoted.refused))  # fmt: skip
        return promoted.records

    def _redact_and_promote(self, ctx: AttemptContext, workspace: Path) -> Promotion:
        command = ctx.command
        # Files are redacted before they are hashed and described: what is promoted is what a viewer reads.
        redact_tree(workspace, ctx.redactor)
        return self._layout.promote(workspace, command.pipeline, command.run_number, command.step)

    async def _check_output(self, result: StepResult) -> None:
        """Every kind's result passes here before it becomes an event: a huge or unstorable output fails the step."""
        flaw = output_flaw(result.output)
        if flaw is not None:
            raise PermanentStepError(INVALID_OUTPUT, flaw)
        if fits_cheaply(result.output, self._max_output_bytes):
            return
        problem = await asyncio.to_thread(output_problem, result.output, self._max_output_bytes)
        if problem is not None:
            raise PermanentStepError(OUTPUT_TOO_LARGE, problem)

    @staticmethod
    def _services(link: ExecutorLink, command: DispatchStep, redactor: Redactor) -> AgentServices:
        if link.agent_services is None:
            raise PermanentStepError("agent_unavailable", "this executor offers no agent services")
        return link.agent_services(command, redactor)

    def _keep_failed(self, ctx: AttemptContext) -> None:
        if ctx.workspace_used is not None:
            # Kept for diagnosis, so redacted as promoted files are (a failure may come after a print).
            with contextlib.suppress(OSError):
                redact_tree(ctx.workspace_used, ctx.redactor)
            self._layout.keep_failed(ctx.workspace_used, ctx.pipeline)

    @staticmethod
    async def _resolve(link: ExecutorLink, command: DispatchStep) -> AttemptSecrets:
        if not command.credentials:
            return AttemptSecrets()
        if link.credentials is None:  # the detail names the credential, never a value
            raise PermanentStepError("missing_credential", f"credential {command.credentials[0]!r} is not defined")
        return await link.credentials(command)
