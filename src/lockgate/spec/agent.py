"""The ``agent`` kind's configuration: model, prompt, output, tools, context, budget, team."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictBool, StrictFloat, model_validator

from lockgate.spec.fields import JSON_INTEGER, Duration, Identifier, Template
from lockgate.spec.kinds import ModelUse

__all__ = [
    "AgentConfig",
    "Budget",
    "BuiltinTool",
    "ContextArtifact",
    "McpServer",
    "OutputMode",
    "TeamConfig",
    "TeamMember",
    "TeamMode",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Budget(BaseModel):
    """Limits on model use. Checked before every model request, counting requests still in flight.

    Attributes:
        max_cost: US dollars, priced with the model profiles' prices per million tokens.
        max_tokens: input and output tokens together.
        max_requests: model requests.
    """

    # "at least one limit", as JSON Schema says it: one of the three is present and not null
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra={"anyOf": [
        {"required": [name], "properties": {name: {"not": {"type": "null"}}}}
        for name in ("max_cost", "max_tokens", "max_requests")
    ]})  # fmt: skip

    max_cost: StrictFloat | None = Field(default=None, gt=0)
    max_tokens: Annotated[int, Field(ge=1, le=10**12), JSON_INTEGER] | None = None
    max_requests: Annotated[int, Field(ge=1, le=10**9), JSON_INTEGER] | None = None

    @model_validator(mode="after")
    def _one_limit(self) -> Budget:
        if self.max_cost is None and self.max_tokens is None and self.max_requests is None:
            raise ValueError("give at least one of max_cost, max_tokens, max_requests")
        return self


class OutputMode(StrEnum):
    """How a structured answer is asked for: servers honour some of these and ignore others."""

    TOOL = "tool"  # an output tool the model must call (tool_choice: required)
    NAMED_TOOL = "named_tool"  # the output tool named in tool_choice (servers that ignore required: llama.cpp)
    NATIVE = "native"  # response_format: json_schema (the server constrains the answer)
    PROMPTED = "prompted"  # the schema in the instructions, the answer parsed from text


class BuiltinTool(StrEnum):
    """Tools the platform offers an agent."""

    HTTP_GET = "http_get"  # fetch a URL (text, first 100 KB)
    HTTP_POST = "http_post"  # POST a JSON body to a URL
    READ_ARTIFACT = "read_artifact"  # an artifact of an earlier step of this run, or of an earlier run
    WRITE_ARTIFACT = "write_artifact"  # a file in the step's workspace, promoted with the step
    RUN_PYTHON = "run_python"  # Python in the script sandbox (no network), its output returned


class McpServer(BaseModel):
    """An MCP server whose tools the agent may call: a Streamable HTTP ``url`` or a stdio ``command``.

    Header values and environment values may hold ``${credential:NAME}`` for a credential the node lists.
    """

    model_config = _FROZEN

    name: Identifier
    url: str | None = None
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    tools: list[str] | None = Field(default=None, description="only these tools of the server; default: all")

    @model_validator(mode="after")
    def _one_transport(self) -> McpServer:
        if (self.url is None) == (self.command is None):
            raise ValueError("give exactly one of 'url' or 'command'")
        return self


class ContextArtifact(BaseModel):
    """An artifact put into the prompt: a file an earlier step left, in this run or in run ``run`` (vN)."""

    model_config = _FROZEN

    step: str = Field(min_length=1, max_length=200, description="the step key, e.g. draft or fan[2]")
    name: str = Field(min_length=1, description="the file's path inside the step's folder (a glob: every match)")
    run: Annotated[int, Field(ge=1, le=2**31 - 1), JSON_INTEGER] | None = Field(
        default=None, description="an earlier run number of this pipeline; default: this run"
    )
    max_chars: Annotated[int, Field(ge=1, le=2_000_000), JSON_INTEGER] | None = Field(
        default=None, description="cap for this artifact (within the node's cap)"
    )


class TeamMode(StrEnum):
    """How the members of a team work together."""

    SEQUENTIAL = "sequential"  # each sees the previous one's output; the last one answers
    PARALLEL = "parallel"  # all answer independently; the output maps member → answer
    COUNCIL = "council"  # all answer, then the chair synthesizes
    DEBATE = "debate"  # all answer, ``rounds`` of rebuttal, then the judge decides
    META = "meta"  # the planner designs the team (structured output), which then runs


class TeamMember(BaseModel):
    """One agent of a team, inline or from an agent profile (``profile``); inline fields win."""

    model_config = _FROZEN

    name: Identifier
    profile: str | None = Field(default=None, description="an agent profile (lockgate agents add)")
    model: str | None = Field(default=None, description="a model profile; default: the profile's, else the node's")
    instructions: Template | None = None
    temperature: StrictFloat | None = Field(default=None, ge=0, le=2)


class TeamConfig(BaseModel):
    """Several agents answering the node's prompt together."""

    model_config = _FROZEN

    mode: TeamMode
    members: list[TeamMember] = Field(default_factory=list, max_length=12)
    chair: TeamMember | None = None
    judge: TeamMember | None = None
    planner: TeamMember | None = None
    rounds: Annotated[int, Field(ge=0, le=10), JSON_INTEGER] = Field(
        default=1, description="debate: rounds of rebuttal after the first answers"
    )
    max_members: Annotated[int, Field(ge=1, le=12), JSON_INTEGER] = Field(
        default=4, description="meta: the largest team the planner may design"
    )

    @model_validator(mode="after")
    def _members(self) -> TeamConfig:
        if self.mode is not TeamMode.META and len(self.members) < (1 if self.mode is TeamMode.SEQUENTIAL else 2):
            raise ValueError(f"a {self.mode.value} team needs at least {1 if self.mode is TeamMode.SEQUENTIAL else 2} "
                             "members")  # fmt: skip
        names = [m.name for m in self.members]
        if len(names) != len(set(names)):
            raise ValueError("member names must be unique")
        return self


