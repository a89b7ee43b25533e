"""The canvas reads well: the graph fits its box at a readable zoom, or starts there and pans; error edges stand out.

Readable: a node's id (14px) is drawn at 9px or more, so the zoom never goes below 0.65. A graph that fits at that
zoom is shown whole; one that does not is shown from its start. Measured in the browser from the rendered boxes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect
from tests.e2e.browser import shot, sign_in
from tests.e2e.canvas import node

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page
    from tests.e2e.browser import LiveServer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
READABLE_PX = 9.0  # the smallest a node's id may be drawn
ID_PX = 14.0  # a node id's font size at zoom 1


def _upload(server: LiveServer, *names: str) -> None:
    with server.client() as api:
        for name in names:
            text = (EXAMPLES / f"{name}.yaml").read_text()
            response = api.post("/api/v1/pipelines", content=text, headers={"Content-Type": "application/yaml"})
            assert response.status_code == 201, response.text


def _box(locator: Locator) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not visible"
    return {"x": box["x"], "y": box["y"], "width": box["width"], "height": box["height"]}


def _inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


def _zoom(flow: Locator) -> float:
    transform = flow.locator(".react-flow__viewport").evaluate("el => getComputedStyle(el).transform")
    match = re.match(r"matrix\(([-\d.e]+),", transform)
    assert match, transform
    return float(match.group(1))


def _settled(flow: Locator) -> float:
    """The zoom once the fit has run (it runs when the nodes are measured, then on every resize)."""
    expect(flow.locator(".react-flow__node").first).to_be_visible()
    flow.page.wait_for_function(
        "el => !['none', 'matrix(1, 0, 0, 1, 0, 0)'].includes(getComputedStyle(el).transform)",
        arg=flow.locator(".react-flow__viewport").element_handle(),
    )
    flow.page.wait_for_timeout(0)  # one task: the resize observer's frame
    return _zoom(flow)


@pytest.mark.timeout(180)
def test_the_editor_at_1024_shows_a_small_graph_whole_and_a_wide_one_from_its_start(
    page: Page, live_server: LiveServer
) -> None:
    _upload(live_server, "branching")
    steps = [{"id": n, "kind": "transform", "config": {"value": n}} for n in ("fetch", "shape", "report")]
    chain = [{"source": "fetch", "target": "shape"}, {"source": "shape", "target": "report"}]
    with live_server.client() as api:
        saved = api.post("/api/v1/pipelines", json={"name": "three", "nodes": steps, "edges": chain})
        assert saved.status_code == 201, saved.text
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, live_server, Role.EDITOR, "/pipelines/three/edit")
    canvas = page.get_by_role("region", name="Canvas")
    zoom = _settled(canvas)
    assert zoom * ID_PX >= READABLE_PX, zoom
    frame = _box(canvas)
    for item in canvas.locator(".react-flow__node").all():
        assert _inside(_box(item), frame), f"{item.get_attribute('data-id')} is cut: {_box(item)} not in {frame}"
    # the toolbar is one row: every control's top within a few pixels of the first's
    toolbar = page.get_by_role("toolbar", name="Editor")
    tops = [_box(c)["y"] for c in toolbar.locator("> button, > input, > span:visible").all()]
    assert max(tops) - min(tops) < 12, tops
    expect(toolbar.get_by_role("button", name="Undo")).to_be_visible()  # an icon, named for screen readers
    expect(toolbar.get_by_role("button", name="Export YAML")).to_be_visible()
    shot(page, "canvas-editor-three-1024")

    page.goto(live_server.base_url + "/pipelines/branching/edit")
    zoom = _settled(canvas)
    assert zoom * ID_PX >= READABLE_PX, zoom  # too wide to fit: readable, panned rather than shrunk
    assert _inside(_box(node(page, "triage")), _box(canvas)), "the graph's first node is cut"
    shot(page, "canvas-editor-branching-1024")


@pytest.mark.timeout(180)
def test_the_run_page_keeps_every_node_in_view_when_a_step_panel_opens(page: Page, live_server: LiveServer) -> None:
    _upload(live_server, "linear")
    with live_server.client() as api:
        run = api.post("/api/v1/pipelines/linear/runs", json={}).json()
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, live_server, Role.VIEWER, f"/runs/{run['id']}")
    graph = page.get_by_role("region", name=re.compile("^Graph of"))
    expect(node(page, "summarize").locator('[data-status="succeeded"]')).to_be_visible(timeout=30_000)
    zoom = _settled(graph)
    assert zoom * ID_PX >= READABLE_PX, zoom
    node(page, "summarize").click()  # the rightmost node: its step's panel opens beside the tabs
    expect(page.get_by_role("complementary").or_(page.locator(".step-panel")).first).to_be_visible()
    for item in graph.locator(".react-flow__node").all():
        assert _inside(_box(item), _box(graph)), f"{item.get_attribute('data-id')} is cut"
    shot(page, "canvas-run-panel-1024")


@pytest.mark.timeout(120)
def test_an_error_route_is_drawn_apart_dashed_red_and_labelled(page: Page, live_server: LiveServer) -> None:
    _upload(live_server, "retries")
    sign_in(page, live_server, Role.VIEWER, "/pipelines/retries")
    graph = page.get_by_role("region", name=re.compile("^Graph of retries"))
    error = graph.locator(".react-flow__edge.error-branch")
    expect(error).to_have_count(1)
    expect(error.locator(".react-flow__edge-text")).to_have_text("on error")
    # its own arrowhead (red), not the normal edges' grey one
    marker = error.locator("path.react-flow__edge-path").get_attribute("marker-end") or ""
    assert "d93a32" in marker, marker
    plain = graph.locator(".react-flow__edge:not(.error-branch) path.react-flow__edge-path").first
    assert (plain.get_attribute("marker-end") or "") != marker
    shot(page, "canvas-error-route")


@pytest.mark.timeout(120)
def test_the_inspector_labels_for_people_highlights_templates_and_hides_the_server_file(
    page: Page, live_server: LiveServer
) -> None:
    _upload(live_server, "branching")
    sign_in(page, live_server, Role.EDITOR, "/pipelines/branching/edit")
    node(page, "review").click()  # a script
    inspector = page.locator(".inspector")
    inspector.get_by_text("Policies:").click()
    for label in ("CPU time", "Memory (MB)", "Environment variables", "Input mode", "Timeout", "Max lost attempts"):
        expect(inspector.get_by_text(re.compile(f"^{re.escape(label)}")).first).to_be_visible()
    expect(inspector.get_by_text("Cpu Time", exact=True)).to_have_count(0)
    expect(inspector.get_by_text("Memory Mb", exact=True)).to_have_count(0)
    expect(inspector.get_by_label("File", exact=True)).to_have_count(0)  # a path on the server's disk: never here

    # a template field is CodeMirror: Jinja highlighted, references completed, one line where the field is one
    node(page, "alert").click()
    value = page.get_by_role("combobox", name="Value")
    expect(value).to_have_attribute("contenteditable", "true")
    expect(value.locator(".tok-delim").first).to_have_text("{{")
    expect(value.locator(".tok-name").first).to_have_text("input")
    value.fill("")
    value.focus()
    page.keyboard.type("{{ nodes.de")
    listbox = page.get_by_role("listbox", name="Completions")
    expect(listbox.get_by_role("option", name=re.compile("^decide"))).to_be_visible()
    page.keyboard.press("Enter")
    expect(value).to_have_text(re.compile(r"^\{\{ nodes\.decide"))
    shot(page, "canvas-template-editor")
    policies = inspector.locator("details.policies")
    if policies.get_attribute("open") is None:  # the group stays as it was left
        policies.locator("summary").click()
    each = page.get_by_role("combobox", name="For each")
    each.fill("{{ input.items }}")
    each.press("Enter")  # a one-line field: Enter adds no line
    expect(each.locator(".cm-line")).to_have_count(1)
    expect(each).to_have_text("{{ input.items }}")
