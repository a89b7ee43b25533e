"""Live events over SSE and WebSocket: resumed after a forced disconnect, every row exactly once, in order.

The runs are driven by a second Runtime in the test process (as a worker would be): the server sees their
events only through the table, so these tests also prove delivery of what another process committed.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from tests.integration.helpers import fast_settings, running, select_rows
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK

from lockgate.api import stream
from lockgate.api.schemas.events import EventRead
from lockgate.api.stream import GRACE, releasable
from lockgate.engine.state import RunStatus
from lockgate.security.api_keys import Role
from lockgate.spec import spec_from_data
from lockgate.store.tables import events

if TYPE_CHECKING:
    from pathlib import Path

    from tests.integration.api.conftest import Server

    from lockgate.runtime import Runtime

pytestmark = pytest.mark.anyio

# 20 inline items, then a script per item of a short list, one at a time: the run lasts about a second
PIPELINE = spec_from_data(
    {
        "name": "streamed",
        "nodes": [
            {"id": "make", "kind": "transform", "config": {"value": list(range(20))}},
            {"id": "each", "kind": "transform", "config": {"value": "{{ item }}"},
             "for_each": "{{ nodes.make.output }}"},
            {"id": "slow", "kind": "script", "config": {"code": "import time\ntime.sleep(0.3)\noutput = n"},
             "for_each": "{{ [1, 2, 3] }}", "max_parallel": 1, "inputs": {"n": "{{ item }}"}},
        ],
        "edges": [{"source": "make", "target": "each"}, {"source": "each", "target": "slow"}],
    }
)  # fmt: skip


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _client(server: Server, role: Role | None = Role.VIEWER) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {server.keys[role]}"} if role is not None else {}
    return httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=30)


async def _sse(
    client: httpx.AsyncClient, url: str, limit: int | None = None, last: int | None = None
) -> list[dict[str, Any]]:
    """Events of one SSE connection; with ``limit``, the connection is dropped after that many."""
    got: list[dict[str, Any]] = []
    fields: dict[str, str] = {}
    headers = {"Last-Event-ID": str(last)} if last is not None else {}
    async with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if line.startswith(":"):
                continue
            if line:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
                continue
            if "data" in fields:
                event = json.loads(fields["data"])
                assert (fields["id"], fields["event"]) == (str(event["id"]), event["type"])
                got.append(event)
            fields = {}
            if limit is not None and len(got) >= limit:
                break  # leaving the block closes the connection mid-stream
    return got


async def _ws(url: str, limit: int | None = None, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    # max_queue=None: with a full queue the client stops reading and would not see the server's close reply
    async with connect(url, additional_headers=headers or {}, open_timeout=10, max_queue=None) as socket:
        try:
            while limit is None or len(got) < limit:
                got.append(json.loads(await asyncio.wait_for(socket.recv(), 30)))
        except ConnectionClosedOK:
            assert socket.close_code == 1000
    return got


def _assert_exactly_the_rows(got: list[dict[str, Any]], database_url: str, run_id: str) -> None:
    rows = sorted(select_rows(database_url, events, events.c.run_id == run_id), key=lambda r: r["id"])
    mine = [e for e in got if e["run_id"] == run_id]
    assert [e["id"] for e in mine] == [r["id"] for r in rows]  # no gap, no duplicate, in id order
    assert [e["seq"] for e in mine] == list(range(1, len(rows) + 1))
    assert [e["type"] for e in mine] == [r["type"] for r in rows]


async def _finish(runtime: Runtime, run_id: str) -> None:
    state = await asyncio.wait_for(runtime.wait(run_id), 60)
    assert state.status is RunStatus.SUCCEEDED


async def test_run_sse_resumes_after_disconnect(server: Server, database_url: str, tmp_path: Path) -> None:
    async with running(fast_settings(tmp_path / "worker", database_url)) as runtime:
        head = await runtime.create_run(PIPELINE, {})
        url = f"/api/v1/runs/{head.id}/events/stream"
        async with _client(server) as client:
            got = await _sse(client, url, limit=3)
            got += await _sse(client, url, limit=30, last=got[-1]["id"])
            # a browser reconnects to the original URL and adds Last-Event-ID: the header wins over ?after=
            got += await _sse(client, f"{url}?after=0", last=got[-1]["id"])
        await _finish(runtime, head.id)
    _assert_exactly_the_rows(got, database_url, head.id)


async def test_run_websocket_resumes_after_disconnect(server: Server, database_url: str, tmp_path: Path) -> None:
    base = server.base_url.replace("http://", "ws://") + "/api/v1"
    key = server.keys[Role.VIEWER]
    async with running(fast_settings(tmp_path / "worker", database_url)) as runtime:
        head = await runtime.create_run(PIPELINE, {})
        url = f"{base}/runs/{head.id}/events/ws"
        got = await _ws(f"{url}?token={key}", limit=3)
        got += await _ws(f"{url}?after={got[-1]['id']}", limit=30, headers={"Authorization": f"Bearer {key}"})
        got += await _ws(f"{url}?after={got[-1]['id']}&token={key}")
        await _finish(runtime, head.id)
    _assert_exactly_the_rows(got, database_url, head.id)


async def test_global_stream_delivers_two_concurrent_runs_once(
    server: Server, database_url: str, tmp_path: Path
) -> None:
    async with running(fast_settings(tmp_path / "worker", database_url)) as runtime, _client(server) as client:
        start = (await client.get("/api/v1/events", params={"limit": 1000})).json()["next_after"]
        heads = await asyncio.gather(runtime.create_run(PIPELINE, {}), runtime.create_run(PIPELINE, {}))
        finished = asyncio.gather(*(_finish(runtime, h.id) for h in heads))
        got = await _sse(client, f"/api/v1/events/stream?after={start}", limit=10)
        got += await _sse(client, "/api/v1/events/stream", limit=25, last=got[-1]["id"])
        await finished
        expected = len(select_rows(database_url, events, events.c.id > start))
        got += await _sse(client, "/api/v1/events/stream", limit=expected - len(got), last=got[-1]["id"])
        page = (await client.get("/api/v1/events", params={"after": start, "limit": 1000})).json()
    for head in heads:
        _assert_exactly_the_rows(got, database_url, head.id)
    assert [e["id"] for e in got] == sorted({e["id"] for e in got})
    assert [e["id"] for e in page["items"]] == [e["id"] for e in got]


async def test_streams_need_a_key_and_a_viewer_may_read(server: Server) -> None:
    async with _client(server, None) as anonymous:
        for path in ("/api/v1/events/stream", "/api/v1/runs/x/events/stream", "/api/v1/events"):
            assert (await anonymous.get(path)).status_code == 401
    async with _client(server, Role.VIEWER) as viewer:
        assert (await viewer.get("/api/v1/runs/nope/events/stream")).status_code == 404
        assert (await viewer.get("/api/v1/events")).json() == {"items": [], "next_after": 0}
    base = server.base_url.replace("http://", "ws://") + "/api/v1"
    for url in (f"{base}/events/ws", f"{base}/events/ws?token=lg_wrong", f"{base}/runs/x/events/ws"):
        async with connect(url) as socket:
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(socket.recv(), 10)
            assert socket.close_code == 4401
    async with connect(f"{base}/runs/nope/events/ws?token={server.keys[Role.VIEWER]}") as socket:
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(socket.recv(), 10)
        assert socket.close_code == 4404


def _row(id_: int, age: timedelta, now: datetime) -> EventRead:
    return EventRead(id=id_, run_id="r", seq=id_, type="step_started", at=now - age, data={})


def test_the_global_cursor_waits_at_a_young_hole_only() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    fresh, old = timedelta(0), GRACE + timedelta(seconds=1)
    assert [r.id for r in releasable([_row(4, fresh, now), _row(5, fresh, now)], 3, now, GRACE)] == [4, 5]
    # 5 is not visible yet (committing late, or rolled back): 6 waits until it is GRACE old
    assert releasable([_row(4, fresh, now), _row(6, fresh, now)], 3, now, GRACE) == [_row(4, fresh, now)]
    assert [r.id for r in releasable([_row(6, old, now), _row(7, fresh, now)], 4, now, GRACE)] == [6, 7]


async def test_follow_keeps_a_finished_run_open_with_heartbeats(
    server: Server, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "HEARTBEAT", 0.3)  # the server runs in this process
    async with running(fast_settings(tmp_path / "worker", database_url)) as runtime:
        head = await runtime.create_run(PIPELINE, {})
        await _finish(runtime, head.id)
    count = len(select_rows(database_url, events, events.c.run_id == head.id))
    lines: list[str] = []
    async with (
        _client(server) as client,
        client.stream("GET", f"/api/v1/runs/{head.id}/events/stream?follow=true") as r,
    ):
        async for line in r.aiter_lines():
            lines.append(line)
            if line == ": keepalive":
                break
    assert sum(line.startswith("id: ") for line in lines) == count  # everything, then still open
