"""Budgets: checked before every model request, counting requests in flight; refused requests never leave."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.agents.conftest import add_model
from tests.integration.helpers import running, select_rows
from tests.openai_server import Reply, ToolCall, chat_server

from lockgate.engine import RunStatus, StepStatus
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.budget_tables import budget_holds
from lockgate.store.conversations import RunOptions
from lockgate.store.tables import agent_exchanges

if TYPE_CHECKING:
    from lockgate.settings import Settings

pytestmark = pytest.mark.anyio


def endless(body: dict[str, Any]) -> Reply:
    """An agent that never finishes: it keeps writing notes."""
    return Reply(tool_calls=(ToolCall("write_artifact", {"name": "note.txt", "content": "more"}),))


def _spec(name: str, nodes: list[str], node_budget: dict[str, Any] | None = None, **extra: Any) -> PipelineSpec:
    config = {"model": "local", "prompt": "Take notes", "tools": ["write_artifact"], "max_tool_calls": 100}
    if node_budget is not None:
        config["budget"] = node_budget
    return PipelineSpec.model_validate({"name": name, "nodes": [{"id": n, "kind": "agent", "config": config}
                                                                for n in nodes], **extra})  # fmt: skip


async def test_a_node_budget_stops_the_step_and_no_further_request_reaches_the_model(settings: Settings) -> None:
    with chat_server(endless) as server:
        add_model(settings, server.base_url)
        async with running(settings) as runtime:
            head = await runtime.create_run(_spec("notes", ["take"], {"max_requests": 3}), {})
            state = await asyncio.wait_for(runtime.wait(head.id), 60)
            await asyncio.sleep(0.3)
        assert server.count == 3
    assert state.status is RunStatus.FAILED
    step = state.steps["take"]
    assert step.status is StepStatus.FAILED and step.error is not None
    assert step.error.kind == "budget_exceeded" and not step.error.retryable
    assert "node 'take' budget exceeded (max_requests 3): spent 3 requests" in step.error.message
    assert "no further model requests are made" in step.error.message
    assert select_rows(settings.db_url, budget_holds) == []  # every hold was settled


async def test_a_cost_budget_is_never_overspent(settings: Settings) -> None:
    with chat_server(endless) as server:
        add_model(settings, server.base_url, max_tokens=50)
        budget = {"max_cost": 0.002}
        async with running(settings) as runtime:
            head = await runtime.create_run(_spec("costly", ["take"]), {}, RunOptions(budget=budget))
            state = await asyncio.wait_for(runtime.wait(head.id), 60)
    exchanges = select_rows(settings.db_url, agent_exchanges)
    error = state.steps["take"].error
    assert error is not None and error.kind == "budget_exceeded"
    assert "run budget exceeded (max_cost $0.0020)" in error.message
    assert len(exchanges) == server.count >= 2  # everything sent was recorded, nothing more was sent
    assert sum(e["cost"] for e in exchanges) <= 0.002
    assert all(r["max_completion_tokens"] <= 50 for r in server.requests)


async def test_a_run_budget_holds_across_parallel_steps(settings: Settings) -> None:
    with chat_server(endless) as server:
        add_model(settings, server.base_url)
        spec = _spec("team", ["left", "right"], budget={"max_requests": 5})
        async with running(settings) as runtime:
            head = await runtime.create_run(spec, {})
            state = await asyncio.wait_for(runtime.wait(head.id), 60)
            await asyncio.sleep(0.3)
        assert server.count == 5  # the two steps together, never more
    assert state.status is RunStatus.FAILED
    errors = [state.steps[n].error for n in ("left", "right")]
    kinds = {e.kind for e in errors if e is not None}
    assert kinds <= {"budget_exceeded", "cancelled"} and "budget_exceeded" in kinds
