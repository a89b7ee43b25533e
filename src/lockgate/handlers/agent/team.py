"""Teams: several agents answering one prompt — sequential, parallel, council, debate, or a team a planner designs.

Every member's turns are recorded by the conversation, in the order they start; only the final answer
(the last member's, the chair's, the judge's, or each member's for ``parallel``) is shaped by the node's
``output_schema``.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from lockgate.errors import PermanentStepError
from lockgate.handlers.agent.conversation import Conversation, Turn, TurnSpec
from lockgate.handlers.agent.prompting import as_text
from lockgate.handlers.agent.services import TurnRole
from lockgate.spec.agent import TeamConfig, TeamMember, TeamMode

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from pydantic import JsonValue


__all__ = ["PLAN_SCHEMA", "Team", "member_spec", "together"]

T = TypeVar("T")

CHAIR = TeamMember(name="chair", instructions="You chair a council. Weigh the members' answers, settle their "
                   "disagreements and give the one best answer.")  # fmt: skip
JUDGE = TeamMember(name="judge", instructions="You judge a debate. Read every argument and decide: give the final "
                   "answer and say briefly why it won.")  # fmt: skip
PLANNER = TeamMember(name="planner", instructions="You design a small team of expert agents for a task: choose how "
                     "they work together and write each one's role as instructions.")  # fmt: skip
PLAN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "mode": {"type": "string", "enum": ["sequential", "parallel", "council"]},
        "members": {
            "type": "array", "minItems": 1,
            "items": {"type": "object", "properties": {"name": {"type": "string"}, "instructions": {"type": "string"}},
                      "required": ["name", "instructions"]},
        },
    },
    "required": ["mode", "members"],
}  # fmt: skip


async def member_spec(conversation: Conversation, member: TeamMember, role: TurnRole,
                      schema: dict[str, Any] | None) -> TurnSpec:  # fmt: skip
    """A member as it speaks: inline fields first, then its agent profile's, then the node's."""
    config = conversation.config
    profile = await conversation.ctx.agent.agent_profile(member.profile) if member.profile else None
    tools = profile.tools if profile is not None and profile.tools is not None else config.tools
    temperature = member.temperature if member.temperature is not None else (profile.temperature if profile else None)
    return TurnSpec(
        member=member.name, role=role, model=member.model or (profile.model if profile else None),
        instructions=member.instructions or (profile.instructions if profile else None),
        temperature=temperature, tools=frozenset(tools), schema=schema,
    )  # fmt: skip


async def together(turns: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Turns at once; the first to fail cancels the others at once (they record what they spent) and is raised."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(t) for t in turns]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [t.result() for t in tasks]


def _answers(turns: list[tuple[str, JsonValue]]) -> str:
    return "\n\n".join(f"### {name}\n\n{as_text(output)}" for name, output in turns)


def _slug(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-")[:40] or "member"
    if not base[0].isalpha():
        base = f"m-{base}"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


@dataclass
class Team:
    conversation: Conversation
    team: TeamConfig
    prompt: str

    @property
    def schema(self) -> dict[str, Any] | None:
        return self.conversation.config.output_schema

    async def run(self) -> JsonValue:
        return await self._run(self.team.mode, self.team.members)

    async def _run(self, mode: TeamMode, members: list[TeamMember]) -> JsonValue:
        if mode is TeamMode.SEQUENTIAL:
            return await self._sequential(members)
        if mode is TeamMode.PARALLEL:
            return dict(await self._all(members, self.schema))
        if mode is TeamMode.COUNCIL:
            return await self._council(members)
        if mode is TeamMode.DEBATE:
            return await self._debate(members)
        return await self._meta()

    async def _turn(self, member: TeamMember, role: TurnRole, prompt: str, schema: dict[str, Any] | None,
                    round_: int = 0, history: Turn | None = None) -> Turn:  # fmt: skip
        spec = await member_spec(self.conversation, member, role, schema)
        return await self.conversation.turn(spec, prompt, history.messages if history else None, round_)

    async def _all(self, members: list[TeamMember], schema: dict[str, Any] | None) -> list[tuple[str, JsonValue]]:
        turns = await together([self._turn(m, TurnRole.MEMBER, self.prompt, schema) for m in members])
        return [(m.name, t.output) for m, t in zip(members, turns, strict=True)]

    async def _sequential(self, members: list[TeamMember]) -> JsonValue:
        output: JsonValue = None
        for index, member in enumerate(members):
            last = index == len(members) - 1
            prompt = self.prompt
            if index > 0:
                prompt += (f"\n\n## Work so far\n\n{members[index - 1].name} wrote:\n\n{as_text(output)}\n\n"
                           "Build on it: improve it and carry the task forward.")  # fmt: skip
            output = (await self._turn(member, TurnRole.MEMBER, prompt, self.schema if last else None)).output
        return output

    async def _council(self, members: list[TeamMember]) -> JsonValue:
        answers = await self._all(members, None)
        prompt = f"{self.prompt}\n\n## The council's answers\n\n{_answers(answers)}\n\nSynthesize the best answer."
        return (await self._turn(self.team.chair or CHAIR, TurnRole.CHAIR, prompt, self.schema)).output

    async def _debate(self, members: list[TeamMember]) -> JsonValue:
        turns = await together([self._turn(m, TurnRole.MEMBER, self.prompt, None) for m in members])
        transcript = [
            f"## Opening answers\n\n{_answers([(m.name, t.output) for m, t in zip(members, turns, strict=True)])}"
        ]
        for round_ in range(1, self.team.rounds + 1):
            latest = [(m.name, t.output) for m, t in zip(members, turns, strict=True)]

            def rebuttal(name: str, round_: int = round_, latest: list[tuple[str, JsonValue]] = latest) -> str:
                others = _answers([(n, o) for n, o in latest if n != name])
                return (f"Round {round_} of the debate. The others answered:\n\n{others}\n\n"
                        "Rebut what is wrong, concede what is right, and give your revised answer.")  # fmt: skip

            turns = await together([
                self._turn(m, TurnRole.MEMBER, rebuttal(m.name), None, round_, t)
                for m, t in zip(members, turns, strict=True)
            ])  # fmt: skip
            transcript.append(
                f"## Round {round_}\n\n{_answers([(m.name, t.output) for m, t in zip(members, turns, strict=True)])}"
            )
        prompt = f"{self.prompt}\n\n# The debate\n\n" + "\n\n".join(transcript) + "\n\nDecide."
        return (await self._turn(self.team.judge or JUDGE, TurnRole.JUDGE, prompt, self.schema)).output

    async def _meta(self) -> JsonValue:
        members_schema = {**PLAN_SCHEMA["properties"]["members"], "maxItems": self.team.max_members}
        schema = {**PLAN_SCHEMA, "properties": {**PLAN_SCHEMA["properties"], "members": members_schema}}
        prompt = (f"Design a team of at most {self.team.max_members} agents for this task:\n\n{self.prompt}\n\n"
                  "Pick the mode: sequential (each builds on the previous), parallel (independent answers) or "
                  "council (independent answers, then a chair synthesizes).")  # fmt: skip
        plan = (await self._turn(self.team.planner or PLANNER, TurnRole.PLANNER, prompt, schema)).output
        entries = plan.get("members") if isinstance(plan, dict) else None
        if not isinstance(plan, dict) or not isinstance(entries, list):
            raise PermanentStepError("invalid_output", f"the planner's plan is not a team: {json.dumps(plan)[:500]}")
        taken = {"chair", "judge", "planner"}
        members = [TeamMember(name=_slug(str(m["name"]), taken), instructions=str(m["instructions"]))
                   for m in entries if isinstance(m, dict)]  # fmt: skip
        return await self._run(TeamMode(str(plan["mode"])), members)
