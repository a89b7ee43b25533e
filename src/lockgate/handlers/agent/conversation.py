"""One attempt's conversation: each agent turn runs on pydantic-ai's Agent and is recorded as it ends."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from pydantic import JsonValue
from pydantic_ai import Agent, capture_run_messages
from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    PartDeltaEvent,
    PartStartEvent,
    TextPart,
    TextPartDelta,
)
from pydantic_ai.toolsets import AbstractToolset, CombinedToolset, FunctionToolset
from pydantic_ai.usage import UsageLimits

from lockgate.handlers.agent.failures import step_error
from lockgate.handlers.agent.modeling import LedgerModel, MemberLedger, provider_model
from lockgate.handlers.agent.prompting import output_type, schema_validator
from lockgate.handlers.agent.replaying import RecordedTools, recorded_answers
from lockgate.handlers.agent.routing import Router
from lockgate.handlers.agent.services import CapField, Provider, TurnRecord, TurnRole, cost_of
from lockgate.handlers.agent.tools import builtin_tools, mcp_toolsets
from lockgate.handlers.context import HandlerContext
from lockgate.spec.agent import AgentConfig, BuiltinTool, OutputMode

if TYPE_CHECKING:
    from collections.abc import AsyncIterable

    from pydantic_ai import RunContext
    from pydantic_ai.messages import AgentStreamEvent
    from pydantic_ai.settings import ModelSettings

    from lockgate.handlers.agent.services import ModelProfileData

__all__ = ["Conversation", "Turn", "TurnSpec", "load_messages"]


@dataclass(frozen=True, slots=True)
class TurnSpec:
    """Who speaks: a member with its model, instructions and tools; ``schema`` shapes its answer (None: text)."""

    member: str
    role: TurnRole
    model: str | None
    instructions: str | None
    temperature: float | None
    tools: frozenset[BuiltinTool]
    schema: dict[str, Any] | None = None
    mcp: bool = True


@dataclass(frozen=True, slots=True)
class Turn:
    output: JsonValue
    messages: list[ModelMessage]


def load_messages(data: JsonValue) -> list[ModelMessage]:
    return list(ModelMessagesTypeAdapter.validate_python(data))


def _dump(messages: list[ModelMessage]) -> JsonValue:
    dumped: JsonValue = ModelMessagesTypeAdapter.dump_python(messages, mode="json")
    return dumped


@dataclass
class Conversation:
    """Turns of one attempt, numbered in the order they start; each member keeps one ledger across its turns."""

    ctx: HandlerContext
    config: AgentConfig
    router: Router | None = None  # ``route: true``: every turn may choose the successors
    _positions: itertools.count[int] = field(default_factory=itertools.count)
    _ledgers: dict[str, MemberLedger] = field(default_factory=dict)

    async def _ledger(self, spec: TurnSpec) -> MemberLedger:
        ledger = self._ledgers.get(spec.member)
        if ledger is None:
            profile = await self.ctx.agent.model(spec.model or self.config.model)
            recording = await self.ctx.agent.recording(spec.member)
            answers = None
            if recording is not None:
                answers = recorded_answers(recording, await self.ctx.agent.recorded_turns(spec.member))
            ledger = MemberLedger(self.ctx.agent, profile, spec.member, self.config.budget, recording, answers)
            self._ledgers[spec.member] = ledger
        return ledger

    def _output_mode(self, profile: ModelProfileData) -> OutputMode:
        """The node's choice, else what the model profile found works, else an output tool (OpenAI's way)."""
        return self.config.output_mode or profile.output_mode or OutputMode.TOOL

    def _agent(self, spec: TurnSpec, ledger: MemberLedger) -> Agent[None, Any]:
        mode = self._output_mode(ledger.profile)
        model = self.ctx.agent.custom_model(ledger.profile) or provider_model(ledger.profile, mode)
        toolsets: list[AbstractToolset[None]] = [FunctionToolset(builtin_tools(self.ctx, self.config, spec.tools))]
        if spec.mcp:
            toolsets += mcp_toolsets(self.ctx, self.config)
        if ledger.recording is not None:  # a replay: tools with effects answer from the recording
            toolsets = [RecordedTools(CombinedToolset(toolsets), answers=ledger.current_answers, member=spec.member)]
        if self.router is not None:  # outside the recording: a replay chooses again, as the recorded calls say
            toolsets.append(FunctionToolset([self.router.tool()]))
        agent: Agent[None, Any] = Agent(
            LedgerModel(model, ledger), output_type=output_type(spec.schema, mode), instructions=spec.instructions,
            toolsets=toolsets,
            retries={"output": self.config.output_retries, "tools": 2}, name=spec.member,
        )  # fmt: skip
        if spec.schema is not None:
            agent.output_validator(schema_validator(spec.schema))
        if self.router is not None and spec.role is TurnRole.AGENT:  # a team's answer is checked by the handler
            agent.output_validator(self.router.require_choice())
        return agent

    def _settings(self, spec: TurnSpec, profile: ModelProfileData) -> dict[str, Any]:
        settings: dict[str, Any] = {}
        temperature = next((t for t in (spec.temperature, self.config.temperature, profile.temperature)
                            if t is not None), None)  # fmt: skip
        if temperature is not None:
            settings["temperature"] = temperature
        max_tokens = self.config.max_tokens or profile.max_tokens
        if max_tokens is not None:
            settings["max_tokens"] = max_tokens
        return settings

    def _stream_handler(self, member: str, profile: ModelProfileData) -> Any:
        publish = self.ctx.agent.publish if self.config.stream else None

        async def handle(_ctx: RunContext[None], events: AsyncIterable[AgentStreamEvent]) -> None:
            async for event in events:
                if publish is None:
                    continue
                if isinstance(event, PartStartEvent) and isinstance(event.part, TextPart) and event.part.content:
                    publish(member, event.part.content)
                elif isinstance(event, PartDeltaEvent) and isinstance(event.delta, TextPartDelta):
                    publish(member, event.delta.content_delta)

        # an OpenAI-compatible server's answer is streamed all the same: only a stream can be cut at the cap
        # (budgets rely on it, and a profile may be wrong about its server); Anthropic's API enforces max_tokens,
        # and a test double is streamed only when asked to
        if self.config.stream or profile.provider is Provider.ANTHROPIC:
            return handle if self.config.stream else None
        double = self.ctx.agent.custom_model(profile) is not None
        honoured = profile.cap_field in {CapField.MAX_COMPLETION_TOKENS, CapField.MAX_TOKENS}
        return None if double and honoured else handle

    async def turn(self, spec: TurnSpec, prompt: str, history: list[ModelMessage] | None = None,
                   round_: int = 0) -> Turn:  # fmt: skip
        """Run one turn to its answer; the turn is recorded whether it succeeds or fails."""
        position = next(self._positions)
        ledger = await self._ledger(spec)
        agent = self._agent(spec, ledger)
        before = (ledger.spent_in, ledger.spent_out, ledger.count, ledger.estimated)
        limits = UsageLimits(request_limit=None, tool_calls_limit=self.config.max_tool_calls)
        # ``async with agent``: the provider's own HTTP client is closed when the turn ends, not left to the GC
        with capture_run_messages() as captured:
            try:
                async with agent:
                    result = await agent.run(
                        prompt,
                        message_history=history,
                        model_settings=cast("ModelSettings", self._settings(spec, ledger.profile)),
                        usage_limits=limits,
                        event_stream_handler=self._stream_handler(spec.member, ledger.profile),
                    )
            except Exception as exc:
                error = step_error(exc, ledger, captured)
                await self._save(spec, position, round_, captured, None, ledger, before, 0, error.detail)
                raise error from exc
            except asyncio.CancelledError:  # a sibling failed: the turn is recorded with what it spent
                await asyncio.shield(self._save(spec, position, round_, captured, None, ledger, before, 0,
                                                "cancelled: another member's turn failed"))  # fmt: skip
                raise
        messages = result.all_messages()
        output: JsonValue = result.output
        await self._save(spec, position, round_, messages, output, ledger, before, result.usage.tool_calls, None)
        return Turn(output, messages)

    async def _save(
        self,
        spec: TurnSpec,
        position: int,
        round_: int,
        messages: list[ModelMessage],
        output: JsonValue,
        ledger: MemberLedger,
        before: tuple[int, int, int, int],
        tool_calls: int,
        error: str | None,
    ) -> None:
        tokens_in, tokens_out = ledger.spent_in - before[0], ledger.spent_out - before[1]
        await self.ctx.agent.save_turn(TurnRecord(
            member=spec.member, role=spec.role, position=position, round=round_, messages=_dump(messages),
            output=output, input_tokens=tokens_in, output_tokens=tokens_out, requests=ledger.count - before[2],
            tool_calls=tool_calls, cost=cost_of(ledger.profile, tokens_in, tokens_out), error=error,
            estimated=ledger.estimated > before[3],
        ))  # fmt: skip
