"""An in-memory ``AgentServices``: the second implementation of the seam (the runtime's is over the store).

It keeps what the store would keep (turns, exchanges, holds) in lists, applies budgets with the same
arithmetic (``budgets.admit``), and hands the handler pydantic-ai's offline models.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import JsonValue
from pydantic_ai.models import Model

from lockgate.errors import PermanentStepError
from lockgate.handlers.agent.budgets import Spend, admit
from lockgate.handlers.agent.services import (
    AgentProfileData,
    CapField,
    ExchangeRecord,
    ModelProfileData,
    Provider,
    Reservation,
    TurnRecord,
)
from lockgate.spec.agent import Budget

__all__ = ["PROFILE", "MemoryAgentServices"]

# a test model honours the output cap it is sent (a profile that does not say so is streamed, to be cut)
PROFILE = ModelProfileData(name="test", provider=Provider.OPENAI_COMPATIBLE, model_id="test-model",
                           input_price=1.0, output_price=2.0, cap_field=CapField.MAX_COMPLETION_TOKENS)  # fmt: skip


@dataclass
class MemoryAgentServices:
    model_factory: Callable[[ModelProfileData], Model] | None = None
    models: dict[str, ModelProfileData] = field(default_factory=lambda: {"test": PROFILE})
    default_model: str | None = "test"
    agent_profiles: dict[str, AgentProfileData] = field(default_factory=dict)
    run_budget: Budget | None = None
    recordings: dict[str, list[JsonValue]] | None = None
    recorded_histories: dict[str, list[JsonValue]] = field(default_factory=dict)
    previous: list[TurnRecord] = field(default_factory=list)
    turns: list[TurnRecord] = field(default_factory=list)
    exchanges: list[ExchangeRecord] = field(default_factory=list)
    holds: dict[str, Spend] = field(default_factory=dict)
    deltas: list[tuple[str, str]] = field(default_factory=list)
    refused: int = 0
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    async def model(self, name: str | None) -> ModelProfileData:
        key = name or self.default_model
        if key is None or key not in self.models:
            raise PermanentStepError("model_not_configured", f"no model profile {key!r}")
        return self.models[key]

    async def agent_profile(self, name: str) -> AgentProfileData:
        if name not in self.agent_profiles:
            raise PermanentStepError("agent_profile_not_found", f"no agent profile {name!r}")
        return self.agent_profiles[name]

    def _spent(self) -> Spend:
        return Spend(sum(e.input_tokens + e.output_tokens for e in self.exchanges if not e.replayed),
                     sum(e.cost for e in self.exchanges), sum(1 for e in self.exchanges if not e.replayed))  # fmt: skip

    async def reserve(self, member: str, model: ModelProfileData, input_tokens: int, max_output_tokens: int | None,
                      node_budget: Budget | None) -> Reservation:  # fmt: skip
        held = sum(self.holds.values(), Spend())
        scopes = [(s, b, self._spent(), held) for s, b in (("run", self.run_budget), ("node", node_budget)) if b]
        try:
            admission = admit(scopes, model, input_tokens, max_output_tokens)
        except PermanentStepError:
            self.refused += 1
            raise
        key = str(next(self._ids))
        self.holds[key] = admission.hold
        return Reservation(key, admission.max_output_tokens)

    async def pace(self, model: ModelProfileData, tokens: int) -> None:
        """No rate limits in memory (the store's are proved in tests/integration/test_flow_control.py)."""

    async def settle(self, reservation: Reservation, record: ExchangeRecord) -> None:
        self.holds.pop(reservation.id or "", None)
        self.exchanges.append(record)

    async def release(self, reservation: Reservation) -> None:
        self.holds.pop(reservation.id or "", None)

    async def recording(self, member: str) -> list[JsonValue] | None:
        if self.recordings is None:
            return None
        return list(self.recordings.get(member, []))

    async def recorded_turns(self, member: str) -> list[JsonValue]:
        return list(self.recorded_histories.get(member, []))

    async def previous_turns(self) -> list[TurnRecord]:
        return list(self.previous)

    async def save_turn(self, turn: TurnRecord) -> None:
        self.turns.append(turn)

    def custom_model(self, profile: ModelProfileData) -> Model | None:
        return self.model_factory(profile) if self.model_factory is not None else None

    def publish(self, member: str, text: str) -> None:
        self.deltas.append((member, text))

    def histories(self) -> dict[str, list[JsonValue]]:
        """The turns' histories, keyed by member (the tool answers a replay of this attempt gives)."""
        out: dict[str, list[JsonValue]] = {}
        for turn in sorted(self.turns, key=lambda t: t.position):
            out.setdefault(turn.member, []).append(turn.messages)
        return out

    def recorded(self) -> dict[str, list[JsonValue]]:
        """The exchanges as a recording, keyed by member (what a replay of this attempt answers from)."""
        out: dict[str, list[JsonValue]] = {}
        for exchange in sorted(self.exchanges, key=lambda e: (e.member, e.index)):
            out.setdefault(exchange.member, []).append(exchange.response)
        return out
