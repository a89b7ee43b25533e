"""Everything that happens to a run arrives as one of these (past tense), and is stored as it came."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, TypeAdapter

from lockgate.engine.records import ArtifactRecord, ExpressionBudgets, ReusedStep, RunRef
from lockgate.engine.state import ErrorInfo

__all__ = [
    "EVENT_ADAPTER",
    "ArtifactRecord",
    "DeadlineNotificationAttempted",
    "Event",
    "ExpressionTimedOut",
    "HumanTaskAnswered",
    "RunCancelled",
    "RunMadeLatest",
    "RunPaused",
    "RunResumed",
    "RunRolledBack",
    "RunStarted",
    "StepFailed",
    "StepHeartbeat",
    "StepLost",
    "StepRetryRequested",
    "StepStarted",
    "StepSucceeded",
    "TaskAction",
    "TimerFired",
    "TimerPurpose",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class TimerPurpose(StrEnum):
    RETRY = "retry"
    TIMEOUT = "timeout"
    HEARTBEAT = "heartbeat"
    DEADLINE = "deadline"  # of a human task; its ``attempt`` is the task's number within the step
    NOTIFY = "notify"  # the next delivery of a deadline notification; its ``attempt`` is that delivery's number
    WAKE = "wake"  # a wait node's instant came: its step succeeds


class TaskAction(StrEnum):
    """How a person answers a human task."""

    APPROVE = "approve"
    SUBMIT = "submit"  # a form's values
    REVISE = "revise"  # run the step again, with feedback
    REJECT = "reject"  # the step fails (error kind ``rejected``); its on_error decides what follows


class RunStarted(BaseModel):
    model_config = _FROZEN
    type: Literal["run_started"] = "run_started"
    input: dict[str, JsonValue] = Field(default_factory=dict)
    extends: RunRef | None = None
    reuse: dict[str, ReusedStep] = Field(default_factory=dict)  # node id → taken over from ``extends``
    budgets: ExpressionBudgets | None = None  # None: runs started before budgets were recorded use the settings


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


class HumanTaskAnswered(BaseModel):
    """A person (``by``) answered the open human task of a step."""

    model_config = _FROZEN
    type: Literal["human_task_answered"] = "human_task_answered"
    task: str
    step: str
    action: TaskAction
    by: str | None = None
    values: dict[str, JsonValue] | None = None  # submit: the form's values, checked by whoever received them
    feedback: str | None = None  # revise: what to change; approve and reject: a comment


class DeadlineNotificationAttempted(BaseModel):
    """One POST of a task's deadline notification ended: delivered (2xx), or failed (status or error)."""

    model_config = _FROZEN
    type: Literal["deadline_notification_attempted"] = "deadline_notification_attempted"
    task: str
    step: str
    delivery: int  # 1, 2, … within this task's notification
    url: str
    delivered: bool
    status_code: int | None = None
    error: str | None = None


class RunRolledBack(BaseModel):
    """Back to ``node``: it and everything downstream is archived and reset, and runs again from there."""

    model_config = _FROZEN
    type: Literal["run_rolled_back"] = "run_rolled_back"
    rollback: str  # its id, made by whoever asked
    node: str
    by: str | None = None
    reason: str | None = None


class RunMadeLatest(BaseModel):
    """``runs/latest`` points at this run again (a rollback across runs)."""

    model_config = _FROZEN
    type: Literal["run_made_latest"] = "run_made_latest"
    rollback: str
    by: str | None = None
    reason: str | None = None


class ExpressionTimedOut(BaseModel):
    """A template ran past the time budget while the run advanced: from here on it fails at once in this run.

    The runtime records it before the event whose transition evaluated the template, so replays agree.
    ``fail_run``: templates kept running out of time on one event; the run fails instead of trying again.
    """

    model_config = _FROZEN
    type: Literal["expression_timed_out"] = "expression_timed_out"
    template: str  # lockgate.expressions.template_digest of its source
    field: str | None = None
    seconds: float
    fail_run: bool = False


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
    | StepRetryRequested
    | HumanTaskAnswered
    | DeadlineNotificationAttempted
    | RunRolledBack
    | RunMadeLatest
    | ExpressionTimedOut,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
