"""The agent node on pydantic-ai's offline models: text and structured answers, tools, streaming, revision."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, DeltaToolCalls, FunctionModel
from pydantic_ai.models.test import TestModel

from lockgate.errors import PermanentStepError
from lockgate.handlers.agent import run
from lockgate.spec.agent import AgentConfig

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.unit.handlers.conftest import FakeContext

pytestmark = pytest.mark.anyio


def _config(**values: Any) -> AgentConfig:
    return AgentConfig.model_validate({"prompt": "Say hello", "stream": False, **values})


def _user_texts(messages: list[ModelMessage]) -> list[str]:
    return [str(p.content) for m in messages if isinstance(m, ModelRequest) for p in m.parts
            if isinstance(p, UserPromptPart)]  # fmt: skip


async def test_text_answer_is_the_output_and_the_turn_is_recorded(ctx: FakeContext) -> None:
    ctx.agent.model_factory = lambda _: TestModel(custom_output_text="Hello, Ada.")
    result = await run(ctx, _config(instructions="Be brief."), {})
    assert result.output == "Hello, Ada."
    [turn] = ctx.agent.turns
    assert (turn.member, turn.role.value, turn.output, turn.error) == ("agent", "agent", "Hello, Ada.", None)
    assert turn.requests == 1 and turn.input_tokens > 0 and turn.output_tokens > 0
    assert turn.cost == pytest.approx((turn.input_tokens * 1.0 + turn.output_tokens * 2.0) / 1e6)
    [exchange] = ctx.agent.exchanges
    assert exchange.response["parts"][0]["content"] == "Hello, Ada."  # type: ignore[index, call-overload]


async def test_structured_output_is_checked_against_the_schema_and_sent_back_when_wrong(ctx: FakeContext) -> None:
    properties = {"title": {"type": "string", "maxLength": 10}, "score": {"type": "integer"}}
    schema = {"type": "object", "properties": properties, "required": ["title", "score"]}
    answers = iter([{"title": "far too long a title", "score": 3}, {"title": "Short", "score": 3}])
    seen: list[list[ModelMessage]] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append(messages)
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, next(answers))])

    ctx.agent.model_factory = lambda _: FunctionModel(model)
    result = await run(ctx, _config(output_schema=schema), {})
    assert result.output == {"title": "Short", "score": 3}
    retry = [p for p in seen[1][-1].parts if not isinstance(p, UserPromptPart)]
    assert "is too long" in str(retry[0].content)  # type: ignore[union-attr]
    assert len(ctx.agent.exchanges) == 2


async def test_an_answer_that_never_fits_fails_the_step_after_the_retries(ctx: FakeContext) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 10}}, "required": ["n"]}

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {"n": 1})])

    ctx.agent.model_factory = lambda _: FunctionModel(model)
    with pytest.raises(PermanentStepError) as caught:
        await run(ctx, _config(output_schema=schema, output_retries=1), {})
    assert caught.value.kind == "invalid_output"
    assert len(ctx.agent.exchanges) == 2  # the first answer and one retry
    assert ctx.agent.turns[-1].error is not None


async def test_tools_write_and_read_artifacts(ctx: FakeContext) -> None:
    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        returns = [p for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, ToolReturnPart)]
        if not returns:
            return ModelResponse(parts=[ToolCallPart("write_artifact", {"name": "notes/plan.md", "content": "# Plan"})])
        return ModelResponse(parts=[TextPart(f"done: {returns[0].content}")])

    ctx.agent.model_factory = lambda _: FunctionModel(model)
    result = await run(ctx, _config(tools=["write_artifact"]), {})
    assert result.output == "done: wrote 6 bytes to notes/plan.md"
    assert (ctx.workspace / "notes" / "plan.md").read_text() == "# Plan"


async def test_tokens_stream_to_live_events(ctx: FakeContext) -> None:
    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str | DeltaToolCalls]:
        for piece in ("Hel", "lo ", "there"):
            yield piece

    ctx.agent.model_factory = lambda _: FunctionModel(stream_function=stream)
    result = await run(ctx, _config(stream=True), {})
    assert result.output == "Hello there"
    assert "".join(text for member, text in ctx.agent.deltas if member == "agent") == "Hello there"


async def test_a_revision_continues_the_previous_conversation_with_the_feedback(ctx: FakeContext) -> None:
    histories: list[list[str]] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        histories.append(_user_texts(messages))
        return ModelResponse(parts=[TextPart(f"draft {len(histories)}")])

    ctx.agent.model_factory = lambda _: FunctionModel(model)
    assert (await run(ctx, _config(prompt="Write a haiku"), {})).output == "draft 1"
    ctx.agent.previous, ctx.agent.turns = ctx.agent.turns, []
    ctx.feedback = "More about autumn."
    assert (await run(ctx, _config(prompt="Write a haiku"), {})).output == "draft 2"
    assert histories[1][0] == "Write a haiku"
    assert "More about autumn." in histories[1][-1]
    [turn] = ctx.agent.turns
    assert json.dumps(turn.messages).count("draft 1") == 1  # the earlier answer is part of the history


async def test_context_artifacts_are_put_into_the_prompt_and_cut_with_a_marker(ctx: FakeContext) -> None:
    run_dir = ctx.artifacts.layout.run_dir("demo", 1)
    (run_dir / "research").mkdir(parents=True)
    (run_dir / "research" / "notes.txt").write_text("x" * 500)
    prompts: list[str] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        prompts.extend(_user_texts(messages))
        return ModelResponse(parts=[TextPart("ok")])

    ctx.agent.model_factory = lambda _: FunctionModel(model)
    config = _config(context=[{"step": "research", "name": "notes.txt"}], context_max_chars=200)
    await run(ctx, config, {})
    assert "## Context: research/notes.txt" in prompts[0]
    assert "x" * 200 + "\n[… truncated by Lockgate: 300 more characters of research/notes.txt not shown]" in prompts[0]
    with pytest.raises(PermanentStepError, match=r"left no artifact matching 'missing\.txt'"):
        await run(ctx, _config(context=[{"step": "research", "name": "missing.txt"}]), {})
