"""Models: a provider's pydantic-ai model from a profile, wrapped so every request passes the ledger.

``LedgerModel`` sits between pydantic-ai's agent loop and the provider's model. Before each request it
holds room in the budgets (or refuses, so no request reaches the provider); after it, it records the
response with its usage and price. When the step replays a recorded run, it answers from the recording
and the provider is never called.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from pydantic import JsonValue
from pydantic_ai.messages import ModelMessage, ModelMessagesTypeAdapter, ModelResponse
from pydantic_ai.models import CompletedStreamedResponse, Model, ModelRequestParameters
from pydantic_ai.models.wrapper import WrapperModel

from lockgate.errors import PermanentStepError
from lockgate.handlers.agent.budgets import ASSUMED_OUTPUT
from lockgate.handlers.agent.metering import Meter, estimate_input_tokens, measured_input, output_tokens, reported
from lockgate.handlers.agent.queueing import server_slot
from lockgate.handlers.agent.replaying import ToolAnswer
from lockgate.handlers.agent.services import (
    AgentServices,
    CapField,
    ExchangeRecord,
    ModelProfileData,
    Provider,
    Reservation,
    cost_of,
)
from lockgate.spec.agent import Budget, OutputMode

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from pydantic_ai import RunContext
    from pydantic_ai.models import StreamedResponse
    from pydantic_ai.profiles import ModelProfile
    from pydantic_ai.settings import ModelSettings


__all__ = ["LedgerModel", "MemberLedger", "Sent", "dump_response", "provider_model"]


def _wire_profile(profile: ModelProfileData) -> dict[str, Any]:
    """pydantic-ai's model profile keys for what the server honours (see ``lockgate models test``)."""
    wire: dict[str, Any] = {}
    if profile.cap_field in {CapField.MAX_TOKENS, CapField.NONE}:
        wire["openai_chat_supports_max_completion_tokens"] = False
    if profile.output_mode is OutputMode.NATIVE:
        wire["supports_json_schema_output"] = True
    return wire


def provider_model(profile: ModelProfileData, output_mode: OutputMode | None = None) -> Model:
    """The pydantic-ai model for a profile, over the provider's own SDK, sending what the server honours."""
    if profile.provider is Provider.ANTHROPIC:
        from pydantic_ai.models.anthropic import AnthropicModel
        from pydantic_ai.providers.anthropic import AnthropicProvider

        return AnthropicModel(profile.model_id, provider=AnthropicProvider(api_key=profile.api_key,
                                                                           base_url=profile.base_url))  # fmt: skip
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    from lockgate.handlers.agent.wire import CompatibleChatModel

    # a local server needs no key, but the client insists on one
    key = profile.api_key or ("not-needed" if profile.base_url else None)
    mode = output_mode or profile.output_mode
    provider = OpenAIProvider(base_url=profile.base_url, api_key=key)
    wire = cast("ModelProfile", _wire_profile(dataclasses.replace(profile, output_mode=mode)))
    if profile.provider is Provider.OPENAI and mode is not OutputMode.NAMED_TOOL:
        return OpenAIChatModel(profile.model_id, provider=provider, profile=wire)
    return CompatibleChatModel(profile.model_id, provider=provider, profile=wire,
                               named_tool=mode is OutputMode.NAMED_TOOL)  # fmt: skip


def dump_response(response: ModelResponse) -> JsonValue:
    dumped: list[JsonValue] = ModelMessagesTypeAdapter.dump_python([response], mode="json")
    return dumped[0]


def _load_response(data: JsonValue) -> ModelResponse:
    message = ModelMessagesTypeAdapter.validate_python([data])[0]
    if not isinstance(message, ModelResponse):
        raise PermanentStepError("replay_mismatch", "the recording holds a request where a response was expected")
    return message


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
    estimated: int = 0  # requests whose usage was counted locally
    last_sent: Sent | None = None  # the latest request sent (a failure's numbers come from it)
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

    def record(self, index: int, response: ModelResponse, sent: Sent | None = None) -> ExchangeRecord:
        """The answer as spend: the usage the server reported, else counted locally (``estimated``), never 0.

        ``sent`` is None for a replayed answer (free).
        """
        estimated = sent is not None and not reported(response)
        if sent is None:
            tokens_in, tokens_out = 0, 0
        elif estimated:
            # within what was held: the local counts are made to stay below the hold's (see metering)
            tokens_in = min(measured_input(sent.messages, sent.parameters), sent.held_input)
            tokens_out = output_tokens(response)
            tokens_out = min(tokens_out, sent.cap) if sent.cap is not None else tokens_out
        else:
            tokens_in, tokens_out = response.usage.input_tokens, response.usage.output_tokens
        self.spent_in += tokens_in
        self.spent_out += tokens_out
        self.estimated += estimated
        return ExchangeRecord(
            member=self.member,
            index=index,
            model=self.profile.name,
            response=dump_response(response),
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            cost=cost_of(self.profile, tokens_in, tokens_out),
            replayed=sent is None,
            estimated=estimated,
        )


@dataclass(frozen=True, slots=True)
class Sent:
    """A request as it left: what a response without usage is estimated from."""

    messages: list[ModelMessage]
    parameters: ModelRequestParameters
    held_input: int  # the input tokens its hold counted
    cap: int | None  # the output cap it was sent with


