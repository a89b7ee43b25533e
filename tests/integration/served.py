"""``lockgate serve`` as a subprocess on a free port, with API keys per role made by ``lockgate keys create``."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
from typing import TYPE_CHECKING

import httpx
from tests.integration.api.people import EDITORIAL
from tests.integration.helpers import cli, cli_env, poll, spawn_cli

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

__all__ = ["Served"]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Served:
    def __init__(self, home: Path, database_url: str, tmp: Path) -> None:
        self.home, self.database_url, self.tmp = home, database_url, tmp
        self.url = f"http://127.0.0.1:{_port()}"
        self.keys = {role: self._key(role) for role in ("admin", "editor", "operator")}
        self.proc: subprocess.Popen[bytes] | None = None

    def _key(self, role: str) -> str:
        made = cli(self.home, self.database_url, "keys", "create", "--user", role, "--role", role)
        assert made.returncode == 0, made.stderr
        return made.stdout.strip().splitlines()[-1]

    def start(self) -> None:
        port = self.url.rsplit(":", 1)[1]
        self.proc = spawn_cli(self.home, self.database_url, "serve", "--port", port, "--example", str(EDITORIAL),
                              log=self.tmp / "serve.log")  # fmt: skip
        poll(self._healthy, timeout=60, what=lambda: (self.tmp / "serve.log").read_text())

    def _healthy(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, (self.tmp / "serve.log").read_text()
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"{self.url}/ready", timeout=2).status_code == 200
        return False

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def client(self, role: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.keys[role]}"}, timeout=30)

    def lockgate(self, role: str, *args: str) -> subprocess.CompletedProcess[str]:
        env = cli_env(LOCKGATE_URL=self.url, LOCKGATE_API_KEY=self.keys[role])
        return cli(self.home, self.database_url, *args, env=env)
