"""Operations endpoints are public by design; the API is not."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from tests.integration.api.conftest import Server


def test_health_ready_metrics_are_public(server: Server) -> None:
    with server.client(None) as anonymous:
        assert anonymous.get("/health").json() == {"status": "ok"}
        ready = anonymous.get("/ready")
        assert ready.status_code == 200, ready.text
        checks = ready.json()["checks"]
        assert {k: checks[k] for k in ("database", "migrations", "runtime")} == dict.fromkeys(
            ("database", "migrations", "runtime"), "ok"
        )
        # how script steps run here: confinement (bubblewrap, or unconfined as these tests allow) and bounds
        assert checks["sandbox"] == "bubblewrap" or checks["sandbox"].startswith("unconfined (allowed by")
        assert set(ready.json()["bounds"]) == {"processes", "memory"}
        metrics = anonymous.get("/metrics").text
        assert 'lockgate_runs{status="running"}' in metrics


def test_oversized_body_is_refused_before_it_is_read(server: Server) -> None:
    with server.client() as admin:
        response = admin.post("/api/v1/pipelines", content=b"x" * (11 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_openapi_document_is_served(server: Server) -> None:
    document = httpx.get(f"{server.base_url}/api/v1/openapi.json").json()
    assert document["info"]["title"] == "Lockgate"
