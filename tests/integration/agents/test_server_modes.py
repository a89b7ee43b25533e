"""Agent steps on servers that behave as real local servers do, not as OpenAI does (tests/openai_server.MODES).

Each mode is first probed as ``lockgate models test`` would (the profile stores what the probe found); then
the same agent pipelines run against it: a plain streamed answer, structured output, a council, a budget.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.agents.conftest import add_model
from tests.integration.helpers import running, select_rows
from tests.openai_server import MODES, Behaviour, ChatServer, Reply, ToolCall, chat_server, model_like

from lockgate.engine import RunStatus
from lockgate.handlers.agent.probing import probe
from lockgate.handlers.agent.services import CapField, ModelProfileData, Provider
from lockgate.spec.agent import OutputMode
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.conversations import RunOptions
from lockgate.store.tables import agent_exchanges, agent_turns

if TYPE_CHECKING:
    from lockgate.handlers.agent.findings import ProbeReport
    from lockgate.settings import Settings

pytestmark = pytest.mark.anyio

SCHEMA = {"type": "object", "properties": {"title": {"type": "string"}, "score": {"type": "integer"}},
          "required": ["title", "score"]}  # fmt: skip


async def _probe(server: ChatServer) -> ProbeReport:
    profile = ModelProfileData(name="local", provider=Provider.OPENAI_COMPATIBLE, model_id="local-model",
                               base_url=server.base_url)  # fmt: skip
    return await probe(profile)


async def _probed_model(settings: Settings, server: ChatServer, **values: Any) -> ProbeReport:
    report = await _probe(server)
    add_model(settings, server.base_url, stream_usage=report.stream_usage, cap_field=report.cap_field,
              output_mode=report.output_mode, max_concurrency=report.max_concurrency,
              context_window=report.context_window, **values)  # fmt: skip
    return report


@pytest.mark.parametrize("mode", sorted(MODES))
async def test_the_probe_finds_what_the_server_does(mode: str) -> None:
    behaviour = MODES[mode]
    with chat_server(model_like, behaviour) as server:
        report = await _probe(server)
        assert report.requests == server.count <= 9
    assert report.stream_usage is behaviour.stream_usage
    expected_cap = CapField.MAX_COMPLETION_TOKENS if "max_completion_tokens" in behaviour.cap_fields else None
    assert report.cap_field is (expected_cap or CapField.MAX_TOKENS)
    assert report.tool_choice_required is behaviour.tool_choice_required and report.tool_choice_named
    assert report.json_schema is behaviour.json_schema
    fallback = OutputMode.NATIVE if behaviour.json_schema else OutputMode.NAMED_TOOL
    assert report.output_mode is (OutputMode.TOOL if behaviour.tool_choice_required else fallback)
    assert report.max_concurrency == (1 if behaviour.one_at_a_time else None), report.notes
    assert report.context_window == behaviour.context_window
    assert len(report.notes) >= 6


def _single(name: str, node: str = "write", **config: Any) -> PipelineSpec:
    return PipelineSpec.model_validate({"name": name, "nodes": [{"id": node, "kind": "agent",
                                                                 "config": {"model": "local", **config}}]})  # fmt: skip


def _pipeline(name: str) -> PipelineSpec:
    team = {"mode": "council", "members": [{"name": n, "instructions": f"You are {n}."} for n in ("ann", "bob", "cy")]}
    nodes = [
        {"id": "plain", "kind": "agent", "config": {"model": "local", "prompt": "Write a poem.", "max_tokens": 64}},
        {"id": "shaped", "kind": "agent", "config": {"model": "local", "prompt": "Rate the poem.",
                                                     "output_schema": SCHEMA}},
        {"id": "council", "kind": "agent", "config": {"model": "local", "prompt": "Name the release.", "team": team,
                                                      "max_tokens": 48}},
    ]  # fmt: skip
    return PipelineSpec.model_validate({"name": name, "nodes": nodes})


@pytest.mark.parametrize("mode", sorted(MODES))
async def test_agent_steps_hold_on_every_server(settings: Settings, mode: str) -> None:
    behaviour = MODES[mode]
    with chat_server(model_like, behaviour) as server:
        await _probed_model(settings, server)
        probing, interrupted = server.count, server.interrupted  # the probe interrupts a stream on purpose
        async with running(settings) as runtime:
            head = await runtime.create_run(_pipeline("modes"), {}, RunOptions(budget={"max_tokens": 20_000}))
            state = await asyncio.wait_for(runtime.wait(head.id), 60)
        assert state.status is RunStatus.SUCCEEDED, state.error or {k: s.error for k, s in state.steps.items()}
        assert server.interrupted == interrupted  # the council's members queued for a one-slot server
        served = server.count - probing
    assert state.steps["shaped"].output == {"title": "hello", "score": 1}
    exchanges = select_rows(settings.db_url, agent_exchanges)
    assert len(exchanges) == served  # every request that reached the server is recorded, no other
    assert all(e["input_tokens"] > 0 and e["output_tokens"] > 0 and e["cost"] > 0 for e in exchanges)
    assert all(e["estimated"] is (not behaviour.stream_usage) for e in exchanges)
    plain = [e for e in exchanges if e["node_id"] == "plain"]
    assert all(e["output_tokens"] <= 64 for e in plain)
    turns = select_rows(settings.db_url, agent_turns)
    assert all(t["estimated"] is (not behaviour.stream_usage) and t["error"] is None for t in turns)
    assert sum(e["input_tokens"] + e["output_tokens"] for e in exchanges) <= 20_000


def _long(body: dict[str, Any]) -> Reply:
    """A model that writes far more than it is allowed to."""
    return Reply(text=" ".join(["word"] * 400), prompt_tokens=30, completion_tokens=400, pause=0.001)


@pytest.mark.parametrize("mode", ["openai", "max_tokens_only", "llama"])
async def test_the_output_cap_holds_when_the_server_ignores_the_field_sent(settings: Settings, mode: str) -> None:
    # the profile says nothing of the server: max_completion_tokens is sent; Lockgate cuts the stream itself
    with chat_server(_long, MODES[mode]) as server:
        add_model(settings, server.base_url, max_tokens=40)
        spec = _single("capped", prompt="Write.")
        async with running(settings) as runtime:
            head = await runtime.create_run(spec, {}, RunOptions(budget={"max_tokens": 1000}))
            state = await asyncio.wait_for(runtime.wait(head.id), 60)
        assert server.requests[0]["max_completion_tokens"] == 40
    assert state.status is RunStatus.SUCCEEDED, state.error
    [exchange] = select_rows(settings.db_url, agent_exchanges)
    assert exchange["output_tokens"] <= 40
    assert exchange["input_tokens"] + exchange["output_tokens"] <= 1000
    output = state.steps["write"].output
    assert isinstance(output, str) and 0 < len(output.split()) <= 40


async def test_a_model_profile_sends_the_cap_its_server_honours(settings: Settings) -> None:
    with chat_server(_long, MODES["max_tokens_only"]) as server:
        add_model(settings, server.base_url, max_tokens=40, cap_field="max_tokens")
        spec = _single("capped", prompt="Write.", stream=False)
        async with running(settings) as runtime:
            state = await asyncio.wait_for(runtime.wait((await runtime.create_run(spec, {})).id), 60)
        [sent] = server.requests
    assert state.status is RunStatus.SUCCEEDED, state.error
    assert sent["max_tokens"] == 40 and "max_completion_tokens" not in sent
    [exchange] = select_rows(settings.db_url, agent_exchanges)
    assert (exchange["output_tokens"], exchange["estimated"]) == (40, False)


def _ignore_cap(behaviour: Behaviour) -> Behaviour:
    return Behaviour(**{**behaviour.__dict__, "cap_fields": frozenset()})


async def test_a_server_that_ignores_every_cap_is_streamed_and_cut(settings: Settings) -> None:
    with chat_server(_long, _ignore_cap(MODES["llama"])) as server:
        add_model(settings, server.base_url, max_tokens=40, cap_field="none")
        spec = _single("capped", prompt="Write.", stream=False)
        async with running(settings) as runtime:
            state = await asyncio.wait_for(runtime.wait((await runtime.create_run(spec, {})).id), 60)
        [sent] = server.requests
    assert state.status is RunStatus.SUCCEEDED, state.error
    assert sent["stream"] is True and sent["max_tokens"] == 40
    [exchange] = select_rows(settings.db_url, agent_exchanges)
    assert exchange["estimated"] and 0 < exchange["output_tokens"] <= 40


def _endless(body: dict[str, Any]) -> Reply:
    return Reply(tool_calls=(ToolCall("write_artifact", {"name": "note.txt", "content": "more " * 20}),),
                 prompt_tokens=len(str(body)) // 4, completion_tokens=30)  # fmt: skip


@pytest.mark.parametrize("mode", ["openai", "no_stream_usage", "llama"])
async def test_refused_requests_are_not_counted_and_the_budget_holds(settings: Settings, mode: str) -> None:
    with chat_server(_endless, MODES[mode]) as server:
        add_model(settings, server.base_url, max_tokens=200)
        config = {"model": "local", "prompt": "Take notes", "tools": ["write_artifact"], "max_tool_calls": 100,
                  "budget": {"max_tokens": 3000}}  # fmt: skip
        spec = PipelineSpec.model_validate({"name": "notes", "nodes": [{"id": "take", "kind": "agent",
                                                                        "config": config}]})  # fmt: skip
        async with running(settings) as runtime:
            state = await asyncio.wait_for(runtime.wait((await runtime.create_run(spec, {})).id), 60)
        sent = server.count
    error = state.steps["take"].error
    assert error is not None and error.kind == "budget_exceeded", error
    exchanges = select_rows(settings.db_url, agent_exchanges)
    [turn] = select_rows(settings.db_url, agent_turns)
    assert turn["requests"] == len(exchanges) == sent >= 2  # the refused request is not one of them
    assert sum(e["input_tokens"] + e["output_tokens"] for e in exchanges) <= 3000
    assert all(e["input_tokens"] > 0 for e in exchanges)
