"""Drafts: the editor's working copy of a pipeline (problems allowed), its pinned outputs, and draft runs."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from lockgate.spec.fields import Identifier

__all__ = ["DraftRead", "DraftRunCreate", "DraftWrite", "ProblemRead"]

_WRITE = ConfigDict(frozen=True, extra="forbid")


class DraftWrite(BaseModel):
    model_config = _WRITE
    definition: dict[str, JsonValue] = Field(
        description="the pipeline definition as the editor holds it: saved even with problems (they are listed)"
    )
    pins: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="node id → sample output: a draft run takes it instead of running the node; published runs "
        "never use pins. A pin for a node the draft does not have is listed as a problem (field pin)",
    )


class ProblemRead(BaseModel):
    model_config = _WRITE
    node_id: str | None = None
    field: str | None = None
    message: str


class DraftRead(BaseModel):
    model_config = _WRITE
    pipeline: str
    definition: dict[str, JsonValue]
    pins: dict[str, JsonValue]
    author: str | None = Field(default=None, description="who saved it last")
    updated_at: datetime
    problems: list[ProblemRead] = Field(description="what stops it from running or being published; empty: none")


class DraftRunCreate(BaseModel):
    model_config = _WRITE
    input: dict[str, JsonValue] = Field(default_factory=dict, description="checked against the draft's input")
    start_at: Identifier | None = Field(
        default=None,
        description="re-run from this node: the succeeded steps upstream of it are taken over from the pipeline's "
        "last run (pinned nodes take their pin), the node and everything after it run",
    )
    only: Identifier | None = Field(
        default=None,
        description="run this node alone: its upstream outputs come from pins or the last run (what has neither "
        "runs too), nothing downstream runs",
    )
