"""The JSON Schema of a whole definition, for editors and the UI."""

from __future__ import annotations

import copy
import functools
from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from lockgate.spec.pipeline import PipelineSpec

__all__ = ["field_title", "pipeline_json_schema"]


def pipeline_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) a pipeline definition document satisfies."""
    return copy.deepcopy(_schema())  # the caller's own: callers add to it (titles, OpenAPI components)


@functools.cache
def _schema() -> dict[str, Any]:
    # Generated once per process: pydantic takes a third of a second for it, and the API's routes ask three times
    # while they are declared, the /schema route and the OpenAPI document again.
    schema = PipelineSpec.model_json_schema(mode="validation", schema_generator=_PeopleTitles)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Lockgate pipeline"
    return schema


# Words a field name spells that people write otherwise (``cpu_time`` is "CPU time", ``memory_mb`` "Memory (MB)")
_WORDS = {"cpu": "CPU", "mb": "(MB)", "url": "URL", "json": "JSON", "http": "HTTP", "api": "API", "llm": "LLM"}


def field_title(name: str) -> str:
    """A field's label for people, in sentence case, from its name (a field's own ``title`` wins over it)."""
    words = [_WORDS.get(word, word) for word in name.split("_") if word]
    if words and words[0] == words[0].lower():
        words[0] = words[0].capitalize()
    return " ".join(words)


class _PeopleTitles(GenerateJsonSchema):
    # pydantic's default titles each word ("Cpu Time", "Memory Mb"): the editor's labels come from these
    def get_title_from_name(self, name: str) -> str:
        return field_title(name)

    # a field whose type is a reference gets its own title too (pydantic leaves it out): the referenced model's
    # title names its type (RetryPolicy, OnError), not the field
    def field_title_should_be_set(self, schema: Any) -> bool:  # noqa: ARG002 (every field, whatever its schema)
        return True
