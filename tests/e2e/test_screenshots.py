"""Every page at 1440x900 and 1024x768, light and dark, saved to test-output/screenshots for people to look at.

Dark mode comes from the system setting here (chromium's emulated prefers-color-scheme); axe-core checks each
page in the dark too, so a colour that reads badly on the dark background fails the test, not only the eye.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect
from tests.e2e.browser import axe, shot, sign_in
from tests.e2e.test_accessibility import PAGES, _seed

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from tests.e2e.browser import LiveServer

API = "/api/v1"
SIZES = [(1440, 900), (1024, 768)]
MORE_PAGES = [
    ("run-by-reference", "/runs/linear/v1", "linear v1"),
    ("approval", "/approvals/{task}", "Review"),
    ("settings-unknown", "/settings/nowhere", "No such settings page"),
]


def _seed_all(server: LiveServer) -> dict[str, str]:
    ids = _seed(server)
    with server.client() as api:
        node = {
            "id": "draft",
            "kind": "transform",
            "config": {"value": "a draft"},
            "review": {"approve_complete": True},
        }
        saved = api.post(f"{API}/pipelines", json={"name": "reviewed", "nodes": [node], "edges": []})
        assert saved.status_code == 201, saved.text
        run = api.post(f"{API}/pipelines/reviewed/runs", json={}).json()
        deadline = time.monotonic() + 60
        while not (tasks := api.get(f"{API}/tasks", params={"run": run["id"]}).json()["items"]):
            assert time.monotonic() < deadline, "no review task opened"
            time.sleep(0.1)
        for run_id in (ids["run"], ids["other"], ids["again"]):  # finished runs: the screenshots show a whole run
            while api.get(f"{API}/runs/{run_id}").json()["status"] not in {"succeeded", "failed", "cancelled"}:
                assert time.monotonic() < deadline, f"run {run_id} did not finish"
                time.sleep(0.1)
    return {**ids, "task": tasks[0]["id"]}


@pytest.mark.timeout(600)
def test_every_page_in_both_sizes_and_both_themes(browser: Browser, live_server: LiveServer) -> None:
    ids = _seed_all(live_server)
    dark_problems: dict[str, list[dict[str, Any]]] = {}
    for theme in ("light", "dark"):
        for width, height in SIZES:
            context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=theme)
            try:
                page = context.new_page()
                prefix = f"{theme}-{width}x{height}"
                page.goto(live_server.base_url + "/")
                expect(page.get_by_label("API key")).to_be_visible()
                expect(page.locator("html")).to_have_attribute("data-theme", theme)
                shot(page, f"{prefix}-00-sign-in")
                sign_in(page, live_server, Role.ADMIN)
                for name, path, heading in [*PAGES, *MORE_PAGES]:
                    page.goto(live_server.base_url + path.format(**ids))
                    expect(page.get_by_role("heading", level=1).first).to_contain_text(heading)
                    page.wait_for_load_state("networkidle")
                    shot(page, f"{prefix}-{name}")
                    if theme == "dark" and width == SIZES[0][0] and (found := axe(page)):
                        dark_problems[name] = found
            finally:
                context.close()
    assert dark_problems == {}, json.dumps(dark_problems, indent=1)
