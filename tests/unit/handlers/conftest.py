"""A HandlerContext double: a real workspace and log on disk, heartbeats counted."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import JsonValue
from tests.unit.handlers.agent_services import MemoryAgentServices

from lockgate.artifacts.layout import ArtifactLayout
from lockgate.artifacts.reader import LayoutArtifactReader
from lockgate.engine.commands import Successor
from lockgate.handlers.context import HandlerContext, SandboxMode, ScriptPolicy
from lockgate.security.redaction import Redactor

__all__ = ["FakeContext"]


@dataclass
class FakeContext:
    workspace: Path
    log_path: Path
    run_id: str = "run-1"
    run_number: int = 1
    pipeline: str = "demo"
    node_id: str = "step"
    step_key: str = "step"
    attempt: int = 1
    item_index: int | None = None
    attempt_key: str = "run-1/step/1"
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("lockgate.tests.handler"))
    credentials: dict[str, str] = field(default_factory=dict)
    credential_hosts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    redactor: Redactor = field(default_factory=Redactor)
    feedback: str | None = None
    extends_dir: Path | None = None
    first_queued_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    timeout: timedelta | None = None
    heartbeat_timeout: timedelta | None = None
    heartbeats_taken: bool = False
    sandbox: SandboxMode = SandboxMode.NONE
    # These tests run scripts without bubblewrap too (``sandbox``): the administrator's consent to that.
    script_policy: ScriptPolicy = field(default_factory=lambda: ScriptPolicy(allow_unconfined=True))
    heartbeats: list[JsonValue] = field(default_factory=list)
    artifacts: LayoutArtifactReader = field(
        default_factory=lambda: LayoutArtifactReader(ArtifactLayout(Path("/nonexistent")), "demo", 1)
    )
    agent: MemoryAgentServices = field(default_factory=MemoryAgentServices)
    successors: list[Successor] = field(default_factory=list)

    async def heartbeat(self, details: JsonValue = None) -> None:
        self.heartbeats.append(details)

    def take_heartbeats(self) -> None:
        self.heartbeats_taken = True

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def ctx(tmp_path: Path) -> FakeContext:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    context = FakeContext(workspace=workspace, log_path=tmp_path / "logs" / "attempt.log")
    context.artifacts = LayoutArtifactReader(ArtifactLayout(tmp_path / "home"), "demo", 1)
    _check: HandlerContext = context  # mypy proves the double honours the protocol
    return context
