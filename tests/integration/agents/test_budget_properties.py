"""Budgets are never overspent, whatever the server reports and whichever caps it honours (hypothesis).

Each example runs the agent handler over the real HTTP path (pydantic-ai's OpenAI model, httpx) against a
fake server drawn at random: usage in streams or not, the cap fields it honours, what the model profile
believes of it, how much the model writes, streamed or not, one agent or a parallel team. The budgets are
kept in memory with the same arithmetic as the store's (tests/unit/handlers/agent_services.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.openai_server import Behaviour, Reply, ToolCall, chat_server, tool_results
from tests.unit.handlers.agent_services import PROFILE
from tests.unit.handlers.conftest import FakeContext

from lockgate.errors import StepError
from lockgate.handlers.agent import run
from lockgate.handlers.agent.services import CapField, ExchangeRecord
from lockgate.spec.agent import AgentConfig, Budget

_FIELDS = st.sampled_from([frozenset({"max_completion_tokens", "max_tokens"}), frozenset({"max_tokens"}),
                           frozenset()])  # fmt: skip


def _writer(words: int, notes: int) -> Any:
    """Takes ``notes`` notes with a tool, then writes ``words`` words (the server counts one token a word)."""

    def respond(body: dict[str, Any]) -> Reply:
        size = len(str(body["messages"])) // 4
        if len(tool_results(body)) < notes:
            call = ToolCall("write_artifact", {"name": f"n{len(tool_results(body))}.txt", "content": "note " * 30})
            return Reply(tool_calls=(call,), prompt_tokens=size, completion_tokens=40)
        return Reply(text="word " * words, prompt_tokens=size, completion_tokens=max(words, 1), chunk=25)

    return respond


def _answered(exchange: ExchangeRecord) -> bool:
    return isinstance(exchange.response, dict) and bool(exchange.response.get("parts"))


async def _run(config: AgentConfig, ctx: FakeContext) -> None:
    with contextlib.suppress(StepError):  # a refusal or an answer cut short: what was spent is what matters here
        await run(ctx, config, {})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stream_usage=st.booleans(),
    honoured=_FIELDS,
    believed=st.sampled_from([None, CapField.MAX_COMPLETION_TOKENS, CapField.MAX_TOKENS, CapField.NONE]),
    words=st.integers(min_value=0, max_value=1500),
    notes=st.integers(min_value=0, max_value=4),
    max_tokens=st.one_of(st.none(), st.integers(min_value=16, max_value=600)),
    budget=st.integers(min_value=300, max_value=4000),
    stream=st.booleans(),
    team=st.booleans(),
)
def test_a_token_budget_is_never_overspent(stream_usage: bool, honoured: frozenset[str], believed: CapField | None,
                                           words: int, notes: int, max_tokens: int | None, budget: int, stream: bool,
                                           team: bool) -> None:  # fmt: skip
    behaviour = Behaviour(stream_usage=stream_usage, cap_fields=honoured)
    values: dict[str, Any] = {"prompt": "Take notes, then write", "tools": ["write_artifact"], "stream": stream,
                              "max_tokens": max_tokens, "max_tool_calls": 10}  # fmt: skip
    if team:
        values["team"] = {"mode": "parallel", "members": [{"name": "ann"}, {"name": "bob"}]}
    config = AgentConfig.model_validate(values)
    with tempfile.TemporaryDirectory() as tmp, chat_server(_writer(words, notes), behaviour) as server:
        workspace = Path(tmp, "workspace")
        workspace.mkdir()
        ctx = FakeContext(workspace=workspace, log_path=Path(tmp, "attempt.log"))
        profile = replace(PROFILE, base_url=server.base_url, cap_field=believed)
        ctx.agent.models = {"test": profile}
        ctx.agent.run_budget = Budget(max_tokens=budget)
        asyncio.run(_run(config, ctx))
        sent = server.count
    exchanges = ctx.agent.exchanges
    spent = sum(e.input_tokens + e.output_tokens for e in exchanges)
    assert spent <= budget
    # every request that reached the server is charged (one cancelled on its way may be charged too), refused
    # ones never left
    assert len(exchanges) >= sent and len([e for e in exchanges if _answered(e)]) <= sent
    assert all(e.input_tokens > 0 for e in exchanges)  # never 0
    assert ctx.agent.holds == {}
