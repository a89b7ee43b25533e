"""A benchmark's server: ``lockgate serve`` in a subprocess on SQLite, with API keys made beforehand."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import httpx
import psutil

from lockgate.runtime.clock import SystemClock
from lockgate.security.api_keys import Role
from lockgate.store import auth as auth_store
from lockgate.store.database import Database
from lockgate.store.migrate import upgrade

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["Server", "free_port", "median_ms", "timings"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _keys(home: Path) -> dict[str, str]:
    db = Database(f"sqlite:///{(home / 'lockgate.db').resolve()}")
    upgrade(db)
    now = SystemClock().now()
    keys = {}
    with db.write() as conn:
        for role in (Role.ADMIN, Role.EDITOR):
            user = auth_store.create_user(conn, role.value, role, now)
            keys[role.value] = auth_store.create_key(conn, user, "bench", now)[1].plaintext
    db.dispose()
    return keys


class Server:
    """`lockgate serve` as a subprocess on a spare port, with an admin and an editor key."""

    def __init__(self, home: Path, synchronous: str, *extra: str) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.keys = _keys(home)
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKGATE_") and k != "DATABASE_URL"}
        env.update({"LOCKGATE_HOME": str(home), "LOCKGATE_SQLITE_SYNCHRONOUS": synchronous,
                    "LOCKGATE_SANDBOX": "none", "LOCKGATE_ALLOW_UNCONFINED_SCRIPTS": "true",
                    "LOCKGATE_LOG_FORMAT": "text"})  # fmt: skip
        argv = [
            sys.executable,
            "-c",
            "from lockgate.cli.main import app; app()",
            "serve",
            "--port",
            str(self.port),
            *extra,
        ]
        self.log = (home / "serve.log").open("wb")
        self.proc = subprocess.Popen(argv, env=env, stdout=self.log, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + 60
        while not self._ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {(home / 'serve.log').read_text()}")
            time.sleep(0.1)

    def _ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def client(self, role: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.keys[role]}"}, timeout=60)

    def process(self) -> dict[str, Any]:
        proc = psutil.Process(self.proc.pid)
        return {"rss_mb": proc.memory_info().rss / 2**20, "threads": proc.num_threads(),
                "children": len(proc.children(recursive=True))}  # fmt: skip

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def timings(call: Any, samples: int) -> list[float]:
    """Seconds each of ``samples`` successive calls took (each must answer 2xx)."""
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        response = call()
        times.append(time.perf_counter() - started)
        response.raise_for_status()
    return times


def median_ms(call: Any, samples: int) -> float:
    return statistics.median(timings(call, samples)) * 1000
