"""Human tasks: the inbox, one task with what it asks a person to review, the answers, and their record."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from lockgate.api.schemas.artifacts import ArtifactRead
from lockgate.api.schemas.runs import StepRead
from lockgate.engine import TaskAction, TaskPurpose
from lockgate.spec.forms import FormField

__all__ = [
    "FileUpload",
    "InteractionRead",
    "TaskApprove",
    "TaskDetail",
    "TaskPage",
    "TaskRead",
    "TaskReject",
    "TaskRevise",
    "TaskStatus",
    "TaskSubmit",
]

_READ = ConfigDict(frozen=True, extra="forbid")
_BODY = ConfigDict(frozen=True, extra="forbid")


class TaskStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    SUBMITTED = "submitted"
    REVISION_REQUESTED = "revision_requested"
    REJECTED = "rejected"
    CANCELLED = "cancelled"  # the run ended, or a rollback reset the step


class TaskRead(BaseModel):
    """A human task as the inbox lists it."""

    model_config = _READ
    id: str
    status: TaskStatus
    purpose: TaskPurpose = Field(description="approve_start, form (fill in a human node) or approve_complete")
    title: str
    pipeline: str
    run_id: str
    run: str = Field(description="pipeline/vN")
    step: str
    node_id: str
    item_index: int | None = None
    attempt: int = Field(description="the attempt under review (approve_complete); else the latest before it")
    actions: list[TaskAction] = Field(description="the answers this task takes while open")
    revisions: int = Field(description="revision requests so far")
    max_revisions: int
    assignees: list[str] = Field(description="user names and role:<role>; empty: any operator")
    can_answer: bool = Field(description="whether the caller may answer it (open, and the caller is assigned)")
    run_paused: bool = Field(
        default=False,
        description="the run is paused: an answer is taken and recorded now, and the step goes on when it resumes",
    )
    created_at: datetime
    deadline_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = Field(default=None, description="who answered: a user, or 'deadline'")


class TaskPage(BaseModel):
    model_config = _READ
    items: list[TaskRead]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")
    total: int = Field(description="how many match the filters, over every page")


class InteractionRead(BaseModel):
    """One answer, as recorded: who, when, what."""

    model_config = _READ
    id: str
    task_id: str
    step: str
    attempt: int
    action: TaskAction
    by: str | None
    at: datetime
    values: dict[str, JsonValue] | None = None
    feedback: str | None = Field(default=None, description="a revision's feedback, or the answer's comment")


class TaskDetail(TaskRead):
    """Everything a person needs to answer: the inputs, the form, the output and artifacts to review."""

    instructions: str | None = Field(default=None, description="Markdown")
    context: dict[str, JsonValue] = Field(description="the node's inputs, rendered when the task opened")
    form: list[FormField] | None = Field(default=None, description="a human node's fields, defaults rendered")
    values: dict[str, JsonValue] | None = Field(
        default=None, description="what was submitted before a revision request: start the form from these"
    )
    revision_feedback: str | None = Field(default=None, description="the revision request this form answers")
    answer: dict[str, JsonValue] | None = Field(default=None, description="the values submitted (once closed)")
    comment: str | None = Field(default=None, description="the answer's comment or feedback (once closed)")
    output: JsonValue = Field(default=None, description="the output under review (approve_complete)")
    step_detail: StepRead | None = Field(
        description="the step with every attempt and its output (null once a rollback took the step out)"
    )
    artifacts: list[ArtifactRead] = Field(description="the step's artifacts, every attempt, newest attempt first")
    interactions: list[InteractionRead] = Field(description="every answer given on this step so far")


class TaskApprove(BaseModel):
    model_config = _BODY
    comment: str | None = Field(default=None, max_length=10_000)


class TaskReject(BaseModel):
    model_config = _BODY
    reason: str | None = Field(default=None, max_length=10_000, description="recorded, and in the step's error")


class TaskRevise(BaseModel):
    model_config = _BODY
    feedback: str = Field(min_length=1, max_length=100_000, description="what to change: the next attempt sees it")


class FileUpload(BaseModel):
    """A file field's value as sent: the content in base64."""

    model_config = _BODY
    filename: str = Field(min_length=1, max_length=255)
    content_base64: str
    media_type: str | None = Field(default=None, max_length=200, description="default: guessed from the name")


class TaskSubmit(BaseModel):
    model_config = _BODY
    values: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="field name → value; a file field takes {filename, content_base64, media_type?}",
    )
    comment: str | None = Field(default=None, max_length=10_000)
