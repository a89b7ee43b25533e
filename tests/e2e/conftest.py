"""Browser tests: a real ``lockgate serve`` subprocess with the built bundle, Playwright on Debian's chromium.

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
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from tests.conftest import _free_port, _unavailable
from tests.e2e.browser import BROWSER_ARGS, BUNDLE, CHROMIUM, FIGURES, SHOTS, TAKEN, LiveServer

from lockgate.runtime.clock import SystemClock
from lockgate.security.api_keys import Role
from lockgate.store import auth as auth_store
from lockgate.store.database import Database
from lockgate.store.migrate import upgrade

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, Page


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
    env = {
        **os.environ,
        "LOCKGATE_HOME": str(home),
        "LOCKGATE_MAINTENANCE_INTERVAL": "PT0.5S",
        "LOCKGATE_ALLOW_UNCONFINED_SCRIPTS": "true",
    }  # bubblewrap where it works, as the suite always ran
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
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A fresh browser context; it closes before the server stops (a poll in flight must not fail the test)."""
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


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TAKEN:
        terminalreporter.write_line(f"e2e screenshots: {SHOTS} ({len(TAKEN)} taken in this run)")
    if FIGURES:
        out = SHOTS.parent / "perf.json"
        out.write_text(json.dumps(FIGURES, indent=2))
        terminalreporter.write_line(f"e2e figures ({out}):")
        for name, figures in FIGURES.items():
            terminalreporter.write_line(f"  {name}: {json.dumps(figures)}")
