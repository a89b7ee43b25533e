"""The ``agent`` handler: an LLM agent (or a team) on pydantic-ai, its answer the step's output.

After a revision request (``ctx.feedback``) the attempt continues the conversation of the step's latest
earlier attempt: the agent that gave the final answer there (each member, for a parallel team) gets the
feedback as a user message, with its whole history.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from pydantic_ai.messages import ModelRequest

from lockgate.errors import PermanentStepError
from lockgate.handlers.agent.conversation import Conversation, TurnSpec, load_messages
from lockgate.handlers.agent.prompting import as_text, context_block, revision_prompt
from lockgate.handlers.agent.routing import CHOOSE_NEXT, Router
from lockgate.handlers.agent.services import TurnRecord, TurnRole
from lockgate.handlers.agent.team import CHAIR, JUDGE, Team, member_spec, together
from lockgate.handlers.context import HandlerContext, StepResult
from lockgate.spec.agent import AgentConfig, TeamMember, TeamMode

if TYPE_CHECKING:
    from pydantic import JsonValue
    from pydantic_ai.messages import ModelMessage

__all__ = ["run"]

AGENT = "agent"


def _prompt(ctx: HandlerContext, config: AgentConfig) -> str:
    context = context_block(ctx, config) if config.context else ""
    prompt = as_text(config.prompt)
    return f"{prompt}\n\n{context}" if context else prompt


def _single(config: AgentConfig) -> TurnSpec:
    return TurnSpec(member=AGENT, role=TurnRole.AGENT, model=None, instructions=as_text(config.instructions) or None,
                    temperature=None, tools=frozenset(config.tools), schema=config.output_schema)  # fmt: skip


def _finalists(turns: list[TurnRecord], parallel: bool) -> list[TurnRecord]:
    """The turns that gave the previous attempt's answer: the last one, or each member's last (parallel)."""
    if not turns:
        return []
    if not parallel:
        return [max(turns, key=lambda t: t.position)]
    last: dict[str, TurnRecord] = {}
    for turn in sorted(turns, key=lambda t: t.position):
        if turn.role is TurnRole.MEMBER:
            last[turn.member] = turn
    return list(last.values())


def _member(config: AgentConfig, turn: TurnRecord) -> TeamMember:
    team = config.team
    if team is None:
        return TeamMember(name=turn.member)
    if turn.role is TurnRole.CHAIR:
        return team.chair or CHAIR
    if turn.role is TurnRole.JUDGE:
        return team.judge or JUDGE
    # a member a planner designed is not in the definition: its instructions come from its history
    return next((m for m in team.members if m.name == turn.member), TeamMember(name=turn.member))


def _instructions(history: list[ModelMessage]) -> str | None:
    return next((m.instructions for m in reversed(history) if isinstance(m, ModelRequest) and m.instructions), None)


async def _continue(conversation: Conversation, config: AgentConfig, finalists: list[TurnRecord],
                    feedback: str) -> JsonValue:  # fmt: skip
    """Each finalist goes on from its own history, with the feedback as the next user message."""

    async def go(turn: TurnRecord) -> JsonValue:
        history = load_messages(turn.messages)
        if turn.role is TurnRole.AGENT:
            spec = _single(config)
        else:
            spec = await member_spec(conversation, _member(config, turn), turn.role, config.output_schema)
        if spec.instructions is None:
            spec = dataclasses.replace(spec, instructions=_instructions(history))
        return (await conversation.turn(spec, revision_prompt(feedback), history, turn.round)).output

    outputs = await together([go(t) for t in finalists])
    if config.team is not None and config.team.mode is TeamMode.PARALLEL:
        return {t.member: o for t, o in zip(finalists, outputs, strict=True)}
    return outputs[0]


async def run(ctx: HandlerContext, config: AgentConfig, inputs: dict[str, JsonValue]) -> StepResult:  # noqa: ARG001 - inputs reach the prompt through its templates
    router = Router(ctx.successors) if config.route and ctx.successors else None
    conversation = Conversation(ctx, config, router)
    output = await _answer(ctx, config, conversation)
    if router is None:
        return StepResult(output=output)
    if router.chosen is None:
        raise PermanentStepError("no_next", f"the agent was to choose the next steps ({router.allowed}) with "
                                            f"{CHOOSE_NEXT} and did not")  # fmt: skip
    return StepResult(output=output, next=router.chosen)


async def _answer(ctx: HandlerContext, config: AgentConfig, conversation: Conversation) -> JsonValue:
    prompt = _prompt(ctx, config)
    if ctx.feedback:
        parallel = config.team is not None and config.team.mode is TeamMode.PARALLEL
        finalists = _finalists(await ctx.agent.previous_turns(), parallel)
        if finalists:
            return await _continue(conversation, config, finalists, ctx.feedback)
        prompt = f"{prompt}\n\n{revision_prompt(ctx.feedback)}"
    if config.team is not None:
        return await Team(conversation, config.team, prompt).run()
    return (await conversation.turn(_single(config), prompt)).output
