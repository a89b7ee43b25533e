"""Browser tests: a real ``lockgate serve`` subprocess with the built web bundle, driven by Playwright on Debian's chromium.

Screenshots of every page land in ``test-output/screenshots`` (or ``LOCKGATE_SCREENSHOTS``); the folder is named
at the end of the run. Measured figures (frame times) go to ``test-output/perf.json`` and the terminal summary.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from lockgate.runtime.clock import SystemClock
from lockgate.security.api_keys import Role
from lockgate.store import auth as auth_store
from lockgate.store.database import Database
from lockgate.store.migrate import upgrade
from tests.conftest import _free_port, _unavailable

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "src" / "lockgate" / "api" / "static" / "index.html"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path(os.environ.get("LOCKGATE_CHROMIUM", "/usr/bin/chromium"))
SHOTS = Path(os.environ.get("LOCKGATE_SCREENSHOTS", ROOT / "test-output" / "screenshots")).resolve()
FIGURES: dict[str, Any] = {}
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


def _keys(db_url: str) -> dict[Role, str]:
    db = Database(db_url)
    upgrade(db)
    now = SystemClock().now()
    keys = {}
    with db.write() as conn:
        for role in Role:
            user_id = auth_store.create_user(conn, role.value, role, now)
            keys[role] = auth_store.create_key(conn, user_id, "e2e", now)[1].plaintext
    db.dispose()
    return keys


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"lockgate serve exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"lockgate serve never became ready:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def bundle() -> Path:
    if not BUNDLE.is_file():
        _unavailable(f"the web bundle is not built ({BUNDLE}): run `make web`")
    return BUNDLE


@pytest.fixture
def live_server(bundle: Path, tmp_path: Path) -> Iterator[LiveServer]:
    """``lockgate serve`` in a subprocess on a free port, its own home and SQLite; a key per role."""
    home = tmp_path / "home"
    home.mkdir()
    keys = _keys(f"sqlite:///{home / 'lockgate.db'}")
    port = _free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "LOCKGATE_HOME": str(home), "LOCKGATE_MAINTENANCE_INTERVAL": "PT0.5S"}
    env.pop("DATABASE_URL", None)
    env.pop("LOCKGATE_DATABASE_URL", None)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "lockgate"), "serve", "--port", str(port)],
            cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc, log)
        yield LiveServer(url, keys, home, log)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        _unavailable(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield opened
    finally:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def sign_in(page: Page, server: LiveServer, role: Role = Role.ADMIN, path: str = "/") -> None:
    page.goto(server.base_url + path)
    page.get_by_label("API key").fill(server.keys[role])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").wait_for()


def shot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
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


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SHOTS.is_dir() and any(SHOTS.iterdir()):
        terminalreporter.write_line(f"e2e screenshots: {SHOTS} ({len(list(SHOTS.glob('*.png')))} pages)")
    if FIGURES:
        out = SHOTS.parent / "perf.json"
        out.write_text(json.dumps(FIGURES, indent=2))
        terminalreporter.write_line(f"e2e figures ({out}):")
        for name, figures in FIGURES.items():
            terminalreporter.write_line(f"  {name}: {json.dumps(figures)}")


__all__ = ["LiveServer", "axe", "record", "shot", "sign_in"]
