"""Artifacts: the metadata of files steps produced, previews of them, and comparisons of two of them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

__all__ = ["ArtifactComparison", "ArtifactPreview", "ArtifactRead", "CompareKind", "JsonChangeRead", "PreviewKind"]

PreviewKind = Literal["json", "markdown", "csv", "text"]
CompareKind = Literal["json", "text", "image", "binary"]

_READ = ConfigDict(frozen=True, extra="forbid")


class ArtifactRead(BaseModel):
    model_config = _READ
    id: str
    run_id: str
    step_key: str
    attempt: int
    name: str
    path: str = Field(description="relative to the run's folder; once archived by a rollback, to the pipeline's")
    size: int
    sha256: str
    media_type: str
    archived: bool = Field(description="a rollback moved it to .archived/ (kept, never deleted)")
    reused_from: str | None = Field(default=None, description="the artifact of the extended run this one reuses")
    created_at: datetime


class ArtifactPreview(BaseModel):
    model_config = _READ
    id: str
    media_type: str
    kind: PreviewKind = Field(description="json (pretty-printed), markdown and text (as they are), csv (also as rows)")
    content: str
    truncated: bool = Field(description="true when only the first part of the file is shown")
    rows: list[list[str]] | None = Field(default=None, description="csv: the first 1,000 rows, parsed")


class JsonChangeRead(BaseModel):
    model_config = _READ
    path: str = Field(description="where, as $.key[index]")
    op: Literal["added", "removed", "changed"]
    left: JsonValue = None
    right: JsonValue = None


class ArtifactComparison(BaseModel):
    model_config = _READ
    left: ArtifactRead
    right: ArtifactRead
    kind: CompareKind
    identical: bool = Field(description="same content (sha256)")
    diff: str = Field(description="a unified diff of the text (json: of the files as written); empty when equal")
    json_changes: list[JsonChangeRead] | None = Field(default=None, description="json: what changed, path by path")
    truncated: bool = Field(default=False, description="the text diff covers the first 200 KB of each file only")
