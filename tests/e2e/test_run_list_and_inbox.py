"""Small things of the run list and the inbox.

The run list says "succeeded, 2 steps failed" for a run whose failures were let through (on_error: continue),
and an inverted date range in the dates the pickers show; the inbox's "Which tasks" select is as wide as its text.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect
from tests.e2e.browser import axe, shots, sign_in

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    import httpx
    from playwright.sync_api import Page
    from tests.e2e.browser import LiveServer

FAIL = "raise ValueError('no title')\n"
TOLERANT = {
    "name": "tolerant",
    "nodes": [
        {"id": "parse", "kind": "script", "on_error": "continue", "config": {"code": FAIL}},
        {"id": "enrich", "kind": "script", "on_error": "continue", "config": {"code": FAIL}},
        {"id": "done", "kind": "noop"},
    ],
    "edges": [{"source": "parse", "target": "done"}, {"source": "enrich", "target": "done"}],
}


def _ended(api: httpx.Client, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        run: dict[str, Any] = api.get(f"/api/v1/runs/{run_id}").json()
        if run["status"] in {"succeeded", "failed", "cancelled"}:
            return run
        assert time.monotonic() < deadline, run
        time.sleep(0.1)


@pytest.mark.timeout(180)
def test_the_run_list_counts_failed_steps_and_says_a_bad_range_in_local_dates(
    page: Page, live_server: LiveServer
) -> None:
    with live_server.client() as api:
        assert api.post("/api/v1/pipelines", json=TOLERANT).status_code == 201
        assert api.post("/api/v1/pipelines", json={"name": "clean", "nodes": [{"id": "a", "kind": "noop"}]}).is_success
        tolerant = api.post("/api/v1/pipelines/tolerant/runs", json={}).json()
        clean = api.post("/api/v1/pipelines/clean/runs", json={}).json()
        assert _ended(api, tolerant["id"])["status"] == _ended(api, clean["id"])["status"] == "succeeded"
    sign_in(page, live_server, Role.VIEWER, "/runs")
    rows = page.get_by_role("region", name="Run history").locator("tbody tr")
    tolerant_row = rows.filter(has_text="tolerant v1")
    expect(tolerant_row.locator("[data-status]")).to_have_text("succeeded")
    expect(tolerant_row.get_by_test_id("failed-steps")).to_have_text("2 steps failed")
    expect(rows.filter(has_text="clean v1").get_by_test_id("failed-steps")).to_have_count(0)
    assert axe(page) == [], "run list with failed steps"
    shots(page, "31-run-list-failed-steps")

    page.goto(f"{live_server.base_url}/runs?from=2026-12-07&to=2026-12-01")
    said = page.get_by_test_id("date-range-problem")
    expect(said).to_be_visible()
    shown = "{year: 'numeric', month: 'short', day: 'numeric'}"
    local = f"([y, m, d]) => new Date(y, m, d).toLocaleDateString(undefined, {shown})"
    expected = page.evaluate(local, [2026, 11, 1])
    assert expected in said.inner_text(), said.inner_text()  # the picker's terms, not 2026-12-01T00:00:00Z
    expect(said).not_to_contain_text("T00:00")
    expect(page.get_by_role("alert").filter(has_text="until")).to_have_count(0)  # the API's words are not shown
    shots(page, "32-run-list-inverted-dates")


def test_the_inbox_filter_is_as_wide_as_its_choices(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server, Role.OPERATOR, "/approvals")
    select = page.get_by_label("Which tasks")
    expect(select).to_be_visible()
    box, head = select.bounding_box(), page.locator(".page-head").first.bounding_box()
    assert box is not None and head is not None
    assert box["width"] < 320 < head["width"], (box, head)  # beside the title, not a line of its own
    assert abs(box["y"] - head["y"]) < 24, (box, head)
    shots(page, "33-inbox-which-tasks")
