"""Models: a provider's pydantic-ai model from a profile, wrapped so every request passes the ledger.

``LedgerModel`` sits between pydantic-ai's agent loop and the provider's model. Before each request it
holds room in the budgets (or refuses, so no request reaches the provider); after it, it records the
response with its usage and price. When the step replays a recorded run, it answers from the recording
and the provider is never called.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import JsonValue
from pydantic_ai.messages import ModelMessagesTypeAdapter, ModelResponse
from pydantic_ai.models import CompletedStreamedResponse, Model
from pydantic_ai.models.wrapper import WrapperModel

from lockgate.errors import PermanentStepError
from lockgate.handlers.agent.replaying import ToolAnswer
from lockgate.handlers.agent.services import (
    AgentServices,
    ExchangeRecord,
    ModelProfileData,
    Provider,
    Reservation,
    cost_of,
)
from lockgate.spec.agent import Budget

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from pydantic_ai import RunContext
    from pydantic_ai.messages import ModelMessage
    from pydantic_ai.models import ModelRequestParameters, StreamedResponse
    from pydantic_ai.settings import ModelSettings


__all__ = ["LedgerModel", "MemberLedger", "dump_response", "estimate_input_tokens", "provider_model"]

_CHARS_PER_TOKEN = 3  # a cautious estimate (English averages about 4): budgets err on the side of refusing


def provider_model(profile: ModelProfileData) -> Model:
    """The pydantic-ai model for a profile, over the provider's own SDK."""
    if profile.provider is Provider.ANTHROPIC:
        from pydantic_ai.models.anthropic import AnthropicModel
        from pydantic_ai.providers.anthropic import AnthropicProvider

        return AnthropicModel(profile.model_id, provider=AnthropicProvider(api_key=profile.api_key,
                                                                           base_url=profile.base_url))  # fmt: skip
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    # a local server needs no key, but the client insists on one
    key = profile.api_key or ("not-needed" if profile.base_url else None)
    return OpenAIChatModel(profile.model_id, provider=OpenAIProvider(base_url=profile.base_url, api_key=key))


def dump_response(response: ModelResponse) -> JsonValue:
    dumped: list[JsonValue] = ModelMessagesTypeAdapter.dump_python([response], mode="json")
    return dumped[0]


def _load_response(data: JsonValue) -> ModelResponse:
    message = ModelMessagesTypeAdapter.validate_python([data])[0]
    if not isinstance(message, ModelResponse):
        raise PermanentStepError("replay_mismatch", "the recording holds a request where a response was expected")
    return message


def estimate_input_tokens(messages: list[ModelMessage], parameters: ModelRequestParameters) -> int:
    size = len(ModelMessagesTypeAdapter.dump_json(messages))
    size += sum(len(str(t.parameters_json_schema)) + len(t.name) + len(t.description or "")
                for t in parameters.tool_defs.values())  # fmt: skip
    return size // _CHARS_PER_TOKEN + 1


@dataclass
class MemberLedger:
    """One member's requests in one attempt: its services, budgets, replay recording and request counter."""

    services: AgentServices
    profile: ModelProfileData
    member: str
    node_budget: Budget | None
    recording: list[JsonValue] | None
    tool_answers: list[dict[str, ToolAnswer]] | None = None  # replaying: per recorded response, its tools' answers
    count: int = 0  # requests made (or replayed)
    spent_in: int = 0  # tokens actually paid for
    spent_out: int = 0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def current_answers(self) -> dict[str, ToolAnswer]:
        """What the tools called by the latest replayed response answered when it was recorded."""
        index = self.count - 1
        return self.tool_answers[index] if self.tool_answers is not None and 0 <= index < len(self.tool_answers) else {}

    async def next_index(self) -> int:
        async with self._lock:
            index = self.count
            self.count += 1
            return index

    def replayed(self, index: int) -> ModelResponse:
        assert self.recording is not None  # noqa: S101 - only called when replaying
        if index >= len(self.recording):
            raise PermanentStepError(
                "replay_exhausted",
                f"member {self.member!r} made request #{index + 1}, but the recording holds only "
                f"{len(self.recording)}: the step no longer behaves as when it was recorded",
            )
        return _load_response(self.recording[index])

    def record(self, index: int, response: ModelResponse, *, replayed: bool = False) -> ExchangeRecord:
        usage = response.usage
        tokens_in, tokens_out = (0, 0) if replayed else (usage.input_tokens, usage.output_tokens)
        self.spent_in += tokens_in
        self.spent_out += tokens_out
        return ExchangeRecord(
            member=self.member,
            index=index,
            model=self.profile.name,
            response=dump_response(response),
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            cost=cost_of(self.profile, tokens_in, tokens_out),
            replayed=replayed,
        )


def _settings_with(settings: ModelSettings | None, reservation: Reservation) -> ModelSettings | None:
    if reservation.max_output_tokens is None:
        return settings
    merged: dict[str, Any] = dict(settings or {})
    current = merged.get("max_tokens")
    merged["max_tokens"] = min(current, reservation.max_output_tokens) if current else reservation.max_output_tokens
    return merged  # type: ignore[return-value]  # a ModelSettings TypedDict with one key changed


class LedgerModel(WrapperModel):
    def __init__(self, wrapped: Model, ledger: MemberLedger) -> None:
        super().__init__(wrapped)
        self.ledger = ledger

    async def _reserve(self, messages: list[ModelMessage], settings: ModelSettings | None,
                       parameters: ModelRequestParameters) -> Reservation:  # fmt: skip
        ledger = self.ledger
        wanted = (settings or {}).get("max_tokens")
        return await ledger.services.reserve(ledger.member, ledger.profile, estimate_input_tokens(messages, parameters),
                                             wanted, ledger.node_budget)  # fmt: skip

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        ledger = self.ledger
        index = await ledger.next_index()
        if ledger.recording is not None:
            response = ledger.replayed(index)
            await ledger.services.settle(Reservation(None, None), ledger.record(index, response, replayed=True))
            return response
        reservation = await self._reserve(messages, model_settings, model_request_parameters)
        try:
            response = await super().request(messages, _settings_with(model_settings, reservation),
                                             model_request_parameters)  # fmt: skip
        except Exception:
            await ledger.services.release(reservation)
            raise
        await ledger.services.settle(reservation, ledger.record(index, response))
        return response

    @contextlib.asynccontextmanager
    async def request_stream(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
        run_context: RunContext[Any] | None = None,
    ) -> AsyncGenerator[StreamedResponse]:
        ledger = self.ledger
        index = await ledger.next_index()
        if ledger.recording is not None:
            response = ledger.replayed(index)
            yield CompletedStreamedResponse(response, model_request_parameters=model_request_parameters,
                                            replay_events=True)  # fmt: skip
            await ledger.services.settle(Reservation(None, None), ledger.record(index, response, replayed=True))
            return
        reservation = await self._reserve(messages, model_settings, model_request_parameters)
        settings = _settings_with(model_settings, reservation)
        try:
            async with self.wrapped.request_stream(messages, settings, model_request_parameters, run_context) as stream:
                yield stream
        except Exception:
            await ledger.services.release(reservation)
            raise
        await ledger.services.settle(reservation, ledger.record(index, stream.get()))
