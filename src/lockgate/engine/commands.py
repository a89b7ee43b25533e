"""What the engine asks the runtime to do once the transition is committed (imperative)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from lockgate.engine.events import TaskAction, TimerPurpose
from lockgate.engine.records import ArtifactRecord, RunRef
from lockgate.engine.state import RunStatus, TaskPurpose

__all__ = [
    "ArchiveOutputs",
    "ArchivedStep",
    "CancelStep",
    "CloseHumanTask",
    "Command",
    "DispatchStep",
    "KeepAttempt",
    "NotifyDeadline",
    "OpenHumanTask",
    "PointLatest",
    "RecordReuse",
    "RunFinished",
    "StartChildRun",
    "StartTimer",
    "Successor",
    "TaskOutcome",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Successor(BaseModel):
    """A node the step may name in its result's ``next``; an agent that routes is shown these."""

    model_config = _FROZEN
    id: str
    name: str | None = None
    description: str | None = None


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
    code_hash: str | None = None  # the user code the attempt runs (a task node's pinned hash), recorded with it
    timeout: timedelta | None = None
    heartbeat_timeout: timedelta | None = None
    credentials: list[str] = Field(default_factory=list)  # names only: values are resolved by the executor
    feedback: str | None = None  # the feedback of the revision request this attempt answers
    first_queued_at: datetime
    queued_at: datetime
    extends: RunRef | None = None  # the run whose artifacts the step may read
    queue: str | None = None  # the node's worker queue (a distributed executor routes by it)
    successors: list[Successor] = Field(default_factory=list)  # what ``next`` may name, in declared order

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


class StartChildRun(BaseModel):
    """Start a run of another pipeline for this attempt (a kind that ``starts_child_run``); the step ends with it.

    The link (parent run, step, attempt → child run) is written with the transition, so a child started once per
    attempt survives a crash between this commit and the child's: recovery starts what the link still lacks.
    """

    model_config = _FROZEN
    type: Literal["start_child_run"] = "start_child_run"
    run_id: str
    step: str
    node_id: str
    attempt: int
    pipeline: str
    version: int | None = None  # None: the latest when the child starts
    input: dict[str, JsonValue] = Field(default_factory=dict)
    at: datetime


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


class TaskOutcome(StrEnum):
    """How a human task ended (its status once closed)."""

    APPROVED = "approved"
    SUBMITTED = "submitted"
    REVISION_REQUESTED = "revision_requested"
    REJECTED = "rejected"
    CANCELLED = "cancelled"  # the run ended, or a rollback reset the step


OUTCOME_OF: dict[TaskAction, TaskOutcome] = {
    TaskAction.APPROVE: TaskOutcome.APPROVED,
    TaskAction.SUBMIT: TaskOutcome.SUBMITTED,
    TaskAction.REVISE: TaskOutcome.REVISION_REQUESTED,
    TaskAction.REJECT: TaskOutcome.REJECTED,
}


class OpenHumanTask(BaseModel):
    """A step waits for a person: everything the inbox shows, rendered when the task opened."""

    model_config = _FROZEN
    type: Literal["open_human_task"] = "open_human_task"
    run_id: str
    task: str
    step: str
    node_id: str
    item_index: int | None = None
    attempt: int  # the attempt under review (approve_complete), else the latest before the task
    number: int  # the task's number within the step
    purpose: TaskPurpose
    title: str
    instructions: str | None = None
    context: dict[str, JsonValue] = Field(default_factory=dict)  # the node's inputs, rendered
    form: list[dict[str, JsonValue]] | None = None  # a human node's fields, defaults rendered
    values: dict[str, JsonValue] | None = None  # what was submitted before a revision request
    feedback: str | None = None  # the revision request a form answers
    actions: list[TaskAction]
    revisions: int
    max_revisions: int
    assignees: list[str] = Field(default_factory=list)
    opened_at: datetime
    deadline_at: datetime | None = None


class CloseHumanTask(BaseModel):
    """The task is answered (by a person, or by its deadline) or no longer needed."""

    model_config = _FROZEN
    type: Literal["close_human_task"] = "close_human_task"
    run_id: str
    task: str
    step: str
    attempt: int
    outcome: TaskOutcome
    by: str | None = None
    values: dict[str, JsonValue] | None = None
    feedback: str | None = None


class NotifyDeadline(BaseModel):
    """POST the overdue task to ``url`` (delivery ``delivery`` of at most ``deliveries``); the task stays open.

    Whoever sends it reports a ``DeadlineNotificationAttempted`` event, whatever the outcome.
    """

    model_config = _FROZEN
    type: Literal["notify_deadline"] = "notify_deadline"
    run_id: str
    task: str
    step: str
    url: str
    deadline_at: datetime
    delivery: int = 1
    deliveries: int = 1
    secret: str | None = None  # the name of the credential that signs the body


class KeepAttempt(BaseModel):
    """Before a revised step runs again: move its attempt's artifacts aside (``runs/vN/.attempts/<step>/<n>/``)."""

    model_config = _FROZEN
    type: Literal["keep_attempt"] = "keep_attempt"
    run_id: str
    pipeline: str
    run_number: int
    step: str
    attempt: int
    moves: list[tuple[str, str]]  # (from, to), folders relative to the pipeline's folder


class ArchivedStep(BaseModel):
    model_config = _FROZEN
    key: str
    node_id: str
    status: str
    attempt: int
    output: JsonValue = None


class ArchiveOutputs(BaseModel):
    """A rollback: move the artifacts of the reset steps into ``folder``; their outputs go along, as a manifest."""

    model_config = _FROZEN
    type: Literal["archive_outputs"] = "archive_outputs"
    run_id: str
    pipeline: str
    run_number: int
    rollback: str
    node_id: str
    folder: str  # relative to the pipeline's folder: .archived/rollback_<id>_<utc>
    moves: list[tuple[str, str]]  # (from, to), folders relative to the pipeline's folder
    steps: list[ArchivedStep]
    cancelled: list[str] = Field(default_factory=list)  # steps that were running or waiting
    by: str | None = None
    reason: str | None = None
    at: datetime


class RecordReuse(BaseModel):
    """A step taken over from the run this one extends: its attempt and artifacts, recorded as reused."""

    model_config = _FROZEN
    type: Literal["record_reuse"] = "record_reuse"
    run_id: str
    step: str
    attempt: int
    source_run: str
    output: JsonValue = None
    artifacts: list[ArtifactRecord] = Field(default_factory=list)


class PointLatest(BaseModel):
    """``runs/latest`` → this run (a rollback across runs)."""

    model_config = _FROZEN
    type: Literal["point_latest"] = "point_latest"
    run_id: str
    pipeline: str
    run_number: int
    rollback: str
    by: str | None = None
    reason: str | None = None
    at: datetime


Command = Annotated[
    DispatchStep
    | StartTimer
    | StartChildRun
    | CancelStep
    | RunFinished
    | OpenHumanTask
    | CloseHumanTask
    | NotifyDeadline
    | KeepAttempt
    | ArchiveOutputs
    | RecordReuse
    | PointLatest,
    Field(discriminator="type"),
]