def _settings_with(settings: ModelSettings | None, reservation: Reservation) -> ModelSettings:
    merged: dict[str, Any] = dict(settings or {})
    if reservation.max_output_tokens is not None:
        current = merged.get("max_tokens")
        merged["max_tokens"] = min(current, reservation.max_output_tokens) if current else reservation.max_output_tokens
    return cast("ModelSettings", merged)  # a ModelSettings TypedDict with one key changed


def _cut_at(profile: ModelProfileData, cap: int | None, *, budgeted: bool) -> int | None:
    """Where Lockgate ends a stream, counting tokens itself (a cautious count: it errs high).

    A budget holds ASSUMED_OUTPUT for a request sent without a cap: the stream may not pass it. A server
    known to honour the cap ends the answer there itself; the cut is only a safety net past twice the cap (the
    local count errs high).
    """
    if cap is None:
        return ASSUMED_OUTPUT if budgeted else None
    return cap * 2 + 16 if profile.cap_field in {CapField.MAX_COMPLETION_TOKENS, CapField.MAX_TOKENS} else cap


class LedgerModel(WrapperModel):
    """Every request: wait for a server slot, hold room in the budgets, send, record what it cost."""

    def __init__(self, wrapped: Model, ledger: MemberLedger) -> None:
        super().__init__(wrapped)
        self.ledger = ledger

    async def _reserve(self, input_tokens: int, settings: ModelSettings | None) -> Reservation:
        ledger = self.ledger
        wanted = (settings or {}).get("max_tokens")
        return await ledger.services.reserve(ledger.member, ledger.profile, input_tokens, wanted,
                                             ledger.node_budget)  # fmt: skip

    async def _pace(self, input_tokens: int, settings: ModelSettings | None) -> None:
        # the prompt's estimate and the output cap count against tokens_per_minute (the answer is not known yet)
        cap = (settings or {}).get("max_tokens") or self.ledger.profile.max_tokens or 0
        await self.ledger.services.pace(self.ledger.profile, input_tokens + cap)

    async def _admitted(self, input_tokens: int, settings: ModelSettings | None) -> Reservation:
        """Room in the budgets, then a place in the rate: paced last, so the request leaves right after it.

        The server's arrivals then keep the rate's spacing (the budget hold, a database write, used to come
        between admission and sending), and a request the budgets refuse takes none of the rate.
        """
        reservation = await self._reserve(input_tokens, settings)
        try:
            await self._pace(input_tokens, settings)
        except BaseException:  # cancelled while waiting for the rate (a sibling failed): nothing was sent
            await asyncio.shield(self.ledger.services.release(reservation))
            raise
        return reservation

    async def _settle(self, reservation: Reservation, index: int, response: ModelResponse, sent: Sent) -> None:
        # shielded: a step cancelled while it records (a sibling failed) still records what it spent
        await asyncio.shield(self.ledger.services.settle(reservation, self.ledger.record(index, response, sent)))

    async def _unanswered(self, reservation: Reservation, index: int, sent: Sent, exc: BaseException) -> None:
        """A request that got no answer: refused or failed, it cost nothing.

        Cancelled (a sibling failed) while the server was reading it, its prompt is charged.
        """
        if isinstance(exc, asyncio.CancelledError):
            response = ModelResponse(parts=[], model_name=self.model_name, state="interrupted")
            await self._settle(reservation, index, response, sent)
        else:
            await asyncio.shield(self.ledger.services.release(reservation))

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        ledger = self.ledger
        if ledger.recording is not None:
            index = await ledger.next_index()
            response = ledger.replayed(index)
            await ledger.services.settle(Reservation(None, None), ledger.record(index, response))
            return response
        async with server_slot(ledger.profile):
            held_input = estimate_input_tokens(messages, model_request_parameters)
            reservation = await self._admitted(held_input, model_settings)
            index = await ledger.next_index()  # only requests the budgets admitted count
            settings = _settings_with(model_settings, reservation)
            sent = Sent(messages, model_request_parameters, held_input, settings.get("max_tokens"))
            ledger.last_sent = sent
            try:
                response = await super().request(messages, settings, model_request_parameters)
            except BaseException as exc:
                await self._unanswered(reservation, index, sent, exc)
                raise
            await self._settle(reservation, index, response, sent)
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
        if ledger.recording is not None:
            index = await ledger.next_index()
            response = ledger.replayed(index)
            yield CompletedStreamedResponse(response, model_request_parameters=model_request_parameters,
                                            replay_events=True)  # fmt: skip
            await ledger.services.settle(Reservation(None, None), ledger.record(index, response))
            return
        async with server_slot(ledger.profile):
            held_input = estimate_input_tokens(messages, model_request_parameters)
            reservation = await self._admitted(held_input, model_settings)
            index = await ledger.next_index()
            settings = _settings_with(model_settings, reservation)
            sent = Sent(messages, model_request_parameters, held_input, settings.get("max_tokens"))
            ledger.last_sent = sent
            meter = Meter(_cut_at(ledger.profile, sent.cap, budgeted=reservation.id is not None), ledger.member)
            opened: StreamedResponse | None = None
            try:
                async with self.wrapped.request_stream(messages, settings, model_request_parameters,
                                                       run_context) as stream:  # fmt: skip
                    opened = stream
                    meter.watch(stream)
                    yield stream
            except BaseException as exc:
                if opened is not None:  # served in part (cut off, interrupted, cancelled): what arrived was spent
                    await self._settle(reservation, index, opened.get(), sent)
                else:
                    await self._unanswered(reservation, index, sent, exc)
                raise
            await self._settle(reservation, index, stream.get(), sent)
