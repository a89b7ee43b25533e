"""What the engine asks the runtime to do once the transition is committed (imperative)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from lockgate.engine.events import TimerPurpose
from lockgate.engine.state import RunStatus

__all__ = ["CancelStep", "Command", "DispatchStep", "RunFinished", "StartTimer"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class DispatchStep(BaseModel):
    """Run one attempt of a step: everything a handler needs, already rendered."""

    model_config = _FROZEN
    type: Literal["dispatch_step"] = "dispatch_step"
    run_id: str
    pipeline: str
    run_number: int
    step: str
    node_id: str
    kind: str
    attempt: int
    item_index: int | None = None
    inputs: dict[str, JsonValue] = Field(default_factory=dict)
    config: dict[str, JsonValue] = Field(default_factory=dict)
    idempotency_key: str | None = None
    timeout: timedelta | None = None
    heartbeat_timeout: timedelta | None = None
    credentials: list[str] = Field(default_factory=list)  # names only: values are resolved by the executor
    feedback: str | None = None  # the feedback of the revision request this attempt answers
    first_queued_at: datetime
    queued_at: datetime

    @property
    def attempt_key(self) -> str:
        return f"{self.run_id}/{self.step}/{self.attempt}"


class StartTimer(BaseModel):
    model_config = _FROZEN
    type: Literal["start_timer"] = "start_timer"
    run_id: str
    step: str
    attempt: int
    purpose: TimerPurpose
    fire_at: datetime


class CancelStep(BaseModel):
    model_config = _FROZEN
    type: Literal["cancel_step"] = "cancel_step"
    run_id: str
    step: str
    attempt: int


class RunFinished(BaseModel):
    model_config = _FROZEN
    type: Literal["run_finished"] = "run_finished"
    run_id: str
    status: RunStatus


Command = Annotated[DispatchStep | StartTimer | CancelStep | RunFinished, Field(discriminator="type")]
