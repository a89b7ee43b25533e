"""A run's progress by node, and windows of its steps: the shapes a live view of a large run reads."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from lockgate.api.schemas.runs import AttemptRead, ChildRunRef, RunRead
from lockgate.engine import StepStatus

__all__ = ["NodeProgressRead", "RunProgressRead", "StepSliceRead", "StepSummaryRead"]

# durations in seconds, as the runs schemas send them
_READ = ConfigDict(frozen=True, extra="forbid", ser_json_timedelta="float")


class NodeProgressRead(BaseModel):
    model_config = _READ
    node_id: str
    status: StepStatus | None = Field(description="the node's step (for a for_each node: the parent step)")
    items: int = Field(description="item steps of a for_each node; 0 for other nodes")
    counts: dict[str, int] = Field(description="steps by status: the items of a for_each node, else its one step")
    attempts: int = Field(description="attempts of all the node's steps")
    started_at: datetime | None
    finished_at: datetime | None


class RunProgressRead(BaseModel):
    model_config = _READ
    run: RunRead
    parent: ChildRunRef | None = Field(default=None, description="the run whose step started this one, if any")
    steps: int = Field(description="steps of the run, items included")
    last_event_id: int = Field(description="the newest event's id: pass it as ?after= to stream only what follows")
    nodes: list[NodeProgressRead]


class StepSummaryRead(BaseModel):
    """A step without its output (read it from the step itself): rows of a long list stay small."""

    model_config = _READ
    key: str
    node_id: str
    item_index: int | None = None
    status: StepStatus
    attempt: int
    error: JsonValue = None
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration: timedelta | None = None
    attempts: list[AttemptRead]


class StepSliceRead(BaseModel):
    model_config = _READ
    total: int = Field(description="steps matching the filters")
    offset: int
    items: list[StepSummaryRead]
