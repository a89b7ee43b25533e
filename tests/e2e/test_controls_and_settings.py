"""Run controls (retry a failed step, pause, resume, cancel), import and export, and the settings pages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect
from tests.e2e.browser import shot, sign_in

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from tests.e2e.browser import LiveServer

FLAKY = """name: flaky
nodes:
  - id: first
    kind: script
    config:
      code: |
        import os
        attempt = int(os.environ["LOCKGATE_ATTEMPT"])
        assert attempt > 1, f"attempt {attempt} fails on purpose"
        output = attempt
  - id: after
    kind: noop
edges:
  - {source: first, target: after}
"""

SLOW = {
    "name": "slow",
    "nodes": [{"id": "pause-here", "kind": "wait", "config": {"duration": "60s"}}, {"id": "then", "kind": "noop"}],
    "edges": [{"source": "pause-here", "target": "then"}],
}


@pytest.mark.timeout(180)
def test_import_retry_a_failed_step_and_export(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server, Role.EDITOR)
    page.get_by_role("button", name="Import…").click()
    page.get_by_label("…or paste it here").fill(FLAKY)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="flaky")).to_be_visible()
    page.get_by_role("button", name="Run…").click()
    page.get_by_role("button", name="Start run").click()

    expect(page.locator("h1 [data-status]")).to_have_text("failed", timeout=30_000)
    expect(page.locator('[data-node-id="first"][data-status="failed"]')).to_be_visible()
    expect(page.get_by_text("attempt 1 fails on purpose").first).to_be_visible()
    page.locator('[data-step="first"]').click()
    page.get_by_role("tab", name="Logs").click()
    expect(page.get_by_role("region", name="log of attempt 1")).to_contain_text("AssertionError")
    shot(page, "12-run-failed-logs")
    page.get_by_role("button", name="Retry step").click()
    expect(page.locator("h1 [data-status]")).to_have_text("succeeded", timeout=30_000)
    expect(page.locator('[data-node-id="after"][data-status="succeeded"]')).to_be_visible()
    page.get_by_role("tab", name=re.compile("Attempts")).click()
    expect(page.get_by_role("tab", name="Attempts (2)")).to_be_visible()
    shot(page, "13-run-retried")
    page.get_by_role("tab", name="Event log").click()
    retried = page.get_by_role("row", name=re.compile("step_retry_requested"))
    expect(retried).to_contain_text("step first · by editor")  # the audit trail names who asked

    page.goto(f"{live_server.base_url}/pipelines/flaky")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export YAML").click()
    assert download.value.suggested_filename == "flaky.yaml"
    assert "LOCKGATE_ATTEMPT" in Path(download.value.path()).read_text()


@pytest.mark.timeout(180)
def test_pause_resume_and_cancel_a_run(page: Page, live_server: LiveServer) -> None:
    with live_server.client() as api:
        assert api.post("/api/v1/pipelines", json=SLOW).status_code == 201
        run = api.post("/api/v1/pipelines/slow/runs", json={}).json()
    sign_in(page, live_server, Role.OPERATOR, f"/runs/{run['id']}")
    expect(page.locator('[data-node-id="pause-here"][data-status="waiting"]')).to_be_visible(timeout=20_000)
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.locator("h1 [data-status]")).to_have_text("paused")
    page.get_by_role("button", name="Resume").click()
    expect(page.locator("h1 [data-status]")).to_have_text("running")
    page.once("dialog", lambda dialog: dialog.accept())  # Cancel asks first
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("h1 [data-status]")).to_have_text("cancelled")
    expect(page.get_by_role("button", name="Run again")).to_be_visible()
    shot(page, "14-run-cancelled")


@pytest.mark.timeout(180)
def test_settings_credentials_keys_users_schedules_and_webhooks(page: Page, live_server: LiveServer) -> None:
    with live_server.client() as api:
        assert api.post("/api/v1/pipelines", json=SLOW).status_code == 201
    sign_in(page, live_server, Role.ADMIN, "/settings/credentials")

    page.get_by_label("Name", exact=True).fill("github-token")
    page.get_by_label("Value", exact=True).fill("ghp_very_secret_value")
    page.get_by_role("button", name="Store credential").click()
    expect(page.get_by_role("cell", name="github-token")).to_be_visible()
    assert "ghp_very_secret_value" not in page.content()
    page.get_by_role("button", name="Rotate value…").click()
    page.get_by_role("textbox", name="New value").fill("ghp_rotated")
    page.get_by_role("button", name="Store new value").click()
    expect(page.get_by_text("New value stored for github-token")).to_be_visible()
    assert "ghp_rotated" not in page.content()
    page.get_by_role("button", name="Access…").click()
    page.get_by_label("Pipelines granted").fill("slow")
    page.get_by_label("Allowed hosts").fill("API.example.com *.example.org")
    page.get_by_role("button", name="Save access").click()
    expect(page.get_by_text("Access of github-token saved")).to_be_visible()
    expect(page.get_by_role("cell", name="*.example.org api.example.com")).to_be_visible()  # normalised, sorted
    with live_server.client() as api:
        assert api.get("/api/v1/credentials/github-token").json()["pipelines"] == ["slow"]
    shot(page, "15-settings-credentials")

    page.get_by_role("tab", name="Users & roles").click()
    page.get_by_label("Name", exact=True).fill("grace")
    page.get_by_label("Role", exact=True).select_option("operator")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_label("Role of grace")).to_have_value("operator")
    page.get_by_label("Role of grace").select_option("editor")
    expect(page.get_by_label("Role of grace")).to_have_value("editor")

    page.get_by_role("tab", name="API keys").click()
    expect(page.get_by_role("heading", name="API keys")).to_be_visible()
    page.get_by_label("User", exact=True).select_option("grace")
    page.get_by_label("What it is for").fill("laptop")
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_test_id("new-key").inner_text()
    assert key.startswith("lg_")
    with live_server.client() as api:
        me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).json()
    assert me["user"] == "grace"
    assert me["role"] == "editor"
    shot(page, "16-settings-keys")

    # agent profiles: add one, change it, delete it
    page.get_by_role("tab", name="Agent profiles").click()
    expect(page.get_by_text("No agent profiles yet.")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("critic")
    page.get_by_label("Description").fill("finds the weak spots")
    page.get_by_label("Temperature").fill("0.2")
    page.get_by_label("Instructions").fill("Be blunt.")
    page.get_by_label("the node's tools").uncheck()
    page.get_by_label("http_get").check()
    page.get_by_role("button", name="Add agent profile").click()
    critic = page.get_by_role("row", name=re.compile("critic"))
    expect(critic).to_contain_text("temperature 0.2 · http_get")
    page.get_by_role("button", name="Edit critic").click()
    expect(page.get_by_label("Instructions")).to_have_value("Be blunt.")
    page.get_by_label("Temperature").fill("")  # cleared: the model's default again
    page.get_by_label("write_artifact").check()
    page.get_by_role("button", name="Save changes").click()
    expect(critic).to_contain_text("http_get, write_artifact")
    expect(critic).not_to_contain_text("temperature")
    with live_server.client() as api:
        stored = api.get("/api/v1/agent-profiles/critic").json()
    assert (stored["temperature"], stored["tools"], stored["instructions"]) == (None, ["http_get", "write_artifact"],
                                                                                "Be blunt.")  # fmt: skip
    shot(page, "16b-settings-agent-profiles")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete critic").click()
    expect(page.get_by_text("No agent profiles yet.")).to_be_visible()

    page.get_by_role("tab", name="Schedules & webhooks").click()
    page.get_by_label("Cron").fill("30 8 * * *")
    page.get_by_label("Time zone").fill("Europe/Paris")
    page.get_by_role("button", name="Add schedule").click()
    expect(page.get_by_text(re.compile(r"next run (in|.*20)"))).to_be_visible()
    page.get_by_role("button", name="Create webhook").click()
    url = page.get_by_test_id("webhook-url").inner_text()
    assert re.match(r"^http://127\.0\.0\.1:\d+/api/v1/hooks/\S+$", url)
    shot(page, "17-settings-triggers")
    page.goto(f"{live_server.base_url}/pipelines")
    expect(page.get_by_role("row", name=re.compile("slow")).get_by_text("not scheduled")).to_have_count(0)
