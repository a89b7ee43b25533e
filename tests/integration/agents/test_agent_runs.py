"""Agent steps end to end: the provider's real HTTP path (streaming, tool calls), records, live tokens, replay."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.agents.conftest import add_model, agent_pipeline
from tests.integration.helpers import running, select_rows
from tests.openai_server import Reply, ToolCall, chat_server, tool_results

from lockgate.engine import RunStatus
from lockgate.errors import DefinitionErrors
from lockgate.store.conversations import RunOptions
from lockgate.store.tables import agent_exchanges, agent_turns, runs

if TYPE_CHECKING:
    from lockgate.runtime.live import LiveDelta
    from lockgate.settings import Settings

pytestmark = pytest.mark.anyio


def writer(body: dict[str, Any]) -> Reply:
    """Writes a file with a tool, then answers."""
    if not tool_results(body):
        return Reply(tool_calls=(ToolCall("write_artifact", {"name": "poem.md", "content": "Roses are red"}),))
    return Reply(text="I wrote the poem to poem.md for you.", prompt_tokens=30, completion_tokens=9)


async def test_an_agent_step_runs_over_http_with_tools_streaming_and_records(settings: Settings) -> None:
    with chat_server(writer) as server:
        add_model(settings, server.base_url)
        spec = agent_pipeline("poet", {"prompt": "Write a poem about {{ input.topic }}", "tools": ["write_artifact"]},
                              input={"topic": {"type": "string"}})  # fmt: skip
        deltas: list[LiveDelta] = []
        async with running(settings) as runtime:
            runtime.live.subscribe(deltas.append)
            head = await runtime.create_run(spec, {"topic": "roses"})
            state = await asyncio.wait_for(runtime.wait(head.id), 60)
        assert state.status is RunStatus.SUCCEEDED, state.error
        assert state.steps["write"].output == "I wrote the poem to poem.md for you."
        assert server.count == 2
        first = server.requests[0]
        assert first["stream"] is True and first["messages"][-1]["content"] == "Write a poem about roses"
        assert [t["function"]["name"] for t in first["tools"]] == ["write_artifact"]
    poem = settings.home / "pipelines" / "poet" / "runs" / "v1" / "write" / "poem.md"
    assert poem.read_text() == "Roses are red"
    assert "".join(d.text for d in deltas) == "I wrote the poem to poem.md for you."
    assert {d.member for d in deltas} == {"agent"} and [d.seq for d in deltas] == sorted(d.seq for d in deltas)
    [turn] = select_rows(settings.db_url, agent_turns)
    assert (turn["member"], turn["requests"], turn["tool_calls"], turn["input_tokens"], turn["output_tokens"]) == (
        "agent",
        2,
        1,
        40,
        14,
    )
    assert turn["cost"] == pytest.approx((40 * 1.0 + 14 * 2.0) / 1e6)
    exchanges = select_rows(settings.db_url, agent_exchanges)
    assert sorted(e["number"] for e in exchanges) == [0, 1]


async def test_an_unconfigured_model_is_refused_before_the_run_exists(settings: Settings) -> None:
    spec = agent_pipeline("nomodel", {"prompt": "hi"})
    async with running(settings) as runtime:
        with pytest.raises(DefinitionErrors) as caught:
            await runtime.create_run(spec, {})
        [problem] = caught.value.errors
        assert (problem.node_id, problem.field) == ("write", "config.model")
        assert "no model profile named 'local'" in problem.detail
        unnamed = agent_pipeline("nomodel", {"prompt": "hi", "model": None})
        with pytest.raises(DefinitionErrors, match="LOCKGATE_MODEL is not set"):
            await runtime.create_run(unnamed, {})
    assert select_rows(settings.db_url, runs) == []


async def test_each_team_member_s_model_is_checked_where_it_is_named(settings: Settings) -> None:
    add_model(settings, "http://127.0.0.1:9/v1")  # never called: the run is refused first
    members = [{"name": "ghostly", "profile": "ghost"}, {"name": "lost", "model": "absent"}, {"name": "plain"}]
    spec = agent_pipeline("team", {"prompt": "hi", "team": {"mode": "debate", "members": members}})
    async with running(settings) as runtime:
        with pytest.raises(DefinitionErrors) as caught:
            await runtime.create_run(spec, {})
    found = {(e.node_id, e.field): e.detail for e in caught.value.errors}
    assert set(found) == {("write", "config.team.members[0].profile"), ("write", "config.team.members[1].model")}
    assert "no agent profile named 'ghost'" in found["write", "config.team.members[0].profile"]
    assert "no model profile named 'absent'" in found["write", "config.team.members[1].model"]


async def test_a_replayed_run_answers_from_the_recording_without_calling_the_model(settings: Settings) -> None:
    with chat_server(writer) as server:
        add_model(settings, server.base_url)
        spec = agent_pipeline("poet", {"prompt": "Write a poem", "tools": ["write_artifact"]})
        async with running(settings) as runtime:
            first = await runtime.create_run(spec, {})
            assert (await asyncio.wait_for(runtime.wait(first.id), 60)).status is RunStatus.SUCCEEDED
            assert server.count == 2
            second = await runtime.create_run(spec, {}, RunOptions(replay_from=first.id))
            state = await asyncio.wait_for(runtime.wait(second.id), 60)
        assert state.status is RunStatus.SUCCEEDED, state.error
        assert state.steps["write"].output == "I wrote the poem to poem.md for you."
        assert server.count == 2  # nothing reached the model
    replayed = select_rows(settings.db_url, agent_exchanges, agent_exchanges.c.run_id == second.id)
    assert len(replayed) == 2 and all(e["replayed"] and e["cost"] == 0 for e in replayed)
    assert (settings.home / "pipelines" / "poet" / "runs" / "v2" / "write" / "poem.md").read_text() == "Roses are red"
