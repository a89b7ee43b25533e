"""Every team mode on FunctionModel: who speaks, what each sees, what the step answers, what is recorded."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, ToolCallPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from lockgate.handlers.agent import run
from lockgate.handlers.agent.services import AgentProfileData
from lockgate.spec.agent import AgentConfig, BuiltinTool

if TYPE_CHECKING:
    from tests.unit.handlers.conftest import FakeContext

pytestmark = pytest.mark.anyio


def _last_prompt(messages: list[ModelMessage]) -> str:
    parts = [p for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, UserPromptPart)]
    return str(parts[-1].content)


def _who(info: AgentInfo) -> str:
    match = re.search(r"You are (\w+)", info.instructions or "")
    return match.group(1) if match else "?"


class Scripted:
    """Answers as the speaker its instructions name; records (speaker, prompt) for every request."""

    def __init__(self, structured: dict[str, Any] | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.structured = structured

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        who, prompt = _who(info), _last_prompt(messages)
        self.calls.append((who, prompt))
        if info.output_tools:
            answer = self.structured or {"verdict": f"{who} decided"}
            return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, answer)])
        return ModelResponse(parts=[TextPart(f"{who} says {len([c for c in self.calls if c[0] == who])}")])


def _team(mode: str, names: list[str], **extra: Any) -> dict[str, Any]:
    members = [{"name": n, "instructions": f"You are {n}."} for n in names]
    return {"mode": mode, "members": members, **extra}


def _config(team: dict[str, Any], **values: Any) -> AgentConfig:
    return AgentConfig.model_validate({"prompt": "Name the release", "stream": False, "team": team, **values})


def _turns(ctx: FakeContext) -> list[tuple[str, str, int]]:
    return [(t.member, t.role.value, t.round) for t in sorted(ctx.agent.turns, key=lambda t: t.position)]


async def test_sequential_members_build_on_the_previous_output(ctx: FakeContext) -> None:
    model = Scripted()
    ctx.agent.model_factory = lambda _: FunctionModel(model)
    result = await run(ctx, _config(_team("sequential", ["ann", "bob", "cy"])), {})
    assert result.output == "cy says 1"
    assert [c[0] for c in model.calls] == ["ann", "bob", "cy"]
    assert "ann wrote:\n\nann says 1" in model.calls[1][1] and "bob wrote:\n\nbob says 1" in model.calls[2][1]
    assert _turns(ctx) == [("ann", "member", 0), ("bob", "member", 0), ("cy", "member", 0)]
    assert [t.output for t in sorted(ctx.agent.turns, key=lambda t: t.position)] == ["ann says 1", "bob says 1",
                                                                                      "cy says 1"]  # fmt: skip


async def test_parallel_members_answer_independently_and_the_outputs_are_gathered(ctx: FakeContext) -> None:
    model = Scripted()
    ctx.agent.model_factory = lambda _: FunctionModel(model)
    result = await run(ctx, _config(_team("parallel", ["ann", "bob"])), {})
    assert result.output == {"ann": "ann says 1", "bob": "bob says 1"}
    assert all(prompt == "Name the release" for _, prompt in model.calls)
    assert sorted(_turns(ctx)) == [("ann", "member", 0), ("bob", "member", 0)]


async def test_a_council_chair_synthesizes_the_members_answers_in_the_node_schema(ctx: FakeContext) -> None:
    model = Scripted()
    ctx.agent.model_factory = lambda _: FunctionModel(model)
    schema = {"type": "object", "properties": {"verdict": {"type": "string"}}, "required": ["verdict"]}
    chair = {"name": "zed", "instructions": "You are zed, the chair."}
    result = await run(ctx, _config(_team("council", ["ann", "bob"], chair=chair), output_schema=schema), {})
    assert result.output == {"verdict": "zed decided"}
    chair_prompt = model.calls[-1][1]
    assert "### ann\n\nann says 1" in chair_prompt and "### bob\n\nbob says 1" in chair_prompt
    assert _turns(ctx)[-1] == ("zed", "chair", 0) and len(_turns(ctx)) == 3


async def test_a_debate_runs_rounds_of_rebuttal_then_the_judge_decides(ctx: FakeContext) -> None:
    model = Scripted()
    ctx.agent.model_factory = lambda _: FunctionModel(model)
    judge = {"name": "jude", "instructions": "You are jude."}
    result = await run(ctx, _config(_team("debate", ["ann", "bob"], rounds=2, judge=judge)), {})
    assert result.output == "jude says 1"
    turns = _turns(ctx)
    assert sorted(turns[:2]) == [("ann", "member", 0), ("bob", "member", 0)]
    assert sorted(turns[2:4]) == [("ann", "member", 1), ("bob", "member", 1)]
    assert sorted(turns[4:6]) == [("ann", "member", 2), ("bob", "member", 2)]
    assert turns[6] == ("jude", "judge", 0)
    ann_round_2 = next(p for w, p in model.calls if w == "ann" and p.startswith("Round 2"))
    assert "### bob\n\nbob says 2" in ann_round_2  # each sees the others' latest answers
    rebuttal = next(t for t in ctx.agent.turns if t.member == "ann" and t.round == 2)
    assert str(rebuttal.messages).count("ann says 1") >= 1  # a member keeps its own history across rounds
    judge_prompt = model.calls[-1][1]
    assert "## Opening answers" in judge_prompt and "## Round 2" in judge_prompt


async def test_meta_a_planner_designs_the_team_which_then_runs(ctx: FakeContext) -> None:
    plan = {"mode": "sequential", "members": [{"name": "Researcher", "instructions": "You are researcher."},
                                              {"name": "Writer", "instructions": "You are writer."}]}  # fmt: skip
    model = Scripted(structured=plan)
    ctx.agent.model_factory = lambda _: FunctionModel(model)
    planner = {"name": "boss", "instructions": "You are boss."}
    result = await run(ctx, _config({"mode": "meta", "planner": planner, "max_members": 3}), {})
    assert result.output == "writer says 1"
    assert _turns(ctx) == [("boss", "planner", 0), ("researcher", "member", 0), ("writer", "member", 0)]
    assert ctx.agent.turns[0].output == plan


async def test_members_from_agent_profiles_take_their_instructions_model_and_tools(ctx: FakeContext) -> None:
    model = Scripted()
    ctx.agent.model_factory = lambda _: FunctionModel(model)
    ctx.agent.agent_profiles["critic"] = AgentProfileData(name="critic", instructions="You are critic.",
                                                          tools=(BuiltinTool.WRITE_ARTIFACT,))  # fmt: skip
    members = [{"name": "c1", "profile": "critic"}, {"name": "ann", "instructions": "You are ann."}]
    team = {"mode": "parallel", "members": members}
    result = await run(ctx, _config(team), {})
    assert result.output == {"c1": "critic says 1", "ann": "ann says 1"}


async def test_a_revision_of_a_council_continues_the_chair(ctx: FakeContext) -> None:
    model = Scripted()
    ctx.agent.model_factory = lambda _: FunctionModel(model)
    config = _config(_team("council", ["ann", "bob"], chair={"name": "zed", "instructions": "You are zed."}))
    await run(ctx, config, {})
    ctx.agent.previous, ctx.agent.turns = ctx.agent.turns, []
    model.calls.clear()
    ctx.feedback = "Shorter, please."
    result = await run(ctx, config, {})
    assert result.output == "zed says 1"
    assert [c[0] for c in model.calls] == ["zed"]
    assert "Shorter, please." in model.calls[0][1]
    [turn] = ctx.agent.turns
    assert (turn.member, turn.role.value) == ("zed", "chair")
