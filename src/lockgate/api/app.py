"""``create_app()``: the FastAPI application around one Runtime, its routers, and the built UI if present."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute

from lockgate.api.bodies import INPUT_RULES, JsonBodyCheck
from lockgate.api.deferred import DeferredRoutes, WaitForRoutes
from lockgate.api.errors import install_error_handlers
from lockgate.api.limits import BodySizeLimit
from lockgate.api.metrics import observe
from lockgate.api.openapi import install_openapi
from lockgate.api.routes import health
from lockgate.runtime import Runtime
from lockgate.settings import Settings

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"
STATIC = Path(__file__).parent / "static"
log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, runtime: Runtime | None = None, *, defer_routes: bool = False
) -> FastAPI:
    """The server: pass a Runtime to share one (tests), or let the app start its own.

    ``defer_routes`` (``lockgate serve``): the resource routers are added in a thread once the runtime runs, and
    requests other than ``/health``, ``/ready`` and ``/metrics`` wait for them (``api/deferred.py``).
    """
    cfg = settings or Settings()
    deferred = DeferredRoutes(lambda: _add_routes(app)) if defer_routes else None

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt = runtime or Runtime(cfg, kind="server", scheduler=True)
        owned = runtime is None
        if owned:
            await rt.start()
        app.state.runtime = rt
        unlisten = rt.listen(observe)
        if deferred is not None:
            deferred.start()
        try:
            yield
        finally:
            unlisten()
            if owned:
                await rt.stop()

    app = FastAPI(
        title="Lockgate",
        version="0.1.0",
        summary="Durable agentic pipelines that people supervise.",
        description=INPUT_RULES,
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    if deferred is not None:  # innermost: the limits and checks outside it apply to a request as ever
        at_once = frozenset(route.path for route in health.router.routes if isinstance(route, APIRoute))
        app.add_middleware(WaitForRoutes, routes=deferred, at_once=at_once)
    app.add_middleware(JsonBodyCheck)  # inside the size limit (the last added is the outermost)
    app.add_middleware(BodySizeLimit, max_bytes=cfg.max_body_bytes)
    install_error_handlers(app)
    install_openapi(app)
    app.include_router(health.router)
    if deferred is None:
        _add_routes(app)
    return app


def _add_routes(app: FastAPI) -> None:
    """The resource routers, then the UI (its catch-all mount comes after every API route)."""
    from lockgate.api.routes import (
        agents,
        artifacts,
        auth,
        credentials,
        drafts,
        events,
        models,
        pipelines,
        progress,
        rollbacks,
        runs,
        schema,
        tasks,
        templates,
        triggers,
    )
    from lockgate.api.ui import SinglePageApp

    routers = (schema, pipelines, drafts, progress, runs, events, artifacts, tasks, rollbacks, auth, credentials,
               triggers, models, agents, templates)  # fmt: skip
    for module in routers:
        app.include_router(module.router, prefix=API_PREFIX)
    if (STATIC / "index.html").is_file():
        app.mount("/", SinglePageApp(directory=STATIC, html=True), name="ui")
