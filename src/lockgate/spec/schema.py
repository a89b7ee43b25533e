"""The JSON Schema of a whole definition, for editors and the UI."""

from __future__ import annotations

import copy
import functools
from typing import Any

from lockgate.spec.pipeline import PipelineSpec

__all__ = ["pipeline_json_schema"]


def pipeline_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) a pipeline definition document satisfies."""
    return copy.deepcopy(_schema())  # the caller's own: callers add to it (titles, OpenAPI components)


@functools.cache
def _schema() -> dict[str, Any]:
    # Generated once per process: pydantic takes a third of a second for it, and the API's routes ask three times
    # while they are declared, the /schema route and the OpenAPI document again.
    schema = PipelineSpec.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Lockgate pipeline"
    return schema
