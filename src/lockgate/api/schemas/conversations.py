"""API schemas: agent conversations (attempts, turns, messages) and what agents cost (attempt, step, run, pipeline)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from lockgate.handlers.agent.services import TurnRole
from lockgate.spec.agent import Budget

__all__ = [
    "AgentDelta",
    "AttemptConversationRead",
    "AttemptCostRead",
    "CostTotals",
    "PipelineCostRead",
    "RunCostRead",
    "RunCostSummary",
    "StepConversationRead",
    "StepCostRead",
    "TurnRead",
]

_READ = ConfigDict(frozen=True, extra="forbid")


class CostTotals(BaseModel):
    model_config = _READ
    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = Field(default=0, description="model requests (replayed answers included)")
    replayed: int = Field(default=0, description="requests answered from a recording (free)")
    cost: float = Field(default=0.0, description="US dollars, at the model profiles' prices when they were made")
    estimated: int = Field(
        default=0,
        description="requests whose server reported no usage: their tokens were counted locally (turns, in a "
        "conversation's totals)",
    )


class TurnRead(BaseModel):
    """One agent run inside an attempt: a member's turn (each round of a debate is one)."""

    model_config = _READ
    position: int = Field(description="order within the attempt (the order turns started)")
    member: str = Field(description="'agent' for a node without a team, else the member's name")
    role: TurnRole
    round: int = Field(description="debate round; 0 otherwise")
    messages: JsonValue = Field(description="the whole history as pydantic-ai ModelMessages (requests and responses "
                                "with their parts: user prompts, text, tool calls, tool returns, retries)")  # fmt: skip
    output: JsonValue = None
    input_tokens: int
    output_tokens: int
    requests: int
    tool_calls: int
    cost: float
    error: str | None = None
    estimated: bool = Field(default=False, description="some of its usage was counted locally (not reported)")
    created_at: datetime


class AttemptConversationRead(BaseModel):
    model_config = _READ
    attempt: int
    turns: list[TurnRead]
    totals: CostTotals


class StepConversationRead(BaseModel):
    model_config = _READ
    run_id: str
    step: str
    attempts: list[AttemptConversationRead]


class AttemptCostRead(CostTotals):
    attempt: int


class StepCostRead(BaseModel):
    model_config = _READ
    step: str
    node_id: str
    totals: CostTotals
    attempts: list[AttemptCostRead]


class RunCostRead(BaseModel):
    model_config = _READ
    run_id: str
    ref: str = Field(description="pipeline/vN")
    totals: CostTotals
    budget: Budget | None = Field(default=None, description="the run's budget, if it has one")
    steps: list[StepCostRead]


class RunCostSummary(CostTotals):
    run_id: str
    number: int


class PipelineCostRead(BaseModel):
    model_config = _READ
    pipeline: str
    totals: CostTotals = Field(description="every run together (replayed answers are free)")
    runs: list[RunCostSummary]


class AgentDelta(BaseModel):
    """Live only (SSE event ``agent_delta``, WebSocket frame with ``type: agent_delta``): never stored, no id."""

    model_config = _READ
    type: str = "agent_delta"
    run_id: str
    step: str
    attempt: int
    member: str
    seq: int = Field(description="orders the deltas of one attempt")
    text: str
    at: datetime
