"""A model profile's API key: sent to its endpoint, recorded as a use, redacted from all the agent step writes."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.agents.conftest import add_model, agent_pipeline
from tests.integration.helpers import running, select_rows
from tests.openai_server import Reply, ToolCall, chat_server, tool_results

from lockgate.engine import RunStatus
from lockgate.store import credentials as credential_store
from lockgate.store.security_tables import credential_uses
from lockgate.store.tables import agent_exchanges, agent_turns, events, steps

if TYPE_CHECKING:
    from lockgate.runtime.live import LiveDelta
    from lockgate.settings import Settings

pytestmark = pytest.mark.anyio

KEY = "sk-model-key-5e1f9a-LEAK"


def leaky(body: dict[str, Any]) -> Reply:
    """A provider (or a model) that repeats the key: in a file it has written, and in its answer."""
    if not tool_results(body):
        return Reply(tool_calls=(ToolCall("write_artifact", {"name": "key.txt", "content": f"key={KEY}"}),))
    return Reply(text=f"The key is {KEY}.", prompt_tokens=30, completion_tokens=9)


async def test_a_model_key_repeated_by_the_model_is_redacted_everywhere(settings: Settings) -> None:
    with chat_server(leaky) as server:
        add_model(settings, server.base_url, credential="llm-key")
        spec = agent_pipeline("keyed", {"prompt": "Say it", "tools": ["write_artifact"]})
        deltas: list[LiveDelta] = []
        async with running(settings) as runtime:

            def store_key() -> None:
                with runtime.db.write() as conn:
                    credential_store.create_credential(conn, runtime.cipher, "llm-key", KEY, None, runtime.clock.now())

            await runtime.db_call(store_key)
            runtime.live.subscribe(deltas.append)
            head = await runtime.create_run(spec, {})  # no grant: the admin's profile is the grant
            state = await asyncio.wait_for(runtime.wait(head.id), 60)
    assert state.status is RunStatus.SUCCEEDED, state.error
    assert state.steps["write"].output == "The key is [redacted:llm-key]."
    recorded = repr([select_rows(settings.db_url, t) for t in (agent_turns, agent_exchanges, events, steps)])
    assert KEY not in recorded and "[redacted:llm-key]" in recorded
    assert KEY not in "".join(d.text for d in deltas)
    key_file = settings.home / "pipelines" / "keyed" / "runs" / "v1" / "write" / "key.txt"
    assert key_file.read_text() == "key=[redacted:llm-key]"
    [use] = select_rows(settings.db_url, credential_uses)
    assert (use["credential"], use["purpose"], use["pipeline"], use["step_key"]) == (
        "llm-key",
        "model",
        "keyed",
        "write",
    )
