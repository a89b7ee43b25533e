"""Helpers that drive the React Flow canvas the way a person does: drag, connect, select."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

__all__ = ["center", "connect", "drop_kind", "node"]


def center(locator: Locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not visible"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def node(page: Page, node_id: str) -> Locator:
    return page.locator(f'.react-flow__node[data-id="{node_id}"]')


def drop_kind(page: Page, kind: str, x: float, y: float) -> None:
    """Drag a kind from the palette onto the canvas at (x, y) relative to the canvas."""
    page.locator(f'.palette [data-kind="{kind}"]').drag_to(
        page.locator(".canvas .react-flow__pane"), target_position={"x": x, "y": y}
    )


def connect(page: Page, source: str, target: str, handle: str | None = None) -> None:
    """Drag from the source node's outgoing handle (a branch's, if named) to the target's incoming one."""
    out = node(page, source).locator(".react-flow__handle.source" + (f'[data-handleid="{handle}"]' if handle else ""))
    into = node(page, target).locator(".react-flow__handle.target")
    sx, sy = center(out.first)
    tx, ty = center(into.first)
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move((sx + tx) / 2, (sy + ty) / 2, steps=5)
    page.mouse.move(tx, ty, steps=5)
    page.mouse.up()
