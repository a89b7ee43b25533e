"""The editor and the run view, as a person uses them.

Build a pipeline on the canvas from scratch, fix what the server flags, save, run it, watch it live, download
its artifact; then save a second version and compare versions and runs.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect
from tests.e2e.browser import shot, sign_in
from tests.e2e.canvas import connect, drop_kind, node

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    import httpx
    from playwright.sync_api import Page
    from tests.e2e.browser import LiveServer

SCRIPT = """import time
time.sleep(2)
with open("greeting.txt", "w") as f:
    f.write(f"hello, {who}\\n")
output = f"hello, {who}"
"""

REPORT = """import json
with open("report.json", "w") as f:
    json.dump({"count": count, "unit": "items"}, f)
output = count
"""


def _wait_succeeded(api: httpx.Client, run_id: str) -> None:
    deadline = time.monotonic() + 60
    while (status := api.get(f"/api/v1/runs/{run_id}").json()["status"]) != "succeeded":
        assert status in {"pending", "running"}, f"run {run_id} ended {status}"
        assert time.monotonic() < deadline, f"run {run_id} still {status}"
        time.sleep(0.2)


def type_with_completion(page: Page, field_label: str, steps: list[tuple[str, str | None]]) -> None:
    """Type into an expression field; after each chunk pick the named completion with Enter (None: none)."""
    box = page.get_by_role("combobox", name=field_label)
    box.fill("")
    box.focus()
    for text, pick in steps:
        page.keyboard.type(text)
        if pick is not None:
            listbox = page.get_by_role("listbox", name="Completions")
            expect(listbox.get_by_role("option", name=re.compile(f"^{re.escape(pick)}"))).to_be_visible()
            options = listbox.get_by_role("option").all_inner_texts()
            for _ in range(len(options)):
                active = listbox.locator("[aria-selected=true]").inner_text()
                if active.startswith(pick):
                    break
                page.keyboard.press("ArrowDown")
            page.keyboard.press("Enter")


@pytest.mark.timeout(240)
def test_build_on_the_canvas_validate_save_run_live_and_download(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server, Role.EDITOR)
    expect(page.get_by_text("No pipelines yet.")).to_be_visible()
    shot(page, "01-pipelines-empty")

    page.get_by_role("button", name="New pipeline").click()
    expect(page.get_by_role("navigation", name="Node kinds")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("greetings")
    page.get_by_label("New input field name").fill("who")
    page.get_by_role("button", name="Add field").click()

    # three nodes dragged from the palette, connected by dragging handle to handle
    drop_kind(page, "script", 120, 220)
    drop_kind(page, "transform", 420, 220)
    drop_kind(page, "noop", 700, 220)
    expect(page.locator(".react-flow__node")).to_have_count(3)
    connect(page, "script", "transform")
    connect(page, "transform", "noop")
    expect(page.locator(".react-flow__edge")).to_have_count(2)

    # the server's validation lands on the node and on the field it concerns, before any save
    expect(node(page, "script").locator(".node-problems")).to_be_visible()
    node(page, "script").click()
    expect(page.get_by_role("alert").filter(has_text="give exactly one of 'code' or 'file'")).to_be_visible()
    shot(page, "02-editor-validation-error")

    # configure the script: rename it, give it code and an input
    page.get_by_label("Id", exact=True).fill("greet")
    page.get_by_label("Id", exact=True).press("Enter")
    expect(node(page, "greet")).to_be_visible()
    page.get_by_label("Code").fill(SCRIPT)
    page.get_by_label("New Inputs name").fill("who")
    page.get_by_role("button", name="Add to Inputs").click()
    type_with_completion(page, "who", [("{{ inp", "input"), (".", "who"), (" }}", None)])
    expect(page.get_by_role("combobox", name="who")).to_have_text("{{ input.who }}")
    expect(node(page, "greet").locator(".node-problems")).to_have_count(0)

    # the transform first names a node that is downstream: flagged on the field, then fixed by completion
    node(page, "transform").click()
    page.get_by_role("combobox", name="Value").fill("{{ nodes.noop.output }}")
    expect(page.get_by_role("alert").filter(has_text="'noop', which is not upstream")).to_be_visible()
    expect(node(page, "transform").locator(".node-problems")).to_have_text("1")
    shot(page, "03-editor-field-error")
    type_with_completion(page, "Value", [("{{ nodes.", "greet"), (".", "output"), (" | upper }}!", None)])
    expect(page.get_by_role("status").filter(has_text="Valid")).to_be_visible()
    expect(page.locator(".node-problems")).to_have_count(0)

    page.get_by_role("button", name="Save pipeline").click()
    expect(page.get_by_text("Saved greetings v1")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/pipelines/greetings/edit$"))
    shot(page, "04-editor-saved")

    # run it from the pipeline page with the generated input form
    page.get_by_role("link", name="greetings").first.click()
    page.get_by_role("button", name="Run…").click()
    page.get_by_label("who").fill("Ada")
    shot(page, "05-start-run")
    page.get_by_role("button", name="Start run").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"))
    page.evaluate("window.__sameDocument = true")

    # statuses change on the graph while we watch: no reload
    expect(page.locator('[data-node-id="greet"][data-status="running"]')).to_be_visible(timeout=20_000)
    shot(page, "06-run-live")
    expect(page.locator('[data-node-id="noop"][data-status="succeeded"]')).to_be_visible(timeout=30_000)
    expect(page.locator('[data-node-id="transform"][data-status="succeeded"]')).to_be_visible()
    expect(page.locator("h1 [data-status]")).to_have_text("succeeded")
    assert page.evaluate("window.__sameDocument") is True
    page.locator('[data-step="transform"]').click()
    expect(page.get_by_role("region", name="output")).to_contain_text("HELLO, ADA!")
    shot(page, "07-run-succeeded")

    # the artifact: preview and download
    page.get_by_role("tab", name=re.compile("Artifacts")).first.click()
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("region", name="Preview of greeting.txt")).to_contain_text("hello, Ada")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download greeting.txt").click()
    path = download.value.path()
    assert download.value.suggested_filename == "greeting.txt"
    assert Path(path).read_text() == "hello, Ada\n"
    shot(page, "08-run-artifacts")


@pytest.mark.timeout(240)
def test_second_version_diff_and_run_comparison(page: Page, live_server: LiveServer) -> None:
    with live_server.client() as api:
        first = {
            "name": "tally",
            "input": {"n": {"type": "integer", "default": 2}},
            "nodes": [
                {"id": "count", "kind": "transform", "config": {"value": "{{ input.n * 2 }}"}},
                {
                    "id": "report",
                    "kind": "script",
                    "inputs": {"count": "{{ nodes.count.output }}"},
                    "config": {"code": REPORT},
                },
                {"id": "done", "kind": "noop"},
            ],
            "edges": [{"source": "count", "target": "report"}, {"source": "report", "target": "done"}],
        }
        assert api.post("/api/v1/pipelines", json=first).status_code == 201
        run1 = api.post("/api/v1/pipelines/tally/runs", json={"input": {"n": 2}}).json()
    sign_in(page, live_server, Role.EDITOR, "/pipelines/tally/edit")

    # change the transform in the editor and save a second version
    node(page, "count").click()
    page.get_by_role("combobox", name="Value").fill("{{ input.n * 3 }}")
    expect(page.get_by_text("unsaved changes")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    expect(page.get_by_text("Saved tally v2")).to_be_visible()

    page.goto(f"{live_server.base_url}/pipelines/tally?tab=versions")
    page.get_by_label("Pick v1").check()
    page.get_by_label("Pick v2").check()
    page.get_by_role("link", name="Compare v1 → v2").click()
    expect(page.get_by_text("1 node changed")).to_be_visible()
    expect(page.locator(".node.diff-changed[data-node-id='count']")).to_be_visible()
    expect(page.locator(".diff-after").first).to_have_text("{{ input.n * 3 }}")
    shot(page, "09-version-diff")

    with live_server.client() as api:
        run2 = api.post("/api/v1/pipelines/tally/runs", json={"input": {"n": 2}}).json()
        _wait_succeeded(api, run1["id"])
        _wait_succeeded(api, run2["id"])
    page.goto(f"{live_server.base_url}/runs")
    expect(page.get_by_role("link", name="tally v2")).to_be_visible()
    page.get_by_label(f"Compare {run1['ref']}").check()
    page.get_by_label(f"Compare {run2['ref']}").check()
    page.get_by_role("button", name="Compare 2 runs").click()
    expect(page.get_by_role("heading", name="tally/v1 vs tally/v2")).to_be_visible()
    expect(page.get_by_text("Definition: v1 → v2")).to_be_visible()
    # the report both runs wrote: compared on demand, the JSON changes path by path
    files = page.get_by_role("table", name="Artifacts of both runs")
    expect(files.get_by_role("row", name="report/report.json")).to_be_visible()
    files.get_by_role("button", name="Compare report/report.json").click()
    changes = page.get_by_role("region", name="Changes in report/report.json: tally/v1 → tally/v2")
    count = changes.get_by_role("row", name=re.compile(r"\$\.count"))
    expect(count).to_contain_text("changed")
    expect(count.locator(".diff-before")).to_have_text("4")
    expect(count.locator(".diff-after")).to_have_text("6")
    shot(page, "10-run-comparison")

    # v2 counts wrong: latest goes back to v1, and the rollback is listed with who and why
    page.goto(f"{live_server.base_url}/pipelines/tally?tab=latest")
    expect(page.get_by_test_id("latest-run")).to_have_text("runs/latest points at v2")
    page.get_by_label("Point latest at").select_option("v1")
    page.get_by_label("Reason (optional)").fill("v2 counts wrong")
    page.get_by_role("button", name="Point latest at v1").click()
    expect(page.get_by_test_id("latest-run")).to_have_text("runs/latest points at v1")
    row = page.get_by_role("table", name="Rollbacks").get_by_role("row", name=re.compile("latest → v1 \\(was v2\\)"))
    expect(row).to_contain_text("editor")
    expect(row).to_contain_text("v2 counts wrong")
    expect(page.get_by_text("latest points at v1")).to_have_count(2)  # the header says it too
    shot(page, "10b-latest-rolled-back")
    with live_server.client() as api:
        assert api.get("/api/v1/pipelines/tally").json()["latest_run"] == 1


@pytest.mark.timeout(120)
def test_keyboard_wiring_undo_redo_copy_paste_and_delete(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server, Role.EDITOR, "/pipelines/new")
    palette = page.get_by_role("navigation", name="Node kinds")
    palette.locator('[data-kind="http"]').focus()
    page.keyboard.press("Enter")  # a palette item adds its kind without a mouse
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})  # else it follows http, connected
    palette.locator('[data-kind="condition"]').press("Enter")
    expect(page.locator(".react-flow__node")).to_have_count(2)
    expect(page.get_by_role("heading", name="condition", exact=True)).to_be_visible()  # the new node is selected

    # wire http → condition from the inspector, then undo and redo it
    node(page, "http").click()
    page.get_by_label("Connect http to").select_option("condition")
    expect(page.locator(".react-flow__edge")).to_have_count(1)
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})
    page.keyboard.press("Control+z")
    expect(page.locator(".react-flow__edge")).to_have_count(0)
    page.keyboard.press("Control+Shift+z")
    expect(page.locator(".react-flow__edge")).to_have_count(1)

    # copy both, paste: fresh ids, the edge between them copied too; Delete removes the pasted pair
    page.keyboard.press("Control+a")
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    expect(page.locator(".react-flow__node")).to_have_count(4)
    expect(node(page, "http-2")).to_be_visible()
    expect(page.locator(".react-flow__edge")).to_have_count(2)
    expect(node(page, "http-2")).to_have_class(re.compile(r"\bselected\b"))  # the pasted nodes are the selection
    page.keyboard.press("Delete")
    expect(page.locator(".react-flow__node")).to_have_count(2)
    expect(node(page, "http")).to_be_visible()
    page.keyboard.press("Control+z")
    expect(page.locator(".react-flow__node")).to_have_count(4)
    shot(page, "11-editor-keyboard")
