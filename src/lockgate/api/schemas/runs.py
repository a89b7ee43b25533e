"""Runs: what starts one, and how a run, its steps, attempts and events read."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from lockgate.engine import RunStatus, StepStatus
from lockgate.spec.agent import Budget
from lockgate.spec.fields import JSON_INTEGER, Identifier

__all__ = [
    "AttemptRead",
    "ChildRunRef",
    "RunCancel",
    "RunCreate",
    "RunDetail",
    "RunEventPage",
    "RunEventRead",
    "RunPage",
    "RunRead",
    "StepDetail",
    "StepRead",
]

# Durations go out as seconds (a number): JSON Schema's `format: duration` has no fractions of a second.
_READ = ConfigDict(frozen=True, extra="forbid", ser_json_timedelta="float")


class RunCreate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    input: dict[str, JsonValue] = Field(default_factory=dict, description="checked against the pipeline's input")
    version: Annotated[int, Field(ge=1, le=2**31 - 1), JSON_INTEGER] | None = Field(
        default=None, description="a version number; default: the latest"
    )
    extend: str | None = Field(
        default=None,
        max_length=100,
        description="a run of this pipeline to extend (vN, pipeline/vN or an id): every step may read its "
        "artifacts, and the steps before start_at are taken over from it",
        examples=["v1"],
    )
    start_at: Identifier | None = Field(
        default=None,
        description="with extend: the node this run starts at; the succeeded steps upstream of it are reused "
        "(output and artifacts, recorded as reused), not run again",
    )
    budget: Budget | None = Field(default=None, description="limits on the run's model use; default: the pipeline's")
    replay_from: str | None = Field(
        default=None,
        description="a run of the same pipeline (id or pipeline/vN) whose recorded model answers "
        "answer this run's agent steps: no model is called",
    )
    replay_steps: list[Identifier] | None = Field(
        default=None, description="only these nodes replay; default: every agent"
    )


class RunCancel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    reason: str | None = Field(default=None, max_length=1000)


class RunRead(BaseModel):
    model_config = _READ
    id: str
    pipeline: str
    number: int
    ref: str = Field(description="pipeline/vN")
    version: int = Field(description="the pipeline version the run is pinned to")
    status: RunStatus
    input: JsonValue
    output: JsonValue = None
    error: JsonValue = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration: timedelta | None = Field(default=None, description="seconds from start to finish (or to now while open)")
    extends: str | None = Field(default=None, description="the run this one extends (pipeline/vN)")
    start_at: str | None = Field(default=None, description="the node an extending run started at")
    wait_reason: str | None = Field(
        default=None, description="why a queued run waits (its pipeline's concurrency), e.g. 'waiting: 3 runs of …'"
    )
    draft: bool = Field(
        default=False,
        description="started from the editor's draft: numbered as any run, left out of run lists by default, "
        "never moves runs/latest; its version is a draft version's number",
    )
    failed_steps: int = Field(
        default=0, description="how many of its steps failed (a run under on_error: continue may still succeed)"
    )


class RunPage(BaseModel):
    model_config = _READ
    items: list[RunRead]
    next_cursor: str | None
    total: int = Field(description="how many runs match the filters, over every page")


class AttemptRead(BaseModel):
    model_config = _READ
    number: int
    status: str = Field(description="queued, running, succeeded, failed, cancelled, lost, or reused (extend)")
    worker: str | None = None
    error: JsonValue = None
    output: JsonValue = Field(default=None, description="what this attempt produced (kept after revisions)")
    feedback: str | None = Field(default=None, description="the revision request this attempt answered")
    code_hash: str | None = Field(default=None, description="the hash of the user code it ran (task nodes)")
    archived: bool = Field(default=False, description="a rollback archived it")
    queued_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration: timedelta | None = None


class ChildRunRef(BaseModel):
    """A run a step started (a sub-pipeline step), or the step that started this run."""

    model_config = _READ
    id: str
    ref: str = Field(description="pipeline/vN")
    status: RunStatus
    step: str = Field(description="the step of the parent run")
    attempt: int = Field(description="the parent step's attempt that started the child")


class StepRead(BaseModel):
    model_config = _READ
    key: str
    node_id: str
    item_index: int | None = None
    status: StepStatus
    attempt: int
    output: JsonValue = None
    error: JsonValue = None
    branches: list[str] | None = None
    next: list[str] | None = Field(
        default=None, description="the successors the step's result chose (dynamic routing); null: every successor"
    )
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration: timedelta | None = None
    open_task: str | None = Field(default=None, description="the human task the step waits on (status waiting)")
    wait_reason: str | None = Field(
        default=None, description="why a queued step waits for a slot of its node's max_concurrent"
    )
    attempts: list[AttemptRead] = Field(default_factory=list)
    child_run: ChildRunRef | None = Field(
        default=None, description="the run the step's latest attempt started (a sub-pipeline step)"
    )


class StepDetail(StepRead):
    run_id: str


class RunDetail(RunRead):
    steps: list[StepRead]
    parent: ChildRunRef | None = Field(
        default=None, description="the run whose step started this one (its id, ref and status, with the step)"
    )


class RunEventRead(BaseModel):
    model_config = _READ
    seq: int
    type: str
    data: JsonValue
    at: datetime


class RunEventPage(BaseModel):
    model_config = _READ
    items: list[RunEventRead]
    next_after: int | None = Field(description="pass as ?after= for the next page; null when none is left")
