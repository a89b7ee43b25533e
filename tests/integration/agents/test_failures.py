"""Failures name their cause, each its own error kind; a failing member stops its siblings.

The kinds: context overflow (with the numbers), interrupted stream, output cap, schema rejection (the
validation message), server unavailable.
"""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.agents.conftest import add_model
from tests.integration.helpers import running, select_rows
from tests.openai_server import MODES, Reply, ToolCall, chat_server, last_user_text, model_like

from lockgate.engine import RunStatus
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.budget_tables import budget_holds
from lockgate.store.conversations import RunOptions
from lockgate.store.tables import agent_exchanges, agent_turns

if TYPE_CHECKING:
    from lockgate.engine.state import ErrorInfo
    from lockgate.settings import Settings

pytestmark = pytest.mark.anyio


def _spec(config: dict[str, Any], retry: dict[str, Any] | None = None) -> PipelineSpec:
    node: dict[str, Any] = {"id": "ask", "kind": "agent", "config": {"model": "local", **config}}
    if retry is not None:
        node["retry"] = retry
    return PipelineSpec.model_validate({"name": "failing", "nodes": [node]})


async def _fail(settings: Settings, spec: PipelineSpec, options: RunOptions | None = None) -> ErrorInfo:
    async with running(settings) as runtime:
        head = await runtime.create_run(spec, {}, options)
        state = await asyncio.wait_for(runtime.wait(head.id), 60)
    assert state.status is RunStatus.FAILED
    error = state.steps["ask"].error
    assert error is not None
    return error


@pytest.mark.parametrize("mode", ["small_context", "stream_errors"])
async def test_a_prompt_too_large_for_the_context_window_is_a_context_overflow(settings: Settings, mode: str) -> None:
    with chat_server(model_like, MODES[mode]) as server:
        add_model(settings, server.base_url, context_window=4000, max_tokens=100)
        error = await _fail(settings, _spec({"prompt": "Summarise: " + "lorem ipsum " * 2000}))
        assert server.count == 1
    assert (error.kind, error.retryable) == ("context_overflow", False)
    assert "context window 4,000 tokens" in error.message and "output cap 100" in error.message
    assert "prompt ~" in error.message
    assert select_rows(settings.db_url, agent_exchanges) == []  # nothing was served
    assert select_rows(settings.db_url, budget_holds) == []


async def test_an_answer_the_context_window_cuts_is_not_blamed_on_the_output_cap(settings: Settings) -> None:
    schema = {"type": "object", "properties": {"items": {"type": "string"}}, "required": ["items"]}

    def long_tool_call(body: dict[str, Any]) -> Reply:
        # the server's window (4,000) ends a long answer: finish_reason length, well below the cap (2,000)
        return Reply(text='{"items": "' + "x " * 300, prompt_tokens=3900, completion_tokens=2000)

    with chat_server(long_tool_call, MODES["small_context"]) as server:
        add_model(settings, server.base_url, context_window=4000, max_tokens=2000, output_mode="native")
        error = await _fail(settings, _spec({"prompt": "List " + "everything " * 1400, "output_schema": schema}))
    assert (error.kind, error.retryable) == ("context_overflow", False), error.message
    assert "below the output cap" in error.message and "context window 4,000 tokens" in error.message


async def test_an_answer_cut_at_the_output_cap_says_so(settings: Settings) -> None:
    schema = {"type": "object", "properties": {"items": {"type": "string"}}, "required": ["items"]}

    def verbose(body: dict[str, Any]) -> Reply:
        return Reply(text='{"items": "' + "x " * 300, prompt_tokens=30, completion_tokens=400)

    with chat_server(verbose) as server:
        add_model(settings, server.base_url, max_tokens=50, output_mode="native")
        error = await _fail(settings, _spec({"prompt": "List everything", "output_schema": schema}))
    assert (error.kind, error.retryable) == ("output_cap", False), error.message
    assert "output cap of 50 tokens" in error.message


async def test_a_stream_a_newer_request_interrupts_is_a_retryable_stream_interrupted(settings: Settings) -> None:
    def slow(body: dict[str, Any]) -> Reply:
        return Reply(text="word " * 60, pause=0.01, chunk=2)

    team = {"mode": "parallel", "members": [{"name": "ann"}, {"name": "bob"}]}
    with chat_server(slow, MODES["one_slot"]) as server:
        add_model(settings, server.base_url)  # max_concurrency not known: both members send at once
        error = await _fail(settings, _spec({"prompt": "Answer", "team": team}))
        assert server.interrupted >= 1
    assert (error.kind, error.retryable) == ("stream_interrupted", True)
    assert "max_concurrency" in error.message
    turns = select_rows(settings.db_url, agent_turns)
    assert {t["member"] for t in turns} == {"ann", "bob"}  # both recorded, the interrupted one with what it spent
    assert all(e["input_tokens"] > 0 for e in select_rows(settings.db_url, agent_exchanges))


async def test_a_schema_rejection_names_the_validation_message(settings: Settings) -> None:
    schema = {"type": "object", "properties": {"title": {"type": "string", "minLength": 12}}, "required": ["title"]}
    with chat_server(model_like, MODES["ignores_required"]) as server:
        add_model(settings, server.base_url)
        error = await _fail(settings, _spec({"prompt": "Name it", "output_schema": schema, "output_mode": "prompted"}))
        assert server.count == 3  # the first answer and two retries
    assert (error.kind, error.retryable) == ("schema_rejected", False)
    assert "'hello' is too short" in error.message


async def test_an_unreachable_server_is_retryable_model_unavailable(settings: Settings) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    add_model(settings, f"http://127.0.0.1:{port}/v1")
    error = await _fail(settings, _spec({"prompt": "Hi"}))
    assert (error.kind, error.retryable) == ("model_unavailable", True)


async def test_a_budget_failure_cancels_the_siblings_at_once_and_records_what_they_spent(settings: Settings) -> None:
    def respond(body: dict[str, Any]) -> Reply:
        if "You are slow" in str(body["messages"]):  # a long answer, streamed slowly
            return Reply(text="word " * 2000, pause=0.005, chunk=5, prompt_tokens=20, completion_tokens=2000)
        return Reply(tool_calls=(ToolCall("write_artifact", {"name": "n.txt", "content": "x" * 200}),),
                     prompt_tokens=len(last_user_text(body)), completion_tokens=80)  # fmt: skip

    team = {"mode": "parallel", "members": [{"name": "slow", "instructions": "You are slow."},
                                            {"name": "busy", "instructions": "You are busy."}]}  # fmt: skip
    config = {"prompt": "Work", "team": team, "tools": ["write_artifact"], "max_tool_calls": 50}
    with chat_server(respond, MODES["no_stream_usage"]) as server:
        add_model(settings, server.base_url, max_tokens=3000)
        error = await _fail(settings, _spec(config), RunOptions(budget={"max_requests": 4}))
        sent = server.count
    assert error.kind == "budget_exceeded"
    turns = {t["member"]: t for t in select_rows(settings.db_url, agent_turns)}
    assert turns["slow"]["error"] == "cancelled: another member's turn failed"
    assert turns["slow"]["requests"] == 1 and turns["slow"]["estimated"]
    exchanges = select_rows(settings.db_url, agent_exchanges)
    [partial] = [e for e in exchanges if e["member"] == "slow"]
    assert 0 < partial["output_tokens"] < 2000 * 2  # what arrived before the cut, counted locally
    assert len(exchanges) == sent <= 4
    assert select_rows(settings.db_url, budget_holds) == []
