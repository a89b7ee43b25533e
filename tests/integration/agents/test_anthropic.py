"""Agent steps on the Anthropic provider: the real client against a local server speaking the Messages API.

Streamed (server-sent events) and whole answers, tool use and its results, and the usage each answer
reports, recorded with its price.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from tests.anthropic_server import anthropic_server, tool_results, user_texts
from tests.integration.agents.conftest import PRICES, add_model, agent_pipeline
from tests.integration.helpers import running, select_rows
from tests.openai_server import Reply, ToolCall

from lockgate.engine import RunStatus
from lockgate.store.tables import agent_exchanges, agent_turns

if TYPE_CHECKING:
    from lockgate.runtime.live import LiveDelta
    from lockgate.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-local-test")
    return "sk-ant-local-test"


def _anthropic(settings: Settings, base_url: str) -> None:
    add_model(settings, base_url, provider="anthropic", model_id="claude-test-1")


def writer(body: dict[str, Any]) -> Reply:
    if not tool_results(body):
        return Reply(text="Let me write it.", tool_calls=(ToolCall("write_artifact", {"name": "poem.md",
                                                                                      "content": "Roses"}),),
                     prompt_tokens=120, completion_tokens=30)  # fmt: skip
    return Reply(text="The poem is in poem.md.", prompt_tokens=200, completion_tokens=12, chunk=3)


def _costs(settings: Settings) -> tuple[list[tuple[int, int]], float]:
    exchanges = sorted(select_rows(settings.db_url, agent_exchanges), key=lambda e: e["number"])
    return [(e["input_tokens"], e["output_tokens"]) for e in exchanges], sum(e["cost"] for e in exchanges)


async def test_a_streamed_agent_step_with_a_tool_over_the_messages_api(settings: Settings, api_key: str) -> None:
    with anthropic_server(writer) as server:
        _anthropic(settings, server.base_url)
        spec = agent_pipeline("poet", {"prompt": "A poem about {{ input.topic }}", "instructions": "Be brief.",
                                       "tools": ["write_artifact"]}, input={"topic": {"type": "string"}})  # fmt: skip
        deltas: list[LiveDelta] = []
        async with running(settings) as runtime:
            runtime.live.subscribe(deltas.append)
            run = await runtime.create_run(spec, {"topic": "roses"})
            state = await asyncio.wait_for(runtime.wait(run.id), 60)
    assert state.status is RunStatus.SUCCEEDED, state.error
    assert state.steps["write"].output == "The poem is in poem.md."
    first, second = server.requests
    assert first["stream"] is True and first["model"] == "claude-test-1"
    assert user_texts(first) == ["A poem about roses"] and "Be brief." in str(first["system"])
    assert [t["name"] for t in first["tools"]] == ["write_artifact"] and "input_schema" in first["tools"][0]
    assert tool_results(second) == ["wrote 5 bytes to poem.md"]
    for headers in server.headers:  # the SDK sends the key as x-api-key or as a bearer token, by version
        assert api_key in {headers.get("x-api-key"), headers.get("authorization", "").removeprefix("Bearer ")}
        assert "anthropic-version" in headers
    poem = settings.home / "pipelines" / "poet" / "runs" / "v1" / "write" / "poem.md"
    assert poem.read_text() == "Roses"
    assert "".join(d.text for d in deltas) == "Let me write it.The poem is in poem.md."
    tokens, cost = _costs(settings)
    assert tokens == [(120, 30), (200, 12)]
    assert cost == pytest.approx((320 * PRICES["input_price"] + 42 * PRICES["output_price"]) / 1e6)
    [turn] = select_rows(settings.db_url, agent_turns)
    assert (turn["requests"], turn["tool_calls"], turn["input_tokens"], turn["output_tokens"]) == (2, 1, 320, 42)
    assert turn["cost"] == pytest.approx(cost)


async def test_a_whole_answer_with_structured_output_and_its_usage(settings: Settings) -> None:
    def judge(body: dict[str, Any]) -> Reply:
        (tool,) = body["tools"]  # the output schema, as a tool the model must call
        return Reply(tool_calls=(ToolCall(tool["name"], {"verdict": "ship", "score": 8}),), prompt_tokens=1500,
                     completion_tokens=40)  # fmt: skip

    schema = {"type": "object", "properties": {"verdict": {"type": "string"}, "score": {"type": "integer"}},
              "required": ["verdict", "score"]}  # fmt: skip
    with anthropic_server(judge) as server:
        _anthropic(settings, server.base_url)
        spec = agent_pipeline("judge", {"prompt": "Judge it", "stream": False, "max_tokens": 300,
                                        "temperature": 0.2, "output_schema": schema})  # fmt: skip
        async with running(settings) as runtime:
            run = await runtime.create_run(spec, {})
            state = await asyncio.wait_for(runtime.wait(run.id), 60)
    assert state.status is RunStatus.SUCCEEDED, state.error
    assert state.steps["write"].output == {"verdict": "ship", "score": 8}
    (request,) = server.requests
    assert not request.get("stream") and request["max_tokens"] == 300 and request["temperature"] == 0.2
    tokens, cost = _costs(settings)
    assert tokens == [(1500, 40)]
    assert cost == pytest.approx((1500 * PRICES["input_price"] + 40 * PRICES["output_price"]) / 1e6)


async def test_a_refusal_of_the_server_fails_the_step_with_its_message(settings: Settings) -> None:
    with anthropic_server(lambda _: Reply(text="model claude-test-1 is not available", status=400)) as server:
        _anthropic(settings, server.base_url)
        async with running(settings) as runtime:
            run = await runtime.create_run(agent_pipeline("refused", {"prompt": "hi", "stream": False}), {})
            state = await asyncio.wait_for(runtime.wait(run.id), 60)
    assert state.status is RunStatus.FAILED
    error = state.steps["write"].error
    assert error is not None and error.kind == "model_error" and "is not available" in error.message
    assert server.count == 1  # a refusal is not retried
