"""What a probe of a model server found (see ``probing``): light, so the API and CLI load it without pydantic-ai."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from lockgate.handlers.agent.services import CapField
from lockgate.spec.agent import OutputMode

__all__ = ["ProbeReport"]


class ProbeReport(BaseModel):
    """What the server did; None: not found out (the server failed, or the provider is not probed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    stream_usage: bool | None = Field(default=None, description="a stream asked for usage ends with it")
    max_completion_tokens: bool | None = Field(default=None, description="honours max_completion_tokens")
    max_tokens: bool | None = Field(default=None, description="honours max_tokens")
    tool_choice_required: bool | None = Field(default=None, description="honours tool_choice: required")
    tool_choice_named: bool | None = Field(default=None, description="honours a tool_choice naming a tool")
    json_schema: bool | None = Field(default=None, description="honours response_format: json_schema")
    max_concurrency: int | None = Field(default=None, description="1: serves one request at a time")
    context_window: int | None = Field(default=None, description="tokens, if the server says")
    requests: int = Field(default=0, description="requests the probe sent")
    notes: list[str] = Field(default_factory=list, description="what the probe saw, one line a finding")

    @property
    def cap_field(self) -> CapField | None:
        if self.max_completion_tokens:
            return CapField.MAX_COMPLETION_TOKENS
        if self.max_tokens:
            return CapField.MAX_TOKENS
        if self.max_completion_tokens is False and self.max_tokens is False:
            return CapField.NONE
        return None

    @property
    def output_mode(self) -> OutputMode | None:
        if self.tool_choice_required:
            return OutputMode.TOOL
        if self.json_schema:
            return OutputMode.NATIVE
        if self.tool_choice_named:
            return OutputMode.NAMED_TOOL
        if self.tool_choice_required is False and self.json_schema is False and self.tool_choice_named is False:
            return OutputMode.PROMPTED
        return None
