"""What an agent step needs of the platform, and the values that cross that door.

The runtime implements ``AgentServices`` over the store (model profiles, the budget ledger, conversation
records, the replay recording, live events); tests implement it in memory. The handler never sees a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from pydantic import JsonValue

from lockgate.spec.agent import BuiltinTool, OutputMode

if TYPE_CHECKING:
    from pydantic_ai.models import Model

    from lockgate.spec.agent import Budget

__all__ = [
    "AgentProfileData",
    "AgentServices",
    "CapField",
    "ExchangeRecord",
    "ModelProfileData",
    "Provider",
    "Reservation",
    "TurnRecord",
    "TurnRole",
    "cost_of",
]


class Provider(StrEnum):
    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    OPENAI_COMPATIBLE = "openai_compatible"  # Ollama, vLLM, llama.cpp server, LiteLLM proxy…


class CapField(StrEnum):
    """The request field a server honours as the output cap."""

    MAX_COMPLETION_TOKENS = "max_completion_tokens"  # OpenAI's
    MAX_TOKENS = "max_tokens"  # the older field most local servers honour
    NONE = "none"  # neither: Lockgate sends max_tokens and cuts the stream at the cap itself


@dataclass(frozen=True, slots=True)
class ModelProfileData:
    """A model profile resolved for one attempt: its API key included (never logged, never stored here)."""

    name: str
    provider: Provider
    model_id: str
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    temperature: float | None = None
    max_tokens: int | None = None
    input_price: float = 0.0  # US dollars per million input tokens
    output_price: float = 0.0  # US dollars per million output tokens
    # what the server does (probed, or set by hand); None: not known, OpenAI's behaviour is assumed
    stream_usage: bool | None = None
    cap_field: CapField | None = None
    output_mode: OutputMode | None = None
    max_concurrency: int | None = None
    context_window: int | None = None
    requests_per_minute: int | None = None  # rate limits: a request beyond waits
    tokens_per_minute: int | None = None


@dataclass(frozen=True, slots=True)
class AgentProfileData:
    """A predefined agent a team member may refer to."""

    name: str
    model: str | None = None
    instructions: str | None = None
    temperature: float | None = None
    tools: tuple[BuiltinTool, ...] | None = None


class TurnRole(StrEnum):
    AGENT = "agent"  # the one agent of a node without a team
    MEMBER = "member"
    CHAIR = "chair"
    JUDGE = "judge"
    PLANNER = "planner"


@dataclass(frozen=True, slots=True)
class Reservation:
    """Room held in the budgets for one request in flight; ``max_output_tokens`` is what the budgets afford."""

    id: str | None
    max_output_tokens: int | None


@dataclass(frozen=True, slots=True)
class ExchangeRecord:
    """One model request's answer, as recorded (and replayed): the response, its usage and its price."""

    member: str
    index: int  # the member's n-th request in this attempt, from 0
    model: str  # the model profile's name
    response: JsonValue  # a pydantic-ai ModelResponse as JSON
    input_tokens: int
    output_tokens: int
    cost: float
    replayed: bool = False
    estimated: bool = False  # the server reported no usage: the tokens were counted locally


@dataclass(frozen=True, slots=True)
class TurnRecord:
    """One agent run inside an attempt: a member's turn (a round of a debate is a turn), with its whole history."""

    member: str
    role: TurnRole
    position: int  # order within the attempt
    round: int
    messages: JsonValue  # pydantic-ai ModelMessages as JSON: the conversation so far, this turn included
    output: JsonValue
    input_tokens: int
    output_tokens: int
    requests: int
    tool_calls: int
    cost: float
    error: str | None = None
    estimated: bool = False


def cost_of(model: ModelProfileData, input_tokens: int, output_tokens: int) -> float:
    return (input_tokens * model.input_price + output_tokens * model.output_price) / 1_000_000


class AgentServices(Protocol):
    async def model(self, name: str | None) -> ModelProfileData:
        """The named model profile (None: the default); raises PermanentStepError naming the setting."""
        ...

    async def agent_profile(self, name: str) -> AgentProfileData: ...

    async def reserve(self, member: str, model: ModelProfileData, input_tokens: int, max_output_tokens: int | None,
                      node_budget: Budget | None) -> Reservation:  # fmt: skip
        """Hold room for a request, or raise PermanentStepError('budget_exceeded') naming the budget and the sums."""
        ...

    async def pace(self, model: ModelProfileData, tokens: int) -> None:
        """Wait until the profile's rate limits admit a request of about ``tokens`` tokens, and count it."""
        ...

    async def settle(self, reservation: Reservation, record: ExchangeRecord) -> None:
        """Record the answer (it becomes spend) and free the room held for it."""
        ...

    async def release(self, reservation: Reservation) -> None:
        """Free the room of a request that failed."""
        ...

    async def recording(self, member: str) -> list[JsonValue] | None:
        """The recorded responses of this member in the run replayed, in order; None when not replaying."""
        ...

    async def recorded_turns(self, member: str) -> list[JsonValue]:
        """The message histories of this member's turns in the run replayed (their tool answers serve the replay)."""
        ...

    async def previous_turns(self) -> list[TurnRecord]:
        """The turns of the step's latest earlier attempt that had any (to continue after a revision request)."""
        ...

    async def save_turn(self, turn: TurnRecord) -> None: ...

    def custom_model(self, profile: ModelProfileData) -> Model | None:
        """A model to use instead of the provider's (tests: pydantic-ai's TestModel or FunctionModel); None: none."""
        ...

    def publish(self, member: str, text: str) -> None:
        """Tokens as they stream in: live events only, never stored."""
        ...
