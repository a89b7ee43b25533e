"""Artifacts: the metadata of files steps produced, and text previews of them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ArtifactPreview", "ArtifactRead"]

_READ = ConfigDict(frozen=True, extra="forbid")


class ArtifactRead(BaseModel):
    model_config = _READ
    id: str
    run_id: str
    step_key: str
    attempt: int
    name: str
    path: str = Field(description="relative to the run's folder")
    size: int
    sha256: str
    media_type: str
    archived: bool
    created_at: datetime


class ArtifactPreview(BaseModel):
    model_config = _READ
    id: str
    media_type: str
    kind: str = Field(description="json (pretty-printed) or text (Markdown, CSV, plain text)")
    content: str
    truncated: bool = Field(description="true when only the first part of the file is shown")
