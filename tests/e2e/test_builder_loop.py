"""The builder's loop, as a person uses it.

Build on the canvas, run the draft, watch it on the same canvas, read a node's output in place, pin sample data,
run one node alone with it, publish with a message; start a new pipeline from a template.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect
from tests.e2e.browser import shot, sign_in
from tests.e2e.canvas import connect, drop_kind, node

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from tests.e2e.browser import LiveServer


@pytest.mark.timeout(240)
def test_build_run_the_draft_pin_run_one_node_and_publish(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server, Role.EDITOR)
    page.get_by_role("button", name="New pipeline").click()
    page.get_by_label("Name", exact=True).fill("loop")
    page.get_by_label("New input field name").fill("topic")
    page.get_by_role("button", name="Add field").click()

    drop_kind(page, "transform", 120, 220)
    drop_kind(page, "transform", 460, 220)
    expect(page.locator(".react-flow__node")).to_have_count(2)
    first, second = (n.get_attribute("data-id") for n in page.locator(".react-flow__node").all())
    assert first and second
    connect(page, first, second)
    node(page, first).click()
    page.get_by_label("Id", exact=True).fill("fetch")
    page.get_by_label("Id", exact=True).press("Enter")
    page.get_by_role("combobox", name="Value").fill("{{ input.topic }}")
    node(page, second).click()
    page.get_by_label("Id", exact=True).fill("shout")
    page.get_by_label("Id", exact=True).press("Enter")
    page.get_by_role("combobox", name="Value").fill("{{ nodes.fetch.output | upper }}!")
    expect(page.get_by_role("status").filter(has_text="Valid")).to_be_visible()

    # run the draft: the input form, then the statuses on this very canvas
    page.get_by_role("button", name="Run draft").click()
    page.get_by_label("topic").fill("ada")
    page.get_by_role("button", name="Start run").click()
    expect(page).to_have_url(re.compile(r"/pipelines/loop/edit\?run="))
    expect(node(page, "shout").locator('[data-status="succeeded"]')).to_be_visible(timeout=30_000)
    expect(node(page, "fetch").locator('[data-status="succeeded"]')).to_be_visible()

    # a node's output, in place
    node(page, "shout").click()
    panel = page.get_by_role("region", name="Draft run")
    expect(panel.get_by_label("output")).to_have_text("ADA!")
    shot(page, "builder-01-draft-run")

    # pin sample data on fetch, then run shout alone: it takes the pin, and fetch does not run
    node(page, "fetch").click()
    panel.get_by_role("button", name="Pin sample data").click()
    panel.get_by_label("Sample output (JSON)").fill('"grace"')
    panel.get_by_role("button", name="Pin sample").click()
    expect(page.get_by_text("Pinned fetch's output")).to_be_visible()
    expect(panel.get_by_label("pinned output")).to_have_text("grace")
    node(page, "shout").click()
    panel.get_by_role("button", name="Run this node").click()
    expect(page.get_by_text(re.compile(r"Started draft run loop/v2"))).to_be_visible()
    expect(panel.get_by_label("output")).to_have_text("GRACE!", timeout=30_000)
    expect(panel.get_by_text("in loop/v2")).to_be_visible()
    page.set_viewport_size({"width": 1024, "height": 768})
    shot(page, "builder-02-run-one-node-1024")
    page.set_viewport_size({"width": 1440, "height": 900})

    # publish with a message: the version records it and its author; draft runs stay out of the run list
    page.get_by_label("Version message").fill("first cut")
    page.get_by_role("button", name="Save version").click()
    expect(page.get_by_text("Saved loop v1")).to_be_visible()
    with live_server.client() as api:
        versions = api.get("/api/v1/pipelines/loop/versions").json()
        assert [(v["number"], v["author"], v["message"]) for v in versions] == [(1, "editor", "first cut")]
        assert api.get("/api/v1/runs", params={"pipeline": "loop"}).json()["items"] == []
        drafts = api.get("/api/v1/runs", params={"pipeline": "loop", "drafts": True}).json()["items"]
        assert [r["ref"] for r in drafts] == ["loop/v2", "loop/v1"]

    # the editor opens on the draft, its pins and its last draft run
    page.reload()
    node(page, "fetch").click()
    expect(page.get_by_role("region", name="Draft run").get_by_label("pinned output")).to_have_text("grace")
    shot(page, "builder-03-reopened")

    # a draft run's page says what it is, and leads back to the editor
    page.get_by_role("toolbar", name="Editor").get_by_role("link", name="loop/v2").click()
    expect(page.get_by_text("a draft run (of the editor's draft, not a published version)")).to_be_visible()
    page.get_by_role("link", name="open in the editor").click()
    expect(page).to_have_url(re.compile(r"/pipelines/loop/edit\?run="))


def test_new_pipeline_starts_from_an_example_or_a_marked_pipeline(page: Page, live_server: LiveServer) -> None:
    with live_server.client() as api:
        own = {"name": "house-style", "nodes": [{"id": "greet", "kind": "transform", "config": {"value": "hi"}}]}
        assert api.post("/api/v1/pipelines", json=own).status_code == 201
    sign_in(page, live_server, Role.EDITOR, "/pipelines/house-style")
    page.get_by_role("button", name="Use as template").click()
    expect(page.get_by_role("button", name="Use as template")).to_have_attribute("aria-pressed", "true")

    page.goto(live_server.base_url + "/pipelines/new")
    picker = page.get_by_label("Start from")
    expect(picker.locator("option", has_text="house-style")).to_have_count(1)
    picker.select_option("example:linear")
    expect(node(page, "count_words")).to_be_visible()
    expect(page.locator(".react-flow__edge")).to_have_count(3)
    expect(page.locator(".react-flow__edge path[marker-end]").first).to_be_attached()  # arrowheads
    # a kind added from the palette follows the selected node, connected to it
    node(page, "summarize").click()
    page.get_by_role("navigation", name="Node kinds").locator('[data-kind="noop"]').press("Enter")
    expect(page.locator('.react-flow__edge[data-id^="summarize"]')).to_have_count(1)
    expect(page.locator(".react-flow__edge")).to_have_count(4)
    shot(page, "builder-04-new-from-example")
    page.once("dialog", lambda dialog: dialog.accept())  # the canvas has changes: starting over asks first
    picker.select_option("pipeline:house-style")
    expect(node(page, "greet")).to_be_visible()
    page.get_by_role("button", name="Save pipeline").click()
    expect(page.get_by_text("Saved house-style-copy v1")).to_be_visible()
