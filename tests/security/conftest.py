"""Fixtures of the security suite: a real ``lockgate serve`` to attack (see hostile.py)."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

import pytest
from tests.security.hostile import Hostile

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture
def hostile_factory(tmp_path: Path) -> Iterator[Callable[..., Hostile]]:
    """Start servers to attack: ``hostile_factory(sandbox="none", env={...})``; all stopped at the end."""
    if os.environ.get("LOCKGATE_TEST_DB", "").strip().lower() == "postgresql":
        pytest.skip("the security suite attacks a SQLite home; the SQLite pass runs it")
    started: list[Hostile] = []

    def make(*, sandbox: str = "bwrap", env: dict[str, str] | None = None, name: str = "server") -> Hostile:
        if sandbox == "bwrap" and shutil.which("bwrap") is None:
            if CI:
                pytest.fail("bubblewrap is not installed (CI=true: it is required)", pytrace=False)
            pytest.skip("bubblewrap is not installed")
        folder = tmp_path / name
        folder.mkdir()
        # A server without a sandbox is one whose administrator allowed unconfined scripts, unless env says not.
        allow = {"LOCKGATE_ALLOW_UNCONFINED_SCRIPTS": "true" if sandbox == "none" else "false"}
        server = Hostile(folder, sandbox=sandbox, env={**allow, **(env or {})})
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def hostile(hostile_factory: Callable[..., Hostile]) -> Hostile:
    """One server with bubblewrap required."""
    return hostile_factory()
