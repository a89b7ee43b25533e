"""The reviewer's page, in the browser: what is reviewed is shown as people read it, and answers say what follows.

Instructions and a Markdown draft are rendered (their raw HTML and script links dropped); JSON folds as a tree,
CSV is a table, text is numbered, an SVG is an image inline whose script never runs. A revision request sends
the reviewer to the inbox, which says what happens next and links the new task when it arrives; its changes
read unified or side by side. The form after it is titled for people, names what was approved upstream, checks
the date in the browser and says each problem once.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect
from tests.e2e.browser import axe, shot, shots, sign_in

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    from playwright.sync_api import Dialog, Page
    from tests.e2e.browser import LiveServer

INSTRUCTIONS = """Read **draft.md** and check the figures.

<script>document.title = "scripted"</script>
- [the style guide](javascript:alert(1))
- keep it short
"""
DRAFT = r"""
import os
from pathlib import Path
shorter = bool(feedback)
points = ["- First point", "- Second point"] + ([] if shorter else ["- Third point"])
Path("draft.md").write_text("# The title\n\n" + "\n".join(points) + '\n\n<img src="x" onerror="alert(1)">\n')
Path("data.json").write_text('{"totals": {"count": 3, "ok": true}, "items": [1, 2]}')
Path("table.csv").write_text('name,score\n"Ada, L.",9\nAlan,8\n')
Path("notes.txt").write_text("line one\nline two\nline three\n")
Path("chart.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
                             '<script>alert("svg")</script><rect width="40" height="20" fill="teal"/></svg>')
output = {"points": len(points), "attempt": int(os.environ["LOCKGATE_ATTEMPT"])}
"""


PIPELINE = {
    "name": "reviewed",
    "nodes": [
        {
            "id": "draft",
            "kind": "script",
            "review": {"approve_complete": True, "max_revisions": 2, "instructions": INSTRUCTIONS},
            "config": {"code": DRAFT},
        },
        {
            "id": "sign_off",
            "kind": "human",
            "config": {
                "title": "Sign off",
                "fields": [
                    {"name": "publish_on", "type": "date", "required": True, "min": "2026-01-01"},
                    {"name": "summary", "type": "text", "label": "One-line summary", "min": 5},
                ],
            },
        },
    ],
    "edges": [{"source": "draft", "target": "sign_off"}],
}


@pytest.mark.timeout(300)
def test_review_page_renders_answers_and_follows(page: Page, live_server: LiveServer) -> None:
    dialogs: list[str] = []

    def seen(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", seen)
    with live_server.client() as api:
        assert api.post("/api/v1/pipelines", json=PIPELINE).status_code == 201
        run = api.post("/api/v1/pipelines/reviewed/runs", json={}).json()
    sign_in(page, live_server, Role.EDITOR, "/approvals")
    page.get_by_role("list", name="Tasks").get_by_role("link").first.click(timeout=30_000)

    # the instructions as Markdown: bold rendered, the script and the javascript: link gone
    instructions = page.get_by_role("region", name="Instructions")
    expect(instructions.locator("strong")).to_have_text("draft.md")
    expect(instructions.locator("li")).to_have_count(2)
    expect(instructions.locator("script")).to_have_count(0)
    expect(instructions.get_by_role("link", name="the style guide")).not_to_have_attribute(
        "href", re.compile("javascript")
    )
    # every artifact shown as it reads, without a click
    draft = page.get_by_role("region", name="Preview of draft.md")
    expect(draft.get_by_role("heading", name="The title")).to_be_visible()
    expect(draft.locator("li")).to_have_count(3)
    expect(draft.locator("img")).to_have_count(0)  # the raw <img onerror> is dropped, not run
    data = page.get_by_role("region", name="Preview of data.json")
    expect(data.locator("summary").first).to_contain_text("2 keys")
    expect(data).to_contain_text('"count": 3')
    table = page.get_by_role("region", name="Preview of table.csv")
    expect(table.get_by_role("columnheader", name="score")).to_be_visible()
    expect(table.get_by_role("cell", name="Ada, L.")).to_be_visible()  # a quoted comma stays in its cell
    notes = page.get_by_role("region", name="Preview of notes.txt")
    expect(notes.locator("[data-line='3']")).to_be_visible()
    expect(notes.locator(".line-text").nth(2)).to_have_text("line three")
    chart = page.get_by_role("img", name="chart.svg")
    expect(chart).to_be_visible()
    page.wait_for_function("() => document.querySelector('img[alt=\"chart.svg\"]').naturalWidth > 0")
    assert page.title() != "scripted"
    expect(page.get_by_text("attempt 0")).to_have_count(0)
    assert axe(page) == [], "review page"
    shots(page, "40-review-page")

    # a revision: the inbox says what happens next, follows the step, and links the new task
    page.get_by_label("Feedback for a revision").fill("shorter, please")
    page.get_by_role("button", name="Request revision").click()
    expect(page).to_have_url(re.compile("/approvals$"))
    following = page.get_by_test_id("next-step")
    expect(following).to_contain_text("draft is running again with your feedback; a new task will arrive")
    shot(page, "41-inbox-what-happens-next")
    following.get_by_role("link", name=re.compile("The new task has arrived")).click(timeout=30_000)

    # what changed since attempt 1: unified, then side by side
    changes = page.get_by_role("region", name=re.compile("Changes in draft.md since attempt 1"))
    expect(changes.locator(".unified-diff .del")).to_have_text("-- Third point\n")
    changes.get_by_text("Side by side").click()
    split = changes.get_by_role("table", name=re.compile("side by side"))
    expect(split.locator("td.del")).to_have_text("- Third point")
    expect(split.get_by_role("columnheader", name="draft.md · attempt 2")).to_be_visible()
    assert axe(page) == [], "review page with a side-by-side diff"
    shots(page, "42-review-diff-side-by-side")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_test_id("next-step")).to_contain_text("draft is approved")

    # the form: titled fields, what was approved upstream (linked), the date checked before sending
    page.get_by_role("link", name="Next in this run: Sign off").click(timeout=30_000)
    upstream = page.get_by_role("region", name="Approved upstream")
    expect(upstream.get_by_role("link")).to_have_count(1)
    expect(upstream).to_contain_text("approved by editor")
    expect(page.get_by_text("attempt 0")).to_have_count(0)
    page.get_by_label("Publish on").fill("2025-06-30")
    page.get_by_label("One-line summary").fill("Hi")
    page.get_by_role("button", name="Submit").click()
    date_field = page.locator(".field-invalid").filter(has=page.get_by_label("Publish on"))
    on_or_after = re.compile(r"^must be on or after \D*\d.*2026$")  # the browser's locale, not the ISO 2026-01-01
    expect(date_field.locator(".field-error")).to_have_text(on_or_after)
    banner = page.get_by_test_id("answer-problems")
    expect(banner).to_have_text("2 fields need a change: Publish on, One-line summary.")
    expect(page.get_by_text("values.")).to_have_count(0)
    expect(page.get_by_text(on_or_after)).to_have_count(1)  # said once, under its field
    shots(page, "43-form-problems")
    with live_server.client() as api:  # nothing was sent: the task is still open
        assert api.get("/api/v1/tasks", params={"run": run["id"], "step": "sign_off"}).json()["items"]
    page.get_by_label("Publish on").fill("2026-12-08")
    page.get_by_label("One-line summary").fill("Two points, reviewed")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_test_id("next-step")).to_contain_text("Your answer is sign_off's output")
    expect(page.get_by_test_id("next-step").get_by_text("succeeded")).to_be_visible(timeout=30_000)
    assert dialogs == [], "a script in an artifact or the instructions ran"
