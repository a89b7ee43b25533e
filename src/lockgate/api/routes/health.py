"""Public by design: /health (process up), /ready (DB, migrations, executor), /metrics (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from lockgate.api.deps import RuntimeDep
from lockgate.api.metrics import refresh_metrics
from lockgate.handlers.confinement import confinement
from lockgate.store.migrate import current_revision, head_revision

__all__ = ["router"]

router = APIRouter(tags=["operations"])


@router.get("/health", summary="The process is up")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", summary="The database answers, migrations are current, the runtime runs")
async def ready(runtime: RuntimeDep) -> JSONResponse:
    # 200 when the server can do its job; ``checks.sandbox`` and ``bounds`` say how script steps run. Script
    # steps refused (no sandbox, unconfined scripts not allowed) leave it ready: every other kind runs, people
    # review and answer, and the refusal is a setting to change, not a fault to wait out.
    checks: dict[str, str] = {}
    try:
        revision = await runtime.db_call(current_revision, runtime.db)
        head = head_revision(runtime.db)
        checks["database"] = "ok"
        checks["migrations"] = "ok" if revision == head else f"at {revision}, head is {head}"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready, and says why
        checks["database"] = f"unreachable: {type(exc).__name__}"
    checks["runtime"] = "ok" if runtime.alive else "stopped"
    ok = all(v == "ok" for v in checks.values())
    scripts = await confinement(runtime.settings.sandbox, runtime.settings.script_policy)
    checks["sandbox"] = scripts.sandbox
    body = {"status": "ready" if ok else "not ready", "checks": checks,
            "bounds": {"processes": scripts.processes, "memory": scripts.memory}}  # fmt: skip
    return JSONResponse(body, status_code=200 if ok else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(runtime: RuntimeDep) -> Response:
    await refresh_metrics(runtime)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
