"""What the web UI reads besides the core API.

The definition schema, run progress by node, windows of steps, the next scheduled run of each pipeline, and the
single-page app served with deep links.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from lockgate.api import app as app_module
from lockgate.settings import Settings
from lockgate.spec import pipeline_json_schema

if TYPE_CHECKING:
    from pathlib import Path


FAN_OUT: dict[str, Any] = {
    "name": "wide",
    "nodes": [
        {"id": "numbers", "kind": "transform", "config": {"value": "{{ range(25) | list }}"}},
        {"id": "each", "kind": "noop", "for_each": "{{ nodes.numbers.output }}"},
        {"id": "done", "kind": "noop"},
    ],
    "edges": [{"source": "numbers", "target": "each"}, {"source": "each", "target": "done"}],
}


def _finished(admin: httpx.Client, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body: dict[str, Any] = admin.get(f"/api/v1/runs/{run_id}/progress").json()
        if body["run"]["status"] in {"succeeded", "failed", "cancelled"}:
            return body
        time.sleep(0.05)
    raise AssertionError("the run did not finish")


def test_the_schema_endpoint_serves_the_definition_schema_with_template_marks(admin: httpx.Client) -> None:
    schema = admin.get("/api/v1/schema/pipeline").json()

    assert schema == pipeline_json_schema()
    assert schema["$defs"]["HttpConfig"]["properties"]["url"]["x-template"] is True
    assert "x-template" not in schema["$defs"]["HttpConfig"]["properties"]["method"]


def test_progress_counts_a_fan_out_by_node_and_steps_come_in_windows(admin: httpx.Client) -> None:
    assert admin.post("/api/v1/pipelines", json=FAN_OUT).status_code == 201
    run = admin.post("/api/v1/pipelines/wide/runs", json={}).json()

    progress = _finished(admin, run["id"])
    nodes = {n["node_id"]: n for n in progress["nodes"]}
    assert progress["run"]["status"] == "succeeded"
    assert progress["steps"] == 28  # numbers, the map step, its 25 items, done
    assert nodes["each"]["status"] == "succeeded"
    assert nodes["each"]["items"] == 25
    assert nodes["each"]["counts"] == {"succeeded": 25}
    assert nodes["numbers"]["counts"] == {"succeeded": 1}
    assert nodes["done"]["items"] == 0

    first = admin.get(f"/api/v1/runs/{run['ref']}/steps", params={"node": "each", "limit": 10}).json()
    last = admin.get(f"/api/v1/runs/{run['id']}/steps", params={"node": "each", "offset": 20, "limit": 10}).json()
    assert first["total"] == last["total"] == 26
    assert len(first["items"]) == 10
    assert len(last["items"]) == 6
    keys = [s["key"] for s in first["items"] + last["items"]]
    assert len(set(keys)) == 16
    assert all("output" not in s for s in first["items"])  # rows stay small
    assert all(s["attempts"] for s in first["items"] if s["item_index"] is not None)
    failed = admin.get(f"/api/v1/runs/{run['id']}/steps", params={"status": "failed"}).json()
    assert failed == {"total": 0, "offset": 0, "items": []}


def test_unknown_runs_are_404_for_progress_and_steps(admin: httpx.Client) -> None:
    for path in ("/api/v1/runs/nope/progress", "/api/v1/runs/nope/steps"):
        response = admin.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_the_pipeline_list_shows_the_next_scheduled_run(admin: httpx.Client) -> None:
    assert admin.post("/api/v1/pipelines", json=FAN_OUT).status_code == 201
    assert admin.get("/api/v1/pipelines/wide").json()["next_run_at"] is None
    soon = admin.post("/api/v1/pipelines/wide/schedules", json={"cron": "0 9 * * *", "timezone": "UTC"}).json()
    later = admin.post("/api/v1/pipelines/wide/schedules", json={"cron": "0 9 1 1 *", "timezone": "UTC"}).json()

    listed = admin.get("/api/v1/pipelines").json()["items"][0]
    assert listed["next_run_at"] == soon["next_fire_at"]
    assert listed["next_run_at"] <= later["next_fire_at"]
    admin.patch(f"/api/v1/schedules/{soon['id']}", json={"enabled": False})
    assert admin.get("/api/v1/pipelines/wide").json()["next_run_at"] == later["next_fire_at"]


class Spa:
    """GETs against the app in process (the static routes need no runtime, so no lifespan)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def get(self, path: str) -> httpx.Response:
        async def fetch() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://ui") as client:
                response = await client.get(path)
                await response.aread()
                return response

        return asyncio.run(fetch())


@pytest.fixture
def spa(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Spa:
    static = tmp_path / "static"
    (static / "assets").mkdir(parents=True)
    (static / "index.html").write_text("<!doctype html><title>Lockgate</title>")
    (static / "assets" / "index-abc.js").write_text("console.log(1)")
    monkeypatch.setattr(app_module, "STATIC", static)
    return Spa(app_module.create_app(Settings(home=tmp_path / "home")))


def test_deep_links_get_the_app_and_api_paths_stay_json(spa: Spa) -> None:
    for path in ("/", "/runs/abc", "/pipelines/hello/edit", "/settings/keys"):
        response = spa.get(path)
        assert response.status_code == 200, path
        assert "<title>Lockgate</title>" in response.text
        assert response.headers["cache-control"] == "no-cache"
    asset = spa.get("/assets/index-abc.js")
    assert asset.status_code == 200
    assert "immutable" in asset.headers["cache-control"]
    assert spa.get("/assets/gone.js").status_code == 404
    for path in ("/api/v1/nope", "/api/v2/runs", "/api"):
        missing = spa.get(path)
        assert missing.status_code == 404, path
        assert missing.json()["code"] == "not_found"
