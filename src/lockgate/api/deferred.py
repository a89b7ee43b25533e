"""The API's routers added after the server is ready: what ``lockgate serve`` waits for is the runtime, not them.

Building the resource routers (their modules, schemas and FastAPI's checks of every endpoint) is about a third of a
server's start, and nothing of it is needed to recover runs, fire timers or answer ``/health``, ``/ready`` and
``/metrics``. The server starts building them in a thread once its runtime runs; a request for anything else waits
until they are in place (or builds them itself, if it comes first), so no request ever finds a route missing.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["DeferredRoutes", "WaitForRoutes"]


class DeferredRoutes:
    """``build`` run once, in a worker thread; ``ready()`` waits for it (starting it if nobody has)."""

    def __init__(self, build: Callable[[], None]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._done = False
        self._future: asyncio.Future[None] | None = None

    def start(self) -> asyncio.Future[None]:
        if self._future is None:
            self._future = asyncio.get_running_loop().run_in_executor(None, self._run)
        return self._future

    async def ready(self) -> None:
        if not self._done:
            await asyncio.shield(self.start())  # a cancelled request leaves the build running for the next one

    def _run(self) -> None:
        with self._lock:
            if not self._done:
                self._build()
                self._done = True


class WaitForRoutes:
    """Lets the operations endpoints through at once; any other request waits for the deferred routers."""

    def __init__(self, app: ASGIApp, routes: DeferredRoutes, at_once: frozenset[str]) -> None:
        self.app = app
        self.routes = routes
        self.at_once = at_once

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope["path"] not in self.at_once:
            await self.routes.ready()
        await self.app(scope, receive, send)
