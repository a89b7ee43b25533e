"""Everything that happens to a run arrives as one of these (past tense), and is stored as it came."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, TypeAdapter

from lockgate.engine.state import ErrorInfo

__all__ = [
    "EVENT_ADAPTER",
    "ArtifactRecord",
    "Event",
    "RunCancelled",
    "RunPaused",
    "RunResumed",
    "RunStarted",
    "StepFailed",
    "StepHeartbeat",
    "StepLost",
    "StepRetryRequested",
    "StepStarted",
    "StepSucceeded",
    "TimerFired",
    "TimerPurpose",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class TimerPurpose(StrEnum):
    RETRY = "retry"
    TIMEOUT = "timeout"
    HEARTBEAT = "heartbeat"


class ArtifactRecord(BaseModel):
    """A file a step produced, as promoted: path relative to the run folder."""

    model_config = _FROZEN
    name: str
    path: str
    size: int
    sha256: str
    media_type: str


class RunStarted(BaseModel):
    model_config = _FROZEN
    type: Literal["run_started"] = "run_started"
    input: dict[str, JsonValue] = Field(default_factory=dict)


class StepStarted(BaseModel):
    model_config = _FROZEN
    type: Literal["step_started"] = "step_started"
    step: str
    attempt: int
    worker: str | None = None


class StepHeartbeat(BaseModel):
    model_config = _FROZEN
    type: Literal["step_heartbeat"] = "step_heartbeat"
    step: str
    attempt: int
    details: JsonValue = None


class StepSucceeded(BaseModel):
    model_config = _FROZEN
    type: Literal["step_succeeded"] = "step_succeeded"
    step: str
    attempt: int
    output: JsonValue = None
    next: list[str] | None = None
    branches: list[str] | None = None
    artifacts: list[ArtifactRecord] = Field(default_factory=list)
    started_at: datetime | None = None
    reused: bool = False  # the result came from an earlier step with the same idempotency key


class StepFailed(BaseModel):
    model_config = _FROZEN
    type: Literal["step_failed"] = "step_failed"
    step: str
    attempt: int
    error: ErrorInfo
    started_at: datetime | None = None


class StepLost(BaseModel):
    """Recovery found the attempt's worker gone (crash) or its lease expired."""

    model_config = _FROZEN
    type: Literal["step_lost"] = "step_lost"
    step: str
    attempt: int
    reason: str = "worker lost"


class TimerFired(BaseModel):
    model_config = _FROZEN
    type: Literal["timer_fired"] = "timer_fired"
    step: str
    attempt: int
    purpose: TimerPurpose


class RunPaused(BaseModel):
    model_config = _FROZEN
    type: Literal["run_paused"] = "run_paused"
    by: str | None = None


class RunResumed(BaseModel):
    model_config = _FROZEN
    type: Literal["run_resumed"] = "run_resumed"
    by: str | None = None


class RunCancelled(BaseModel):
    model_config = _FROZEN
    type: Literal["run_cancelled"] = "run_cancelled"
    by: str | None = None
    reason: str | None = None


class StepRetryRequested(BaseModel):
    """A person asks for a failed step to run again (reopening its run if the failure ended it)."""

    model_config = _FROZEN
    type: Literal["step_retry_requested"] = "step_retry_requested"
    step: str
    by: str | None = None


Event = Annotated[
    RunStarted
    | StepStarted
    | StepHeartbeat
    | StepSucceeded
    | StepFailed
    | StepLost
    | TimerFired
    | RunPaused
    | RunResumed
    | RunCancelled
    | StepRetryRequested,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
