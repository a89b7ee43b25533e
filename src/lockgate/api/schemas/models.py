"""API schemas: model profiles (which model, where, with which credential, at what price) and agent profiles."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, model_validator

from lockgate.handlers.agent.findings import ProbeReport
from lockgate.handlers.agent.services import CapField, Provider
from lockgate.spec.agent import BuiltinTool, OutputMode
from lockgate.spec.fields import JSON_INTEGER, Identifier

__all__ = [
    "AgentProfileCreate",
    "AgentProfileRead",
    "AgentProfileUpdate",
    "ModelProfileCreate",
    "ModelProfileRead",
    "ModelProfileUpdate",
    "ServerBehaviour",
]

_IN = ConfigDict(frozen=True, extra="forbid")
_Price = Field(default=0.0, ge=0, description="US dollars per million tokens")


class ServerBehaviour(BaseModel):
    """What the model's server does: found by ``lockgate models test`` (POST /models/{name}/test) or set by hand.

    Null: not known (OpenAI's behaviour is assumed).
    """

    model_config = _IN
    stream_usage: StrictBool | None = Field(default=None, description="streams carry usage (else it is estimated)")
    cap_field: CapField | None = Field(
        default=None, description="the output-cap field the server honours (none: Lockgate cuts the stream)"
    )
    output_mode: OutputMode | None = Field(
        default=None, description="structured output that works: tool, named_tool, native (json_schema) or prompted"
    )
    max_concurrency: Annotated[int, Field(ge=1, le=1000), JSON_INTEGER] | None = Field(
        default=None, description="requests the server serves at once; more wait in a queue"
    )
    context_window: Annotated[int, Field(ge=1, le=100_000_000), JSON_INTEGER] | None = Field(
        default=None, description="tokens, prompt and answer"
    )
    requests_per_minute: Annotated[int, Field(ge=1, le=10_000_000), JSON_INTEGER] | None = Field(
        default=None, description="requests sent in any minute, by every server and worker; more wait (not fail)"
    )
    tokens_per_minute: Annotated[int, Field(ge=1, le=2_000_000_000), JSON_INTEGER] | None = Field(
        default=None, description="tokens (prompt estimate and output cap) in any minute; more wait (not fail)"
    )


class ModelProfileCreate(ServerBehaviour):
    """A model agents may name in ``config.model``; its API key lives in a credential, never here."""

    model_config = _IN
    name: Identifier
    provider: Provider = Field(description="openai, anthropic, or openai_compatible (Ollama, vLLM, llama.cpp…)")
    model_id: str = Field(min_length=1, max_length=200, description="the provider's model name, e.g. gpt-4o-mini")
    base_url: str | None = Field(
        default=None, max_length=2000, description="the API's base URL, e.g. http://h:11434/v1"
    )
    credential: Identifier | None = Field(default=None, description="the credential holding the API key")
    temperature: StrictFloat | None = Field(default=None, ge=0, le=2)
    max_tokens: Annotated[int, Field(ge=1, le=10_000_000), JSON_INTEGER] | None = Field(
        default=None, description="output tokens per request (makes budgets exact)"
    )
    input_price: StrictFloat = _Price
    output_price: StrictFloat = _Price
    description: str | None = Field(default=None, max_length=1000)


def _required_not_null(schema: dict[str, Any]) -> None:
    """In the JSON Schema, the fields a profile must keep take no null (the validator below refuses it)."""
    for name in _REQUIRED:
        field = schema["properties"][name]
        (kept,) = [s for s in field.pop("anyOf") if s.get("type") != "null"]
        field.pop("default", None)
        field.update(kept)


class ModelProfileUpdate(ServerBehaviour):
    """Fields to change; absent fields stay as they are (send null to clear an optional one)."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=_required_not_null)
    provider: Provider | None = None
    model_id: str | None = Field(default=None, min_length=1, max_length=200)
    base_url: str | None = Field(default=None, max_length=2000)
    credential: Identifier | None = None
    temperature: StrictFloat | None = Field(default=None, ge=0, le=2)
    max_tokens: Annotated[int, Field(ge=1, le=10_000_000), JSON_INTEGER] | None = None
    input_price: StrictFloat | None = Field(default=None, ge=0)
    output_price: StrictFloat | None = Field(default=None, ge=0)
    description: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _required_stay_set(self) -> ModelProfileUpdate:
        cleared = sorted(f for f in _REQUIRED if f in self.model_fields_set and getattr(self, f) is None)
        if cleared:
            raise ValueError(f"{', '.join(cleared)} cannot be cleared (send a value, or leave the field out)")
        return self


_REQUIRED = ("provider", "model_id", "input_price", "output_price")


class ModelProfileRead(BaseModel):
    model_config = _IN
    name: str
    provider: Provider
    model_id: str
    base_url: str | None
    credential: str | None = Field(description="the credential's name (its value is never shown)")
    temperature: float | None
    max_tokens: int | None
    input_price: float
    output_price: float
    description: str | None
    stream_usage: bool | None
    cap_field: CapField | None
    output_mode: OutputMode | None
    max_concurrency: int | None
    context_window: int | None
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    probe: ProbeReport | None = Field(description="what the last probe found, with what it saw")
    probed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class AgentProfileCreate(BaseModel):
    """A predefined agent that team members may refer to (``profile: NAME``)."""

    model_config = _IN
    name: Identifier
    description: str | None = Field(default=None, max_length=1000)
    model: str | None = Field(default=None, max_length=100, description="a model profile; default: the node's")
    instructions: str | None = Field(default=None, max_length=100_000)
    temperature: StrictFloat | None = Field(default=None, ge=0, le=2)
    tools: list[BuiltinTool] | None = Field(default=None, description="built-in tools; default: the node's")


class AgentProfileUpdate(BaseModel):
    """Fields to change; absent fields stay as they are."""

    model_config = _IN
    description: str | None = Field(default=None, max_length=1000)
    model: str | None = Field(default=None, max_length=100)
    instructions: str | None = Field(default=None, max_length=100_000)
    temperature: StrictFloat | None = Field(default=None, ge=0, le=2)
    tools: list[BuiltinTool] | None = None


class AgentProfileRead(BaseModel):
    model_config = _IN
    name: str
    description: str | None
    model: str | None
    instructions: str | None
    temperature: float | None
    tools: list[BuiltinTool] | None
    created_at: datetime
    updated_at: datetime
