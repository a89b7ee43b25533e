"""What a handler may see and do: the only door between a node kind and the platform."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, ConfigDict, Field, JsonValue

# settings import them from script_policy without the pydantic models here; handlers keep importing them here
from lockgate.handlers.script_policy import SandboxMode, ScriptPolicy

if TYPE_CHECKING:
    import logging
    from collections.abc import Mapping, Sequence
    from datetime import datetime, timedelta
    from pathlib import Path

    from lockgate.engine.commands import Successor
    from lockgate.handlers.agent.services import AgentServices
    from lockgate.security.redaction import Redactor

__all__ = ["ArtifactReader", "HandlerContext", "SandboxMode", "ScriptPolicy", "StepResult"]


class StepResult(BaseModel):
    """What a handler returns: the output, and optionally the successors or branches to take."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    output: JsonValue = None
    next: list[str] | None = Field(default=None, description="successor node ids to take; others are skipped")
    branches: list[str] | None = Field(default=None, description="branch labels to take (condition nodes)")


class ArtifactReader(Protocol):
    """Read access to the promoted artifacts of this run's steps and of earlier runs of the same pipeline."""

    def names(self, step: str, pattern: str = "*", run: int | None = None) -> list[str]:
        """Paths (inside the step's folder) of the files matching ``pattern``; ``run``: a run number, None: this run."""
        ...

    def read(self, step: str, name: str, run: int | None = None) -> bytes:
        """One file; raises PermanentStepError('artifact_not_found') naming what is missing."""
        ...


class HandlerContext(Protocol):
    """Per-attempt context. Handlers never touch the store, the executor or HTTP routes."""

    @property
    def run_id(self) -> str: ...
    @property
    def run_number(self) -> int: ...
    @property
    def pipeline(self) -> str: ...
    @property
    def node_id(self) -> str: ...
    @property
    def step_key(self) -> str: ...
    @property
    def attempt(self) -> int: ...
    @property
    def item_index(self) -> int | None: ...
    @property
    def attempt_key(self) -> str:
        """Stable across processes for this attempt: use it as an idempotency key downstream."""
        ...

    @property
    def workspace(self) -> Path:
        """The attempt's own folder, the cwd of scripts; files left here become artifacts."""
        ...

    @property
    def log_path(self) -> Path:
        """The attempt log; subprocess output is appended here."""
        ...

    @property
    def logger(self) -> logging.Logger: ...
    @property
    def credentials(self) -> Mapping[str, str]:
        """Only the credentials the node names."""
        ...

    @property
    def credential_hosts(self) -> Mapping[str, tuple[str, ...]]:
        """For each credential, the host patterns it may be sent to (``*``: any); empty: none."""
        ...

    @property
    def redactor(self) -> Redactor:
        """Knows the values this attempt was given: what the handler writes to its log passes through it."""
        ...

    @property
    def feedback(self) -> str | None:
        """The feedback of a revision request, if this attempt answers one."""
        ...

    @property
    def extends_dir(self) -> Path | None:
        """The folder of the run this run extends (``runs/vN``): its artifacts, to read; None otherwise."""
        ...

    @property
    def successors(self) -> Sequence[Successor]:
        """The nodes the result's ``next`` may name (the node's successors, in declared order)."""
        ...

    @property
    def artifacts(self) -> ArtifactReader: ...
    @property
    def agent(self) -> AgentServices:
        """Model profiles, budgets, conversation records, replay and live tokens: what agent steps need."""
        ...

    @property
    def first_queued_at(self) -> datetime:
        """When the step was first dispatched: durations (wait) count from here, across crashes."""
        ...

    @property
    def timeout(self) -> timedelta | None: ...
    @property
    def heartbeat_timeout(self) -> timedelta | None:
        """The node's: while the handler runs, the executor heartbeats at a third of it (unless ``take_heartbeats``)."""
        ...

    def take_heartbeats(self) -> None:
        """From now on only the handler's own ``heartbeat`` calls keep the attempt alive (a script sending its own)."""
        ...

    @property
    def sandbox(self) -> SandboxMode: ...
    @property
    def script_policy(self) -> ScriptPolicy: ...
    async def heartbeat(self, details: JsonValue = None) -> None: ...
