"""A sub-pipeline step on the run page: its panel links to the child run, whose status changes there live.

The child waits for a person (an approval to start), so the test decides when it ends: it approves through the
API while the page is open, and the badge beside the link turns from running to succeeded without a reload.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect
from tests.e2e.browser import sign_in

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    import httpx
    from playwright.sync_api import Page
    from tests.e2e.browser import LiveServer

ASK: dict[str, Any] = {"name": "ask", "nodes": [{"id": "ok", "kind": "noop", "review": {"approve_start": True}}]}
CALLER: dict[str, Any] = {
    "name": "caller",
    "nodes": [{"id": "call", "kind": "subpipeline", "config": {"pipeline": "ask"}}],
}


def _open_task(api: httpx.Client) -> str:
    deadline = time.monotonic() + 30
    while True:
        items = api.get("/api/v1/tasks", params={"status": "open", "assigned": "any"}).json()["items"]
        if items:
            return str(items[0]["id"])
        assert time.monotonic() < deadline, "the child's approval never opened"
        time.sleep(0.1)


@pytest.mark.timeout(120)
def test_the_step_links_to_its_child_run_and_shows_its_status_live(page: Page, live_server: LiveServer) -> None:
    with live_server.client() as api:
        assert api.post("/api/v1/pipelines", json=ASK).status_code == 201
        assert api.post("/api/v1/pipelines", json=CALLER).status_code == 201
        run = api.post("/api/v1/pipelines/caller/runs", json={}).json()
        task = _open_task(api)
        sign_in(page, live_server, Role.OPERATOR, f"/runs/{run['id']}")
        page.locator('[data-step="call"]').click()
        link = page.locator(".step-panel .child-run")
        expect(link.get_by_role("link", name="ask/v1")).to_be_visible()
        expect(link.locator("[data-status]")).to_have_text("running")
        assert api.post(f"/api/v1/tasks/{task}/approve", json={}).status_code == 200
        expect(link.locator("[data-status]")).to_have_text("succeeded", timeout=15_000)
    expect(page.locator("h1 [data-status]")).to_have_text("succeeded", timeout=15_000)
    link.get_by_role("link", name="ask/v1").click()
    expect(page.locator("h1")).to_contain_text("ask v1")
    expect(page.locator(".child-run")).to_contain_text("Started by step call of caller/v1")
