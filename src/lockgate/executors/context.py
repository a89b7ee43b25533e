"""The HandlerContext an executor builds for one attempt."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lockgate.engine.commands import DispatchStep, Successor
from lockgate.engine.events import StepHeartbeat
from lockgate.executors.base import Report
from lockgate.expressions.budget import weigh
from lockgate.handlers.agent.services import AgentServices
from lockgate.handlers.context import ArtifactReader, SandboxMode, ScriptPolicy
from lockgate.security.redaction import Redactor
from lockgate.spec.bounds import find_flaw

if TYPE_CHECKING:
    from datetime import datetime, timedelta

    from pydantic import JsonValue


__all__ = ["HEARTBEAT_DETAILS_MAX", "AttemptContext", "attempt_logger"]

HEARTBEAT_DETAILS_MAX = 4096  # what ``weigh`` counts of a heartbeat's details; larger ones are recorded without


class _LogFile(logging.FileHandler):
    """Opens (and creates the folder of) the attempt log only when something is written."""

    def _open(self):  # type: ignore[no-untyped-def]  # typeshed types it loosely
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()


class _RedactingFormatter(logging.Formatter):
    """Every line the attempt logs, exception text included, without the values the attempt was given."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)s %(message)s")
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self._redactor.text(super().format(record))


def attempt_logger(command: DispatchStep, log_path: Path, redactor: Redactor) -> logging.Logger:
    # Not logging.getLogger: registered loggers live forever and each new one clears the logging cache.
    logger = logging.Logger(f"lockgate.step.{command.step}.{command.attempt}", logging.INFO)
    logger.propagate = False
    handler = _LogFile(log_path, encoding="utf-8", delay=True)
    handler.setFormatter(_RedactingFormatter(redactor))
    logger.addHandler(handler)
    return logger


@dataclass
class AttemptContext:
    command: DispatchStep
    prepare_workspace: Callable[[], Path]  # most kinds never touch the disk: the folder is made on first use
    locate_log: Callable[[], Path]  # most attempts log nothing: the path and the logger are made on first use
    sandbox: SandboxMode
    report: Report
    artifacts: ArtifactReader
    agent_services: Callable[[], AgentServices]  # made on first use: most kinds never need them
    redactor: Redactor  # the values below (and a model's key, once resolved): out of all the attempt writes
    credentials: Mapping[str, str] = field(default_factory=dict)
    credential_hosts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    script_policy: ScriptPolicy = field(default_factory=ScriptPolicy)
    feedback: str | None = None  # copied from the command: the revision request this attempt answers
    extends_dir: Path | None = None
    own_heartbeats: bool = False  # the handler sends them itself: the executor's keep-alive stays quiet
    _workspace: Path | None = None
    _agent: AgentServices | None = None
    _log_path: Path | None = None
    _logger: logging.Logger | None = None

    @property
    def log_path(self) -> Path:
        if self._log_path is None:
            self._log_path = self.locate_log()
        return self._log_path

    @property
    def logger(self) -> logging.Logger:
        if self._logger is None:
            self._logger = attempt_logger(self.command, self.log_path, self.redactor)
        return self._logger

    @property
    def agent(self) -> AgentServices:
        if self._agent is None:
            self._agent = self.agent_services()
        return self._agent

    @property
    def workspace(self) -> Path:
        if self._workspace is None:
            self._workspace = self.prepare_workspace()
        return self._workspace

    @property
    def workspace_used(self) -> Path | None:
        return self._workspace

    @property
    def run_id(self) -> str:
        return self.command.run_id

    @property
    def run_number(self) -> int:
        return self.command.run_number

    @property
    def pipeline(self) -> str:
        return self.command.pipeline

    @property
    def node_id(self) -> str:
        return self.command.node_id

    @property
    def step_key(self) -> str:
        return self.command.step

    @property
    def attempt(self) -> int:
        return self.command.attempt

    @property
    def item_index(self) -> int | None:
        return self.command.item_index

    @property
    def attempt_key(self) -> str:
        return self.command.attempt_key

    @property
    def first_queued_at(self) -> datetime:
        return self.command.first_queued_at

    @property
    def successors(self) -> list[Successor]:
        return self.command.successors

    @property
    def timeout(self) -> timedelta | None:
        return self.command.timeout

    @property
    def heartbeat_timeout(self) -> timedelta | None:
        return self.command.heartbeat_timeout

    def take_heartbeats(self) -> None:
        self.own_heartbeats = True

    async def heartbeat(self, details: JsonValue = None) -> None:
        # Details become an event every viewer reads: small, storable, and without the attempt's secrets.
        if find_flaw(details) is not None or weigh(details, HEARTBEAT_DETAILS_MAX) > HEARTBEAT_DETAILS_MAX:
            details = None
        details = self.redactor.json(details)
        self.report(self.run_id, StepHeartbeat(step=self.step_key, attempt=self.attempt, details=details))

    def close(self) -> None:
        if self._logger is None:
            return
        for handler in list(self._logger.handlers):
            handler.close()
            self._logger.removeHandler(handler)
