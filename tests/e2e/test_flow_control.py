"""The run view says why a queued run waits (its pipeline's concurrency), and the run starts when a slot frees."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect
from tests.e2e.browser import shot, sign_in

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from tests.e2e.browser import LiveServer

ONE_AT_A_TIME = {
    "name": "one-at-a-time",
    "concurrency": {"max_runs": 1},
    "nodes": [{"id": "hold", "kind": "wait", "config": {"duration": "60s"}}],
}


@pytest.mark.timeout(180)
def test_a_queued_run_says_why_it_waits_and_starts_when_a_slot_frees(page: Page, live_server: LiveServer) -> None:
    with live_server.client() as api:
        assert api.post("/api/v1/pipelines", json=ONE_AT_A_TIME).status_code == 201
        first = api.post("/api/v1/pipelines/one-at-a-time/runs", json={}).json()
        second = api.post("/api/v1/pipelines/one-at-a-time/runs", json={}).json()
    assert second["status"] == "queued"
    sign_in(page, live_server, Role.OPERATOR, f"/runs/{second['id']}")
    expect(page.locator("h1 [data-status]")).to_have_text("queued")
    reason = page.get_by_test_id("wait-reason")
    expect(reason).to_have_text("waiting: 1 run of pipeline one-at-a-time is running (max_runs 1)")
    shot(page, "30-run-queued")
    with live_server.client(Role.OPERATOR) as api:
        assert api.post(f"/api/v1/runs/{first['id']}/cancel", json={}).status_code == 200
    expect(page.locator("h1 [data-status]")).to_have_text("running", timeout=20_000)
    expect(reason).to_have_count(0)
