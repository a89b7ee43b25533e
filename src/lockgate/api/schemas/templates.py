"""Templates: the definitions New pipeline offers as starting points (the examples, and pipelines marked so)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictBool

__all__ = ["TemplateMark", "TemplateRead", "TemplateSource"]


class TemplateSource(StrEnum):
    EXAMPLE = "example"  # a file of the examples/ folder
    PIPELINE = "pipeline"  # a pipeline of this server marked as a template


class TemplateRead(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    description: str | None = None
    source: TemplateSource
    definition: dict[str, JsonValue] = Field(description="the definition to start from")


class TemplateMark(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    template: StrictBool = Field(description="true: New pipeline offers the pipeline's latest version to start from")
