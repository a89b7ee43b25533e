"""People in the loop, in the browser.

The inbox badge counts what waits; a review is sent back with feedback, the revised draft is compared with the
first and approved; the sign-off form is filled in; the run is rolled back to the draft and reviewed again; and an
extended run shows up as v2 in the history.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import FilePayload, expect
from tests.e2e.browser import axe, shot, sign_in

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from tests.e2e.browser import LiveServer

EDITORIAL = Path(__file__).resolve().parents[2] / "examples" / "editorial.yaml"
NOTE = b"Photo credit: Ada, 2026-12-01\n"


def _open_review(page: Page, server: LiveServer) -> None:
    """From the inbox (its badge counts one), open the waiting task."""
    page.goto(f"{server.base_url}/approvals")
    expect(page.get_by_test_id("approvals-count")).to_have_text("1", timeout=30_000)
    page.get_by_role("list", name="Tasks").get_by_role("link").first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Answer")).to_be_visible()


@pytest.mark.timeout(300)
def test_review_revise_approve_sign_off_roll_back_and_extend(page: Page, live_server: LiveServer) -> None:
    with live_server.client() as api:
        body = EDITORIAL.read_text()
        assert api.post("/api/v1/pipelines", content=body, headers={"Content-Type": "application/yaml"}).is_success
        run = api.post("/api/v1/pipelines/editorial/runs", json={}).json()
    sign_in(page, live_server, Role.EDITOR)

    # the draft waits for an editor: the badge counts it, the task shows draft.md
    _open_review(page, live_server)
    expect(page.get_by_role("heading", level=1)).to_contain_text("draft")
    # what is under review is shown without a click
    expect(page.get_by_role("region", name="Preview of draft.md")).to_contain_text("People review what agents")
    assert axe(page) == [], "task page"
    shot(page, "20-review-task")
    page.get_by_label("Feedback for a revision").fill("shorter, please")
    page.get_by_role("button", name="Request revision").click()
    expect(page).to_have_url(re.compile("/approvals$"))

    # the revised draft comes back: what changed since attempt 1 is shown, then it is approved
    _open_review(page, live_server)
    expect(page.get_by_text("This answers the revision request: shorter, please")).to_be_visible()
    changes = page.get_by_role("region", name=re.compile("Changes in draft.md since attempt 1"))
    expect(changes).to_contain_text("Editor's note: shorter, please")
    expect(changes.locator(".del").first).to_be_visible()
    shot(page, "21-review-revised-diff")
    page.get_by_role("button", name="Approve").click()

    # the sign-off form: generated fields, a wrong value refused field by field, then submitted
    _open_review(page, live_server)
    expect(page.get_by_label("headline")).to_have_value(re.compile("Durable pipelines"))
    page.get_by_label("headline").fill("Hi")
    page.get_by_label("Publish on").fill("2026-12-01")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".field-invalid").filter(has_text="at least 5 characters")).to_be_visible()  # on the field
    page.get_by_label("headline").fill("Durable pipelines, reviewed")
    # a file over the field's 1,000,000 bytes is refused on the field, before it is sent; a small one is taken
    attachment = page.get_by_label("attachment")
    attachment.set_input_files(files=FilePayload(name="huge.bin", mimeType="application/octet-stream",
                                                 buffer=b"x" * 1_000_001))  # fmt: skip
    expect(page.locator(".field-invalid").filter(has_text="too large")).to_contain_text("at most 1,000,000 bytes")
    attachment.set_input_files(files=FilePayload(name="note.txt", mimeType="text/plain", buffer=NOTE))
    expect(page.get_by_test_id("picked-file")).to_contain_text("note.txt (30 B)")
    expect(page.locator(".field-invalid").filter(has_text="too large")).to_have_count(0)
    shot(page, "22-sign-off-form")
    page.get_by_role("button", name="Submit").click()
    expect(page).to_have_url(re.compile("/approvals$"))
    expect(page.get_by_test_id("approvals-count")).to_have_count(0)

    page.goto(f"{live_server.base_url}/runs/{run['id']}")
    expect(page.locator("h1 [data-status]")).to_have_text("succeeded", timeout=30_000)
    expect(page.locator('[data-node-id="publish"][data-status="succeeded"]')).to_be_visible()
    # the uploaded file is an artifact of the sign-off step: named in its output, downloaded as sent
    page.locator('[data-step="sign_off"]').click()
    panel = page.locator(".step-panel")
    expect(panel).to_contain_text('"name": "note.txt"')
    panel.get_by_role("tab", name=re.compile("^Artifacts")).click()
    with page.expect_download() as download:
        panel.get_by_role("button", name="Download attachment/note.txt").click()
    assert download.value.suggested_filename == "note.txt"
    assert Path(download.value.path()).read_bytes() == NOTE
    panel.get_by_role("button", name="Close step").click()
    with live_server.client() as api:
        [task] = api.get("/api/v1/tasks", params={"status": "submitted", "step": "sign_off"}).json()["items"]
    page.goto(f"{live_server.base_url}/approvals/{task['id']}")  # the answered task names the file it took
    expect(page.get_by_text("note.txt (30 B)")).to_be_visible()
    with page.expect_download() as again:
        page.get_by_role("button", name="Download attachment/note.txt").first.click()
    assert Path(again.value.path()).read_bytes() == NOTE
    page.goto(f"{live_server.base_url}/runs/{run['id']}")

    # roll back to the draft: it and what follows run again, the review is asked for again
    page.locator('[data-step="draft"]').click()
    page.once("dialog", lambda dialog: dialog.accept("the headline changed"))
    page.get_by_role("button", name="Roll back to here").click()
    expect(page.locator("h1 [data-status]")).not_to_have_text("succeeded", timeout=20_000)
    expect(page.get_by_test_id("approvals-count")).to_have_text("1", timeout=30_000)
    shot(page, "23-rolled-back")
    page.get_by_role("link", name="Review it").click()
    page.get_by_role("button", name="Approve").click()
    _open_review(page, live_server)
    page.get_by_label("Publish on").fill("2026-12-02")
    page.get_by_role("button", name="Submit").click()
    page.goto(f"{live_server.base_url}/runs/{run['id']}")
    expect(page.locator("h1 [data-status]")).to_have_text("succeeded", timeout=30_000)

    # extend into a new run: v2 in the history, building on v1
    page.get_by_role("button", name="Extend into a new run…").click()
    page.get_by_label("Start at").select_option("draft")
    page.get_by_role("button", name="Start the new run").click()
    expect(page.get_by_role("heading", name=re.compile("editorial v2"))).to_be_visible()
    expect(page.get_by_text("extends editorial/v1 from draft")).to_be_visible()
    page.goto(f"{live_server.base_url}/runs")
    expect(page.get_by_role("link", name="editorial v2")).to_be_visible()
    expect(page.get_by_role("link", name="editorial v1")).to_be_visible()
    shot(page, "24-history-v2")
