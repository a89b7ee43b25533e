"""A model profile's requests_per_minute: requests beyond it wait (with a reason on the step), never fail.

The window is shortened by a setting (``model_rate_window``) so the test takes seconds, not minutes.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.agents.conftest import add_model
from tests.integration.helpers import fast_settings, running
from tests.openai_server import Reply, chat_server

from lockgate.engine import RunStatus
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.slots import waiting_reasons

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.anyio
WINDOW = 3.0  # seconds standing for a minute
PER_WINDOW = 2
# From the admission's instant to the request's arrival, at most: the first request of a process builds its
# HTTP client, which took half a second on a loaded machine (both test passes side by side).
LATENCY = 1.0


async def test_requests_beyond_the_rate_wait_and_say_why(tmp_path: Path, database_url: str) -> None:
    settings = fast_settings(tmp_path / "home", database_url, model_rate_window=timedelta(seconds=WINDOW))
    arrivals: list[float] = []
    lock = threading.Lock()

    def answer(body: dict[str, Any]) -> Reply:
        with lock:
            arrivals.append(time.monotonic())
        return Reply(text="done", prompt_tokens=5, completion_tokens=1)

    spec = PipelineSpec.model_validate({
        "name": "paced",
        "nodes": [
            {"id": "items", "kind": "transform", "config": {"value": [1, 2, 3, 4, 5, 6]}},
            {"id": "ask", "kind": "agent", "for_each": "{{ nodes.items.output }}",
             "config": {"model": "local", "prompt": "item {{ item }}"}},
        ],
        "edges": [{"source": "items", "target": "ask"}],
    })  # fmt: skip
    with chat_server(answer) as server:
        add_model(settings, server.base_url, requests_per_minute=PER_WINDOW)
        async with running(settings) as runtime:
            head = await runtime.create_run(spec, {})

            def reasons() -> dict[str, str]:
                with runtime.db.read() as conn:
                    return waiting_reasons(conn, head.id)

            seen: set[str] = set()
            for _ in range(3000):  # a minute at most: the third request waits within a second or two
                seen = set(reasons().values())
                if seen:
                    break
                await asyncio.sleep(0.02)
            assert seen == {"waiting: model profile local is at its rate limit (requests_per_minute 2)"}
            state = await asyncio.wait_for(runtime.wait(head.id), 60)
            assert state.status is RunStatus.SUCCEEDED, state.error
            assert reasons() == {}
    assert len(arrivals) == 6  # none failed, none was sent twice
    arrivals.sort()
    for first, third in zip(arrivals, arrivals[PER_WINDOW:], strict=False):
        assert third - first >= WINDOW - LATENCY, arrivals  # never more than PER_WINDOW in one window
