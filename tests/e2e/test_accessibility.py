"""Accessibility and roles, page by page.

axe-core finds no serious or critical violation; forms are labelled and work from the keyboard; a viewer sees no
edit buttons (the server enforces it too).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect
from tests.e2e.browser import axe, shot, sign_in

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from tests.e2e.browser import LiveServer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _seed(server: LiveServer) -> dict[str, str]:
    with server.client() as api:
        for name in ("linear", "branching"):
            text = (EXAMPLES / f"{name}.yaml").read_text()
            response = api.post("/api/v1/pipelines", content=text, headers={"Content-Type": "application/yaml"})
            assert response.status_code == 201, response.text
        api.post(
            "/api/v1/pipelines/linear/schedules", json={"cron": "0 9 * * 1-5", "timezone": "UTC"}
        ).raise_for_status()
        api.post("/api/v1/credentials", json={"name": "github-token", "value": "s3cret-value", "description": "CI"})
        api.post("/api/v1/agent-profiles", json={"name": "critic", "instructions": "Be blunt.", "tools": ["http_get"]})
        run = api.post("/api/v1/pipelines/linear/runs", json={}).json()
        other = api.post("/api/v1/pipelines/branching/runs", json={"input": {"score": 80}}).json()
        again = api.post("/api/v1/pipelines/linear/runs", json={}).json()  # Compare takes runs of one pipeline
    return {"run": run["id"], "other": other["id"], "again": again["id"]}


PAGES = [
    ("pipelines", "/pipelines", "Pipelines"),
    ("pipeline", "/pipelines/linear", "linear"),
    ("pipeline-versions", "/pipelines/linear?tab=versions", "linear"),
    ("pipeline-triggers", "/pipelines/linear?tab=triggers", "linear"),
    ("pipeline-latest", "/pipelines/linear?tab=latest", "linear"),
    ("editor", "/pipelines/branching/edit", "branching"),
    ("runs", "/runs", "Runs"),
    ("run", "/runs/{run}", "linear v1"),
    ("settings-credentials", "/settings/credentials", "Settings"),
    ("settings-keys", "/settings/keys", "Settings"),
    ("settings-users", "/settings/users", "Settings"),
    ("settings-triggers", "/settings/triggers", "Settings"),
    ("settings-models", "/settings/models", "Settings"),
    ("settings-agents", "/settings/agents", "Settings"),
    ("compare", "/runs/compare?a={run}&b={again}", "vs"),
    ("approvals", "/approvals", "Approvals"),
    ("not-found", "/nowhere/at/all", "Nothing here"),
]


@pytest.mark.timeout(240)
def test_every_page_has_no_serious_accessibility_violation(page: Page, live_server: LiveServer) -> None:
    ids = _seed(live_server)
    page.goto(live_server.base_url + "/")
    expect(page.get_by_label("API key")).to_be_visible()
    assert axe(page) == [], "sign-in page"
    shot(page, "00-sign-in")
    sign_in(page, live_server, Role.ADMIN)
    found: dict[str, list[dict[str, Any]]] = {}
    for name, path, heading in PAGES:
        page.goto(live_server.base_url + path.format(**ids))
        expect(page.get_by_role("heading", level=1).first).to_contain_text(heading)
        page.wait_for_load_state("networkidle")
        violations = axe(page)
        if violations:
            found[name] = violations
        shot(page, f"a11y-{name}")
    assert found == {}, json.dumps(found, indent=1)


@pytest.mark.timeout(120)
def test_keyboard_only_sign_in_navigation_and_run_form(page: Page, live_server: LiveServer) -> None:
    _seed(live_server)
    page.goto(live_server.base_url + "/pipelines/linear")
    expect(page.get_by_label("API key")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_label("API key")).to_be_focused()
    page.keyboard.type(live_server.keys[Role.OPERATOR])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="linear")).to_be_visible()  # the deep link survived sign-in

    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.keyboard.press("g")
    page.keyboard.press("r")
    expect(page).to_have_url(re.compile("/runs$"))
    page.keyboard.press("g")
    page.keyboard.press("p")
    expect(page).to_have_url(re.compile("/pipelines$"))
    expect(page.get_by_label("Search pipelines")).to_be_visible()
    page.keyboard.press("/")
    expect(page.get_by_label("Search pipelines")).to_be_focused()
    page.keyboard.type("lin")
    expect(page.get_by_role("link", name="branching")).to_have_count(0)

    # tabs move with the arrow keys; the run form is reachable and labelled
    page.get_by_role("link", name="linear", exact=True).focus()
    page.keyboard.press("Enter")
    page.get_by_role("tab", name="Graph").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Runs")).to_be_focused()
    expect(page.get_by_role("tab", name="Runs")).to_have_attribute("aria-selected", "true")
    page.get_by_role("button", name="Run…").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=re.compile("Run linear"))
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("title")).to_be_visible()
    expect(dialog.get_by_label("top")).to_have_value("3")
    shot(page, "keyboard-run-form")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


@pytest.mark.timeout(120)
def test_a_viewer_sees_no_edit_or_run_buttons(page: Page, live_server: LiveServer) -> None:
    ids = _seed(live_server)
    sign_in(page, live_server, Role.VIEWER)
    expect(page.get_by_role("link", name="linear")).to_be_visible()
    expect(page.get_by_role("button", name="New pipeline")).to_have_count(0)
    expect(page.get_by_role("button", name="Import…")).to_have_count(0)
    page.goto(f"{live_server.base_url}/pipelines/linear")
    expect(page.get_by_role("button", name="Open in editor")).to_be_visible()
    expect(page.get_by_role("button", name="Run…")).to_have_count(0)
    page.get_by_role("button", name="Open in editor").click()
    expect(page.get_by_role("navigation", name="Node kinds")).to_have_count(0)  # no palette
    expect(page.get_by_role("button", name="Save version")).to_have_count(0)
    page.goto(f"{live_server.base_url}/runs/{ids['run']}")
    expect(page.get_by_role("heading", name=re.compile("linear v1"))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Pause|Cancel|Run again"))).to_have_count(0)
    shot(page, "viewer-run")
    page.goto(f"{live_server.base_url}/settings/agents")
    expect(page.get_by_role("row", name=re.compile("critic"))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Edit|Delete|Add agent profile"))).to_have_count(0)
    page.goto(f"{live_server.base_url}/pipelines/linear?tab=latest")
    expect(page.get_by_test_id("latest-run")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Point latest"))).to_have_count(0)
