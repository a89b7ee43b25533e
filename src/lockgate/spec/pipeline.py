"""The pipeline definition: nodes, edges, the input it takes; content-hashed."""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictBool

from lockgate.spec.agent import Budget
from lockgate.spec.concurrency import Concurrency
from lockgate.spec.fields import Identifier, Template
from lockgate.spec.nodes import Node, TemplatedJson

__all__ = ["Edge", "InputField", "InputType", "PipelineSpec"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Edge(BaseModel):
    """``source → target``; taken when the source succeeded, its branch was chosen and ``when`` holds."""

    model_config = _FROZEN

    source: Identifier
    target: Identifier
    when: Template | None = None
    branch: str | None = Field(default=None, description="a branch the source picks; 'error' for on_error: branch")


class InputType(StrEnum):
    """The JSON type of a run input field."""

    STRING = "string"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    OBJECT = "object"
    ARRAY = "array"


class InputField(BaseModel):
    """One field of the input a run takes."""

    model_config = _FROZEN

    type: InputType = InputType.STRING
    description: str | None = None
    required: StrictBool = False
    default: JsonValue = None
    enum: list[JsonValue] | None = None


class PipelineSpec(BaseModel):
    """A pipeline definition as written in YAML, JSON or built by the SDK.

    Attributes:
        name: a slug naming the pipeline; runs are numbered per name.
        input: the fields a run takes (``{{ input.<field> }}``).
        nodes: the vertices.
        edges: ``source → target`` links.
        output: optional template for the run's output; default: the outputs of the sink nodes.
        budget: limits on the model use of each run (agent steps), unless a run is started with its own.
        concurrency: how many runs may be open at once (per key) and what a run beyond does.
    """

    model_config = _FROZEN

    name: Identifier
    description: str | None = None
    input: dict[str, InputField] = Field(default_factory=dict)
    nodes: list[Node] = Field(min_length=1)
    edges: list[Edge] = Field(default_factory=list)
    output: TemplatedJson = None
    budget: Budget | None = None
    concurrency: Concurrency | None = None

    def canonical_json(self) -> str:
        """The definition as compact JSON with sorted keys and defaults left out: what the hash covers."""
        return json.dumps(self.model_dump(mode="json", exclude_defaults=True), sort_keys=True, separators=(",", ":"))

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON: equal for equal definitions, whatever the key order."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()
