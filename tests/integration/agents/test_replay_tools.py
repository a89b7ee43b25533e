"""A replayed run serves the tools that reach the world from the recording: no request, no script, again."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.agents.conftest import add_model, agent_pipeline
from tests.integration.helpers import running as started
from tests.integration.helpers import select_rows
from tests.local_http import QuietHandler, serving
from tests.openai_server import Reply, ToolCall, chat_server, tool_results

from lockgate.engine import RunStatus
from lockgate.store.conversations import RunOptions
from lockgate.store.tables import agent_turns

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lockgate.settings import Settings

pytestmark = pytest.mark.anyio

PYTHON = "import time\nopen('stamp.txt', 'w').write(str(time.time_ns()))\noutput = time.time_ns()"


@pytest.fixture
def hook() -> Iterator[tuple[str, list[Any]]]:
    """A local server counting the POSTs it gets."""
    hits: list[Any] = []

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            hits.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            payload = json.dumps({"order": len(hits)}).encode()
            self.send_response(201)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    with serving(Handler) as url:
        yield f"{url}/orders", hits


def _orderer(url: str) -> Any:
    def respond(body: dict[str, Any]) -> Reply:
        done = tool_results(body)
        if not done:
            return Reply(tool_calls=(ToolCall("http_post", {"url": url, "body": {"item": "pen"}}),))
        if len(done) == 1:
            receipt = ToolCall("write_artifact", {"name": "receipt.md", "content": done[0]})
            return Reply(tool_calls=(ToolCall("run_python", {"code": PYTHON}), receipt))
        return Reply(text=f"ordered: {done[0].splitlines()[-1]}; stamped {json.loads(done[1])['output']}")

    return respond


def _tool_answers(settings: Settings, run_id: str) -> list[str]:
    [turn] = select_rows(settings.db_url, agent_turns, agent_turns.c.run_id == run_id)
    return [str(p["content"]) for m in turn["messages"] if m["kind"] == "request" for p in m["parts"]
            if p["part_kind"] == "tool-return"]  # fmt: skip


async def test_a_replay_answers_http_post_and_run_python_from_the_recording(
    settings: Settings, hook: tuple[str, list[Any]]
) -> None:
    url, hits = hook
    with chat_server(_orderer(url)) as server:
        add_model(settings, server.base_url)
        spec = agent_pipeline("orders", {"prompt": "Order a pen", "tools": ["http_post", "run_python",
                                                                           "write_artifact"]})  # fmt: skip
        async with started(settings) as runtime:
            first = await runtime.create_run(spec, {})
            recorded = await asyncio.wait_for(runtime.wait(first.id), 60)
            assert recorded.status is RunStatus.SUCCEEDED, recorded.error
            assert (len(hits), server.count) == (1, 3)
            second = await runtime.create_run(spec, {}, RunOptions(replay_from=first.id))
            replayed = await asyncio.wait_for(runtime.wait(second.id), 60)
        assert replayed.status is RunStatus.SUCCEEDED, replayed.error
        assert (len(hits), server.count) == (1, 3)  # no POST reached the server, no request the model
    output = recorded.steps["write"].output
    assert isinstance(output, str) and output.startswith('ordered: {"order": 1}; stamped ')
    assert replayed.steps["write"].output == output
    assert _tool_answers(settings, second.id) == _tool_answers(settings, first.id)  # the script's clock, as recorded
    runs_dir = settings.home / "pipelines" / "orders" / "runs"
    assert (runs_dir / "v2" / "write" / "receipt.md").read_text() == (
        runs_dir / "v1" / "write" / "receipt.md"
    ).read_text()
    assert (runs_dir / "v1" / "write" / "stamp.txt").exists()
    assert not (runs_dir / "v2" / "write" / "stamp.txt").exists()  # the script did not run again


async def test_a_replay_whose_tool_calls_are_not_in_the_recording_fails_clearly(
    settings: Settings, hook: tuple[str, list[Any]]
) -> None:
    url, hits = hook
    with chat_server(_orderer(url)) as server:
        add_model(settings, server.base_url)
        spec = agent_pipeline("orders", {"prompt": "Order a pen", "tools": ["http_post", "run_python",
                                                                           "write_artifact"]})  # fmt: skip
        async with started(settings) as runtime:
            first = await runtime.create_run(spec, {})
            assert (await asyncio.wait_for(runtime.wait(first.id), 60)).status is RunStatus.SUCCEEDED
            with runtime.db.write() as conn:  # the recording lost its tool answers (an older Lockgate's, say)
                conn.execute(agent_turns.update().where(agent_turns.c.run_id == first.id).values(messages=[]))
            second = await runtime.create_run(spec, {}, RunOptions(replay_from=first.id))
            failed = await asyncio.wait_for(runtime.wait(second.id), 60)
        assert len(hits) == 1
    assert failed.status is RunStatus.FAILED
    error = failed.steps["write"].error
    assert error is not None and error.kind == "replay_mismatch" and "http_post" in error.message
