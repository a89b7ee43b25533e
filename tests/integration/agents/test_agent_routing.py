"""An agent with ``route: true`` chooses the step's successors with ``choose_next``; replays route the same way."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.agents.conftest import add_model
from tests.integration.helpers import running, select_rows
from tests.openai_server import Reply, ToolCall, chat_server, tool_results

from lockgate.engine import RunStatus, StepStatus
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.conversations import RunOptions
from lockgate.store.tables import steps

if TYPE_CHECKING:
    from lockgate.settings import Settings

pytestmark = pytest.mark.anyio


def triage(name: str) -> PipelineSpec:
    nodes: list[dict[str, Any]] = [
        {"id": "triage", "kind": "agent",
         "config": {"model": "local", "prompt": "A customer wants a refund of $900.", "route": True}},
        {"id": "refund", "kind": "transform", "name": "Refund", "description": "pay the money back",
         "config": {"value": "refunded"}},
        {"id": "escalate", "kind": "transform", "description": "a person decides on large sums",
         "config": {"value": "escalated"}},
    ]  # fmt: skip
    edges = [{"source": "triage", "target": "refund"}, {"source": "triage", "target": "escalate"}]
    return PipelineSpec.model_validate({"name": name, "nodes": nodes, "edges": edges})


def router(body: dict[str, Any]) -> Reply:
    """Answers at once the first time (it is sent back: it must choose), then routes, then answers."""
    results = tool_results(body)
    if not results and not any(m["role"] == "assistant" for m in body["messages"]):
        return Reply(text="Refund it.")
    if not results:
        return Reply(tool_calls=(ToolCall("choose_next", {"nodes": ["escalate"]}),))
    return Reply(text="Large sum: a person should decide.")


async def test_an_agent_chooses_its_successors_and_a_replay_takes_the_same_route(settings: Settings) -> None:
    with chat_server(router) as server:
        add_model(settings, server.base_url)
        spec = triage("refunds")
        async with running(settings) as runtime:
            first = await runtime.create_run(spec, {})
            state = await asyncio.wait_for(runtime.wait(first.id), 60)
            assert state.status is RunStatus.SUCCEEDED, state.error
            asked = server.count
            second = await runtime.create_run(spec, {}, RunOptions(replay_from=first.id))
            replayed = await asyncio.wait_for(runtime.wait(second.id), 60)
        assert server.count == asked  # the replay answered from the recording
    assert state.steps["triage"].output == "Large sum: a person should decide."
    assert state.steps["triage"].next == ("escalate",)
    assert state.steps["refund"].status is StepStatus.SKIPPED
    assert state.steps["escalate"].output == "escalated"
    assert replayed.status is RunStatus.SUCCEEDED, replayed.error
    assert replayed.steps["triage"].next == ("escalate",)
    assert replayed.steps["refund"].status is StepStatus.SKIPPED

    [tool] = [t["function"] for t in server.requests[0]["tools"] if t["function"]["name"] == "choose_next"]
    assert tool["parameters"]["properties"]["nodes"]["items"]["enum"] == ["refund", "escalate"]
    assert "- refund: Refund — pay the money back" in tool["description"]
    assert "- escalate: a person decides on large sums" in tool["description"]
    # the answer given before choosing went back to the model, which then chose
    assert "call choose_next to choose the next steps" in str(server.requests[1]["messages"])
    rows = {r["key"]: r["next"] for r in select_rows(settings.db_url, steps, steps.c.run_id == first.id)}
    assert rows == {"triage": ["escalate"], "refund": None, "escalate": None}


async def test_an_agent_that_names_a_stranger_is_told_the_allowed_ones(settings: Settings) -> None:
    def confused(body: dict[str, Any]) -> Reply:
        results = tool_results(body)
        if not results:
            return Reply(tool_calls=(ToolCall("choose_next", {"nodes": ["shred"]}),))
        if len(results) == 1:
            return Reply(tool_calls=(ToolCall("choose_next", {"nodes": ["refund"]}),))
        return Reply(text="Refund.")

    with chat_server(confused) as server:
        add_model(settings, server.base_url)
        async with running(settings) as runtime:
            head = await runtime.create_run(triage("confused"), {})
            state = await asyncio.wait_for(runtime.wait(head.id), 60)
        assert "shred: not a next step; choose from refund, escalate" in str(server.requests[1]["messages"])
    assert state.status is RunStatus.SUCCEEDED, state.error
    assert state.steps["triage"].next == ("refund",)
    assert state.steps["escalate"].status is StepStatus.SKIPPED
