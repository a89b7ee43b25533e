"""Routes: events — the global history page, and live streams (SSE and WebSocket) for one run or all runs.

``GET /runs/{run_id}/events`` (one run's history) lives in routes/runs.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import APIRouter, Header, Query, WebSocket
from fastapi.responses import StreamingResponse
from sqlalchemy import Connection
from starlette.websockets import WebSocketDisconnect

from lockgate.api.deps import MAX_BIGINT, Store, StoreDep, Viewer
from lockgate.api.schemas.events import EventPage
from lockgate.api.stream import GRACE, Feed, read_events, releasable, sse_frame
from lockgate.errors import NotFoundError
from lockgate.security.api_keys import Role
from lockgate.store.auth import Principal, authenticate

__all__ = ["router"]

router = APIRouter(tags=["events"])

After = Annotated[
    int | None, Query(ge=0, le=MAX_BIGINT, description="resume after this event id (`Last-Event-ID` wins)")
]
Follow = Annotated[bool, Query(description="keep the stream open after the run ended (a rollback may reopen it)")]
LastEventId = Annotated[int | None, Header(alias="Last-Event-ID", ge=0, le=MAX_BIGINT, include_in_schema=True)]
_SSE = {
    200: {
        "content": {"text/event-stream": {}},
        "description": "`id`, `event` (its type), `data` (an EventRead); "
        "agents' tokens as `event: agent_delta` with an AgentDelta and no id (live only, never stored)",
    }
}
_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
WS_UNAUTHENTICATED, WS_FORBIDDEN, WS_NOT_FOUND = 4401, 4403, 4404


@router.get("/events", response_model=EventPage)
async def list_events(
    _: Viewer,
    store: StoreDep,
    after: Annotated[int, Query(ge=0, le=MAX_BIGINT)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    run_id: str | None = None,
) -> EventPage:
    """Events after a cursor, in id order; across all runs the page stops before an id not yet committed."""

    def page(conn: Connection) -> EventPage:
        rows = read_events(conn, after, limit, run_id)
        if run_id is None:
            rows = releasable(rows, after, store.runtime.clock.now(), GRACE)
        return EventPage(items=rows, next_after=rows[-1].id if rows else after)

    return await store.read(page)


async def _sse(feed: Feed) -> StreamingResponse:
    await feed.check()

    async def body() -> AsyncIterator[str]:
        yield "retry: 1000\n\n"
        async with contextlib.aclosing(feed.batches()) as batches:
            async for batch in batches:
                yield "".join(sse_frame(e) for e in batch) if batch else ": keepalive\n\n"

    return StreamingResponse(body(), media_type="text/event-stream", headers=_SSE_HEADERS)


@router.get("/events/stream", response_class=StreamingResponse, responses=_SSE)  # type: ignore[arg-type]
async def stream_events(
    _: Viewer, store: StoreDep, after: After = None, last_event_id: LastEventId = None
) -> StreamingResponse:
    """Server-sent events of every run: stored ones after the cursor, then live ones; never ends."""
    return await _sse(Feed(store, _cursor(last_event_id, after)))


@router.get("/runs/{run_id}/events/stream", response_class=StreamingResponse, responses=_SSE)  # type: ignore[arg-type]
async def stream_run_events(
    _: Viewer, store: StoreDep, run_id: str, after: After = None, follow: Follow = False,
    last_event_id: LastEventId = None,
) -> StreamingResponse:  # fmt: skip
    """Server-sent events of one run; the stream ends after the run's last event unless ``follow``."""
    return await _sse(Feed(store, _cursor(last_event_id, after), run_id, follow))


@router.websocket("/events/ws")
async def events_ws(websocket: WebSocket, after: After = None) -> None:
    """Every run's events as JSON text frames. Auth: `Authorization` header or `?token=`."""
    await _serve_ws(websocket, lambda store: Feed(store, after or 0))


@router.websocket("/runs/{run_id}/events/ws")
async def run_events_ws(websocket: WebSocket, run_id: str, after: After = None, follow: Follow = False) -> None:
    """One run's events as JSON text frames; closed with 1000 after the run's last event unless ``follow``."""
    await _serve_ws(websocket, lambda store: Feed(store, after or 0, run_id, follow))


def _cursor(last_event_id: int | None, after: int | None) -> int:
    # a browser reconnects to the same URL (with its original ?after=) and adds Last-Event-ID: that one is newer
    if last_event_id is not None:
        return last_event_id
    return after or 0


async def _principal(store: Store, websocket: WebSocket) -> Principal | None:
    scheme, _, key = websocket.headers.get("authorization", "").partition(" ")
    token = key.strip() if scheme.lower() == "bearer" else websocket.query_params.get("token", "")
    if not token:
        return None
    return await store.read(lambda conn: authenticate(conn, token, store.runtime.clock.now()))


async def _serve_ws(websocket: WebSocket, make_feed: Callable[[Store], Feed]) -> None:
    # accept first, then close with a 44xx code: a browser sees close codes, never the status of a refused handshake
    store = Store(websocket.app.state.runtime)
    await websocket.accept()
    principal = await _principal(store, websocket)
    if principal is None:
        await websocket.close(WS_UNAUTHENTICATED, "an API key is required: Authorization header or ?token=")
        return
    if not principal.role.allows(Role.VIEWER):
        await websocket.close(WS_FORBIDDEN, "this needs the viewer role")
        return
    feed = make_feed(store)
    try:
        await feed.check()
    except NotFoundError as exc:
        await websocket.close(WS_NOT_FOUND, exc.detail[:120])
        return
    await _pump_until_gone(websocket, feed)


async def _pump_until_gone(websocket: WebSocket, feed: Feed) -> None:
    """Send until the feed ends (then close 1000) or the client leaves (then stop reading at once)."""

    async def pump() -> None:
        async with contextlib.aclosing(feed.batches()) as batches:  # the listener goes with the connection
            async for batch in batches:
                for event in batch:
                    await websocket.send_text(event.model_dump_json())
        await websocket.close(1000, "the run ended")

    async def gone() -> None:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    tasks = [asyncio.create_task(pump()), asyncio.create_task(gone())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError, OSError):
                await task
