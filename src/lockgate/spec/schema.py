"""The JSON Schema of a whole definition, for editors and the UI."""

from __future__ import annotations

from typing import Any

from lockgate.spec.pipeline import PipelineSpec

__all__ = ["pipeline_json_schema"]


def pipeline_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) a pipeline definition document satisfies."""
    schema = PipelineSpec.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Lockgate pipeline"
    return schema
