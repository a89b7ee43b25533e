"""The run page says what happened in words a person reads.

Failed steps under ``on_error: continue`` are counted beside "succeeded"; a step's error reads as its kind,
message and stderr (preformatted, not escaped JSON); the event log's At has the date; Cancel asks first and a
cancelled run reads "cancelled"; a comparison reads older → newer whatever order the runs were picked in.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect
from tests.e2e.browser import axe, shots, sign_in

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    import httpx
    from playwright.sync_api import Dialog, Page
    from tests.e2e.browser import LiveServer

FAIL = 'import sys\nprint("reading the input", file=sys.stderr)\nraise ValueError("the input has no \\"title\\"")\n'


def _ended(api: httpx.Client, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        run: dict[str, Any] = api.get(f"/api/v1/runs/{run_id}").json()
        if run["status"] in {"succeeded", "failed", "cancelled"}:
            return run
        assert time.monotonic() < deadline, run
        time.sleep(0.1)


@pytest.mark.timeout(180)
def test_failures_let_through_errors_readable_and_the_log_dated(page: Page, live_server: LiveServer) -> None:
    tolerant = {
        "name": "tolerant",
        "nodes": [
            {"id": "parse", "kind": "script", "on_error": "continue", "config": {"code": FAIL}},
            {"id": "enrich", "kind": "script", "on_error": "continue", "config": {"code": FAIL}},
            {"id": "done", "kind": "noop"},
        ],
        "edges": [{"source": "parse", "target": "done"}, {"source": "enrich", "target": "done"}],
    }
    with live_server.client() as api:
        assert api.post("/api/v1/pipelines", json=tolerant).status_code == 201
        run = api.post("/api/v1/pipelines/tolerant/runs", json={}).json()
        assert _ended(api, run["id"])["status"] == "succeeded"
    sign_in(page, live_server, Role.OPERATOR, f"/runs/{run['id']}")
    expect(page.locator("h1 [data-status]")).to_have_text("succeeded")
    expect(page.get_by_test_id("failed-steps")).to_have_text("2 steps failed")
    expect(page.get_by_test_id("run-ending")).to_contain_text("The run succeeded, 2 steps failed")

    page.get_by_test_id("run-ending").get_by_role("button", name="parse").click()  # the failed steps are named
    panel = page.locator(".step-panel")
    error = panel.get_by_test_id("error-details")
    expect(error.get_by_test_id("error-kind")).to_have_text("script exit")
    expect(error).to_contain_text("the script exited with code 1")
    stderr = error.get_by_role("region", name="stderr of the step's error")
    expect(stderr.locator("pre")).to_contain_text('ValueError: the input has no "title"')
    expect(stderr.locator("pre")).to_contain_text("reading the input\n")  # lines, not an escaped string
    expect(panel).not_to_contain_text("\\n")
    expect(panel).not_to_contain_text('"kind"')
    assert axe(page) == [], "run page with a failed step"
    shots(page, "30-run-failed-steps-let-through")
    panel.get_by_role("button", name="Close step").click()

    page.get_by_role("tab", name="Event log").click()
    first = page.get_by_role("region", name="Event log").locator("tbody tr").first
    expect(first.locator("td").nth(1)).to_contain_text(str(datetime.now(UTC).year))
    expect(first.locator("td").nth(1)).to_have_text(re.compile(r"\d\d:\d\d:\d\d[.,]\d{3}"))


@pytest.mark.timeout(180)
def test_cancel_asks_first_and_the_run_reads_cancelled(page: Page, live_server: LiveServer) -> None:
    waits = {
        "name": "waits",
        "nodes": [{"id": "ask", "kind": "human", "config": {"fields": [{"name": "ok", "type": "boolean"}]}}],
    }
    with live_server.client() as api:
        assert api.post("/api/v1/pipelines", json=waits).status_code == 201
        run = api.post("/api/v1/pipelines/waits/runs", json={}).json()
    sign_in(page, live_server, Role.OPERATOR, f"/runs/{run['id']}")
    expect(page.locator("h1 [data-status]")).to_have_text(re.compile("running|pending"))
    asked: list[str] = []

    def answer(dialog: Dialog, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, accept=False))
    page.get_by_role("button", name="Cancel").click()
    assert asked == [f"Cancel {run['ref']}? Its running steps are stopped; the run cannot go on."]
    with live_server.client() as api:
        assert api.get(f"/api/v1/runs/{run['id']}").json()["status"] != "cancelled"  # dismissed: nothing sent

    page.once("dialog", lambda d: answer(d, accept=True))
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("h1 [data-status]")).to_have_text("cancelled")
    expect(page.get_by_test_id("run-ending")).to_have_text("The run was cancelled: cancelled in the UI")
    expect(page.get_by_text("The run failed")).to_have_count(0)
    shots(page, "31-run-cancelled")


@pytest.mark.timeout(180)
def test_comparison_reads_older_to_newer_in_either_order(page: Page, live_server: LiveServer) -> None:
    one = {"name": "grows", "nodes": [{"id": "start", "kind": "noop"}]}
    two = {**one, "nodes": [{"id": "start", "kind": "noop"}, {"id": "added", "kind": "noop"}]}
    with live_server.client() as api:
        assert api.post("/api/v1/pipelines", json=one).status_code == 201
        older = api.post("/api/v1/pipelines/grows/runs", json={}).json()
        assert api.post("/api/v1/pipelines", json=two).status_code in {200, 201}
        newer = api.post("/api/v1/pipelines/grows/runs", json={}).json()
        _ended(api, older["id"])
        _ended(api, newer["id"])
    sign_in(page, live_server, Role.VIEWER, f"/runs/compare?a={newer['id']}&b={older['id']}")
    expect(page.get_by_role("heading", name="grows/v1 vs grows/v2")).to_be_visible()
    expect(page.get_by_role("heading", name="Definition: v1 → v2")).to_be_visible()
    expect(page.get_by_text("1 node added")).to_be_visible()
    expect(page.get_by_text("removed")).to_have_count(0)
