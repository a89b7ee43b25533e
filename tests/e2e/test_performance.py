"""The canvas with 500 nodes and the run view of a 10,000-item fan-out stay responsive.

Frame times are measured in the page (requestAnimationFrame intervals, long tasks) while a person drags, pans,
types and scrolls; the figures are recorded for the report (conftest prints them), never asserted against a
clock. What is asserted is what a person would check: everything is there and the page answers.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect
from tests.e2e.browser import record, shot, sign_in
from tests.e2e.canvas import center, node

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from tests.e2e.browser import LiveServer

START_PROBE = """() => {
  const probe = { frames: [], long: [], last: performance.now(), on: true };
  const tick = (now) => {
    probe.frames.push(now - probe.last); probe.last = now; if (probe.on) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  try {
    probe.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) probe.long.push(e.duration);
    });
    probe.observer.observe({ type: "longtask", buffered: false });
  } catch (e) {}
  window.__probe = probe;
}"""
STOP_PROBE = """() => {
  const p = window.__probe; p.on = false; if (p.observer) p.observer.disconnect();
  const f = p.frames.slice(1).sort((a, b) => a - b);
  const q = (x) => f.length ? f[Math.min(f.length - 1, Math.floor(x * f.length))] : null;
  return { frames: f.length, p50_ms: q(0.5), p95_ms: q(0.95), max_ms: f.length ? f[f.length - 1] : null,
           long_tasks: p.long.length, longest_task_ms: p.long.length ? Math.max(...p.long) : 0 };
}"""


def measure(page: Page, action: Any) -> dict[str, Any]:
    page.evaluate(START_PROBE)
    started = time.perf_counter()
    action()
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    figures: dict[str, Any] = page.evaluate(STOP_PROBE)
    figures["took_s"] = round(time.perf_counter() - started, 3)
    for k in ("p50_ms", "p95_ms", "max_ms", "longest_task_ms"):
        if figures.get(k) is not None:
            figures[k] = round(figures[k], 1)
    return figures


def layered(layers: int, width: int) -> dict[str, Any]:
    """``layers`` by ``width`` nodes, each linked to two in the next layer: a 500-node graph with 900 edges."""
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, str]] = []
    for layer in range(layers):
        for i in range(width):
            kind = "transform" if i % 3 == 0 else "noop"
            body: dict[str, Any] = {"id": f"n{layer}-{i}", "kind": kind}
            if kind == "transform":
                body["config"] = {"value": f"{{{{ run.number + {layer} }}}}"}
            nodes.append(body)
            if layer:
                edges += [{"source": f"n{layer - 1}-{i}", "target": f"n{layer}-{i}"},
                          {"source": f"n{layer - 1}-{(i + 1) % width}", "target": f"n{layer}-{i}"}]  # fmt: skip
    return {"name": "big", "nodes": nodes, "edges": edges}


@pytest.mark.timeout(300)
def test_a_500_node_pipeline_stays_responsive_on_the_canvas(page: Page, live_server: LiveServer) -> None:
    with live_server.client() as api:
        assert api.post("/api/v1/pipelines", json=layered(50, 10)).status_code == 201
    sign_in(page, live_server, Role.EDITOR)
    started = time.perf_counter()
    page.goto(f"{live_server.base_url}/pipelines/big/edit")
    expect(page.get_by_role("status").filter(has_text="Valid")).to_be_visible(timeout=60_000)
    opened = round(time.perf_counter() - started, 2)
    shot(page, "perf-500-nodes")

    page.keyboard.press("f")  # fit: every node on screen, the worst case for rendering
    page.wait_for_timeout(400)
    target = node(page, "n0-0")
    x, y = center(target)

    def drag() -> None:
        page.mouse.move(x, y)
        page.mouse.down()
        for step in range(60):
            page.mouse.move(x + step * 3, y + step * 2)
        page.mouse.up()

    def pan() -> None:
        page.mouse.move(700, 600)
        page.mouse.down()
        for step in range(60):
            page.mouse.move(700 - step * 5, 600 - step * 2)
        page.mouse.up()

    dragging = measure(page, drag)
    panning = measure(page, pan)
    page.keyboard.press("f")
    node(page, "n25-5").click()
    typing = measure(page, lambda: page.get_by_label("Name (for people)").type("a name typed key by key"))
    expect(page.get_by_label("Name (for people)")).to_have_value("a name typed key by key")
    undo = measure(page, lambda: page.keyboard.press("Control+z"))
    layout = measure(page, lambda: page.get_by_role("button", name="Auto-layout").click())
    rendered = page.locator(".react-flow__node").count()
    record("canvas 500 nodes / 900 edges", {"open_to_validated_s": opened, "nodes_in_dom_at_fit": rendered,
                                             "drag_node": dragging, "pan": panning, "type_in_inspector": typing,
                                             "undo": undo, "auto_layout": layout})  # fmt: skip
    assert page.locator(".react-flow__edge").count() > 0
    expect(page.get_by_label("Name (for people)")).to_have_value("")  # one undo takes back the whole typing


@pytest.mark.timeout(400)
def test_the_run_view_of_a_10000_item_fan_out_does_not_freeze(page: Page, live_server: LiveServer) -> None:
    fan_out = {
        "name": "wide",
        "nodes": [
            {"id": "numbers", "kind": "transform", "config": {"value": "{{ range(10000) | list }}"}},
            {"id": "each", "kind": "noop", "for_each": "{{ nodes.numbers.output }}"},
            {"id": "done", "kind": "noop"},
        ],
        "edges": [{"source": "numbers", "target": "each"}, {"source": "each", "target": "done"}],
    }
    with live_server.client() as api:
        assert api.post("/api/v1/pipelines", json=fan_out).status_code == 201
    sign_in(page, live_server, Role.OPERATOR, "/pipelines/wide")
    page.get_by_role("button", name="Run…").click()
    started = time.perf_counter()

    def run_to_the_end() -> None:
        page.get_by_role("button", name="Start run").click()
        expect(page.locator("h1 [data-status]")).to_have_text("succeeded", timeout=300_000)

    live = measure(page, run_to_the_end)
    finished = round(time.perf_counter() - started, 1)
    expect(page.locator('[data-node-id="each"]')).to_contain_text("10,000/10,000")
    expect(page.get_by_text("10,003 steps").first).to_be_visible()  # the map step, its 10,000 items, two more
    shot(page, "perf-10000-fan-out")

    scroller = page.get_by_role("region", name="Step list (scroll)")

    def scroll_through() -> None:
        for _ in range(40):
            scroller.evaluate("(el) => el.scrollBy(0, 7500)")
            page.wait_for_timeout(16)

    scrolling = measure(page, scroll_through)
    expect(scroller.get_by_role("button", name="numbers")).to_be_visible(timeout=20_000)  # the last row
    rows_in_dom = scroller.locator("li").count()
    page.get_by_label("Step status filter").select_option("succeeded")
    page.get_by_label("Node filter").select_option("each")
    expect(page.get_by_text("10,001 steps")).to_be_visible()  # the map step and its items
    scroller.evaluate("(el) => el.scrollTo(0, el.scrollHeight)")
    expect(scroller.get_by_role("button", name="each[9999]")).to_be_visible(timeout=20_000)
    scroller.get_by_role("button", name="each[9999]").click()
    expect(page.get_by_role("heading", name="each[9999]")).to_be_visible()
    shot(page, "perf-10000-step-detail")
    record("run view 10,000-item fan-out", {"run_wall_s": finished, "while_running": live,
                                            "scroll_10k_rows": scrolling, "rows_in_dom": rows_in_dom})  # fmt: skip
    assert rows_in_dom < 200  # virtualised: a window of rows, not ten thousand
