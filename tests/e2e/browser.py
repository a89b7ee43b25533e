"""Helpers of the browser tests: the server handle, signing in, screenshots, axe-core, recorded figures."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from tests.conftest import _unavailable

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = [
    "AXE",
    "BROWSER_ARGS",
    "BUNDLE",
    "CHROMIUM",
    "FIGURES",
    "SHOTS",
    "LiveServer",
    "axe",
    "record",
    "shot",
    "shots",
    "sign_in",
]

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "src" / "lockgate" / "api" / "static" / "index.html"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path(os.environ.get("LOCKGATE_CHROMIUM", "/usr/bin/chromium"))
SHOTS = Path(os.environ.get("LOCKGATE_SCREENSHOTS", ROOT / "test-output" / "screenshots")).resolve()
FIGURES: dict[str, Any] = {}
TAKEN: list[Path] = []  # screenshots of this session
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run"]  # fmt: skip


@dataclass
class LiveServer:
    base_url: str
    keys: dict[Role, str]
    home: Path
    log: Path
    shots: list[Path] = field(default_factory=list)

    def client(self, role: Role = Role.ADMIN) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {self.keys[role]}"}, timeout=60)


def sign_in(page: Page, server: LiveServer, role: Role = Role.ADMIN, path: str = "/") -> None:
    page.goto(server.base_url + path)
    page.get_by_label("API key").fill(server.keys[role])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").wait_for()


def shot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    TAKEN.append(path)
    return path


def axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the current page."""
    if not AXE.is_file():
        _unavailable(f"axe-core is not installed ({AXE}): run `npm ci` in web/")
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def record(name: str, figures: dict[str, Any]) -> None:
    FIGURES[name] = figures


def shots(page: Page, name: str) -> None:
    """The page at 1440x900 and 1024x768, light and dark; axe-core clean in the dark too."""
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.locator(f"html[data-theme={scheme}]").wait_for(state="attached")
        shot(page, f"{name}-{scheme}")
        page.set_viewport_size({"width": 1024, "height": 768})
        shot(page, f"{name}-{scheme}-1024")
        page.set_viewport_size({"width": 1440, "height": 900})
    assert axe(page) == [], f"{name}, dark"
    page.emulate_media(color_scheme="light")