class AgentConfig(BaseModel):
    """An LLM agent (or a team of them) answering ``prompt``; its answer is the step's output.

    Attributes:
        model: a model profile name; default: the ``LOCKGATE_MODEL`` setting.
        instructions: the system instructions (a template over the step's inputs).
        prompt: the task (a template over the step's inputs).
        output_schema: a JSON Schema (an object) the answer must satisfy; without it the answer is text.
        output_retries: how often an answer that does not satisfy the schema is sent back, within the attempt.
        output_mode: how the schema is asked for (tool, named_tool, native, prompted); default: the profile's.
        tools: built-in tools the agent may call.
        mcp_servers: MCP servers whose tools the agent may call.
        max_tool_calls: tool calls allowed in one attempt (each member of a team counts on its own).
        context: artifacts put into the prompt, each under a heading, capped at ``context_max_chars`` in all.
        budget: limits for this node's steps, all attempts together.
        team: several agents and how they work together.
        stream: stream tokens to the run's live events while the agent works.
        route: the agent chooses which successors run (``choose_next``, a tool listing them by id, name and
            description; the others are skipped); it must choose before it answers. False: every successor runs.
    """

    model_config = _FROZEN

    model: str | None = Field(default=None, max_length=100)
    instructions: Template | None = None
    prompt: Template
    output_schema: dict[str, JsonValue] | None = None
    output_retries: Annotated[int, Field(ge=0, le=10), JSON_INTEGER] = 2
    output_mode: OutputMode | None = Field(
        default=None, description="how output_schema is asked for; default: what the model profile found works"
    )
    temperature: StrictFloat | None = Field(default=None, ge=0, le=2)
    max_tokens: Annotated[int, Field(ge=1, le=10_000_000), JSON_INTEGER] | None = None
    tools: list[BuiltinTool] = Field(default_factory=list)
    mcp_servers: list[McpServer] = Field(default_factory=list)
    max_tool_calls: Annotated[int, Field(ge=0, le=1000), JSON_INTEGER] = 20
    context: list[ContextArtifact] = Field(default_factory=list)
    context_max_chars: Annotated[int, Field(ge=100, le=2_000_000), JSON_INTEGER] = 20_000
    budget: Budget | None = None
    team: TeamConfig | None = None
    stream: StrictBool = True
    route: StrictBool = False
    http_allow: list[str] = Field(
        default_factory=list, description="http tools: URL prefixes allowed (empty: any http(s) URL)"
    )
    python_time_limit: Duration = Field(
        default=timedelta(seconds=30), description="run_python: wall clock and CPU time of each call"
    )

    @model_validator(mode="after")
    def _schema_is_object(self) -> AgentConfig:
        if self.output_schema is None:
            return self
        if self.output_schema.get("type", "object") != "object":
            raise ValueError("output_schema must describe an object (type: object)")
        # jsonschema (with its referencing registry) loads for a definition that has an output schema, not for
        # every process that imports the spec
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        try:
            Draft202012Validator.check_schema(self.output_schema)
        except SchemaError as exc:
            raise ValueError(f"output_schema is not a valid JSON Schema: {exc.message}") from None
        return self

    def models_used(self) -> tuple[ModelUse, ...]:
        """The node's model setting, then each team member's (a member without one uses the node's)."""
        uses = [ModelUse("config.model", self.model)]
        team = self.team
        if team is not None:
            named = [(f"config.team.members[{i}]", m) for i, m in enumerate(team.members)]
            leads = (("chair", team.chair), ("judge", team.judge), ("planner", team.planner))
            named += [(f"config.team.{role}", m) for role, m in leads if m is not None]
            for field, member in named:
                # inline fields win: the agent profile names the model only when the member does not
                profile = None if member.model is not None or member.profile is None else member.profile
                where = None if profile is None else (profile, f"{field}.profile")
                uses.append(ModelUse(f"{field}.model", member.model, where, default=self.model))
        return tuple(uses)
