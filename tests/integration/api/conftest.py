"""A real server per test: uvicorn on 127.0.0.1 and a spare port, one API key per role, SQLite or PostgreSQL."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import uvicorn

from lockgate.api.app import create_app
from lockgate.runtime.clock import SystemClock
from lockgate.security.api_keys import Role
from lockgate.settings import Settings
from lockgate.store import auth as auth_store
from lockgate.store.database import Database
from lockgate.store.migrate import upgrade

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@dataclass(frozen=True)
class Server:
    base_url: str
    keys: dict[Role, str]
    settings: Settings

    def client(self, role: Role | None = Role.ADMIN, **kwargs: object) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.keys[role]}"} if role is not None else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _keys(settings: Settings) -> dict[Role, str]:
    db = Database(settings.db_url)
    upgrade(db)
    now = SystemClock().now()
    keys = {}
    with db.write() as conn:
        for role in Role:
            user_id = auth_store.create_user(conn, role.value, role, now)
            keys[role] = auth_store.create_key(conn, user_id, "test", now)[1].plaintext
    db.dispose()
    return keys


@pytest.fixture
def server(database_url: str, tmp_path: Path, executor_settings: dict[str, Any]) -> Iterator[Server]:
    """With the local executor, or (some modules, on PostgreSQL) Celery and a worker: tests/integration/conftest.py."""
    settings = Settings(
        home=tmp_path / "home",
        database_url=database_url,
        maintenance_interval=0.2,  # type: ignore[arg-type]
        allow_unconfined_scripts=True,
        **executor_settings,
    )  # bubblewrap where it works, as these tests always ran
    keys = _keys(settings)
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the server did not start")
        time.sleep(0.02)
    yield Server(f"http://127.0.0.1:{port}", keys, settings)
    uv.should_exit = True
    thread.join(timeout=30)


@pytest.fixture
def admin(server: Server) -> Iterator[httpx.Client]:
    with server.client(Role.ADMIN) as client:
        yield client
