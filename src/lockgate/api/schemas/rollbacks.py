"""Rollbacks: to a node within a run, or of ``latest`` across runs; what each archived (nothing is deleted)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

__all__ = ["ArchivedArtifactRead", "ArchivedStepRead", "LatestUpdate", "RollbackCreate", "RollbackRead"]

_READ = ConfigDict(frozen=True, extra="forbid")


class RollbackCreate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    node: str = Field(min_length=1, max_length=63, description="the node to go back to: it and what follows run again")
    reason: str | None = Field(default=None, max_length=10_000)


class LatestUpdate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    run: str = Field(min_length=1, max_length=100, description="a succeeded run of the pipeline: vN, pipeline/vN or id")
    reason: str | None = Field(default=None, max_length=10_000)


class ArchivedStepRead(BaseModel):
    model_config = _READ
    key: str
    node_id: str
    status: str = Field(description="its status when it was reset")
    attempt: int = Field(description="its latest attempt then (the attempts up to it are marked archived)")
    output: JsonValue = None


class ArchivedArtifactRead(BaseModel):
    model_config = _READ
    id: str
    step_key: str
    attempt: int
    name: str
    moved_from: str = Field(description="relative to the pipeline's folder")
    moved_to: str = Field(description="relative to the pipeline's folder, under the rollback's folder")


class RollbackRead(BaseModel):
    model_config = _READ
    id: str
    kind: Literal["run", "latest"] = Field(description="run: to a node within the run; latest: across runs")
    pipeline: str
    run_id: str
    run: str = Field(description="pipeline/vN: the run rolled back, or the run latest points at now")
    node: str | None = None
    by: str | None = None
    reason: str | None = None
    at: datetime
    folder: str | None = Field(default=None, description=".archived/rollback_<id>_<utc>, in the pipeline's folder")
    steps: list[ArchivedStepRead] = Field(description="the steps reset, with what they had produced")
    cancelled: list[str] = Field(description="steps that were running or waiting for a person, cancelled first")
    artifacts: list[ArchivedArtifactRead] = Field(description="the files moved into the archive folder")
    previous_latest: int | None = Field(default=None, description="latest: the run number it pointed at before")
