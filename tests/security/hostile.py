"""A real ``lockgate serve`` on SQLite to attack, and what a viewer can read of it afterwards.

Every test in ``tests/security/`` plays a hostile editor (or webhook caller) against this server, then
asserts what a viewer reads and that the database survived: ``PRAGMA integrity_check`` is ``ok`` and none
of the server's open database files was unlinked under it.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from tests.integration.helpers import cli, cli_env, poll, spawn_cli

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["API", "ROLES", "Hostile"]

API = "/api/v1"
ROLES = ("admin", "editor", "operator", "viewer")
_DB_FILES = ("lockgate.db", "lockgate.db-wal", "lockgate.db-shm")


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Hostile:
    """``lockgate serve`` in ``home`` (SQLite), keys for every role; ``env`` adds or overrides settings.

    ``sandbox`` is ``LOCKGATE_SANDBOX``: ``bwrap`` (required, the default here) or ``none``.
    """

    def __init__(self, tmp: Path, *, sandbox: str = "bwrap", env: Mapping[str, str] | None = None) -> None:
        self.tmp = tmp
        self.home = tmp / "home"
        self.url = f"http://127.0.0.1:{_port()}"
        self.env = cli_env(LOCKGATE_SANDBOX=sandbox, **dict(env or {}))
        self.keys = {"admin": self._key("admin")}  # the others over the API once it serves: a CLI start costs 2 s
        self.proc: subprocess.Popen[bytes] | None = None
        self._inodes: dict[str, int] = {}

    # ------------------------------------------------------------------------------------------- process

    def _key(self, role: str) -> str:
        made = cli(self.home, None, "keys", "create", "--user", role, "--role", role, env=self.env)
        assert made.returncode == 0, made.stderr
        return made.stdout.strip().splitlines()[-1]

    def start(self) -> Hostile:
        port = self.url.rsplit(":", 1)[1]
        self.proc = spawn_cli(self.home, None, "serve", "--port", port, log=self.log_path, env=self.env)
        poll(self._healthy, timeout=60, what=self.log)
        self._inodes = self._db_inodes()
        with self.client("admin") as admin:
            for role in ROLES:
                if role not in self.keys:
                    assert admin.post(f"{API}/users", json={"name": role, "role": role}).status_code == 201
                    made = admin.post(f"{API}/keys", json={"user": role, "name": f"{role} key"})
                    assert made.status_code == 201, made.text
                    self.keys[role] = made.json()["key"]
        return self

    def _healthy(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, self.log()
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"{self.url}/ready", timeout=2).status_code == 200
        return False

    @property
    def log_path(self) -> Path:
        return self.tmp / "serve.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)

    def client(self, role: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.keys[role]}"}, timeout=60)

    def lockgate(self, *args: str, role: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """A CLI command on the same home: through the server with ``role``'s key, else on the database."""
        env = dict(self.env)
        if role is not None:
            env.update(LOCKGATE_URL=self.url, LOCKGATE_API_KEY=self.keys[role])
        return cli(self.home, None, *args, env=env, timeout=timeout)

    # ------------------------------------------------------------------------------------------- pipelines

    def save(self, definition: Mapping[str, Any], role: str = "editor") -> httpx.Response:
        """POST the definition as ``role``; the response as it came (a test may expect a refusal)."""
        with self.client(role) as client:
            return client.post(f"{API}/pipelines", json=dict(definition))

    def run(self, name: str, inputs: Mapping[str, Any] | None = None, role: str = "editor") -> str:
        with self.client(role) as client:
            started = client.post(f"{API}/pipelines/{name}/runs", json={"input": dict(inputs or {})})
        assert started.status_code in {200, 201, 202}, started.text
        run_id: str = started.json()["id"]
        return run_id

    def finish(self, run_id: str, timeout: float = 90) -> dict[str, Any]:
        """The run once it has ended (any end), as a viewer reads it."""
        deadline = time.monotonic() + timeout
        with self.client("viewer") as client:
            while True:
                body: dict[str, Any] = client.get(f"{API}/runs/{run_id}").json()
                if body["status"] in {"succeeded", "failed", "cancelled"}:
                    return body
                assert time.monotonic() < deadline, body
                time.sleep(0.05)

    def save_and_run(self, definition: Mapping[str, Any], inputs: Mapping[str, Any] | None = None) -> dict[str, Any]:
        saved = self.save(definition)
        assert saved.status_code in {200, 201}, saved.text
        return self.finish(self.run(str(definition["name"]), inputs))

    # ------------------------------------------------------------------------------------ what a viewer reads

    def viewer_reads(self, run_id: str) -> str:
        """Everything a viewer can read of a run, as one text: run, steps, events, logs, artifacts and previews."""
        parts: list[str] = []
        with self.client("viewer") as client:
            run = client.get(f"{API}/runs/{run_id}")
            parts.append(run.text)
            parts.append(client.get(f"{API}/runs/{run_id}/events", params={"limit": 1000}).text)
            parts.append(client.get(f"{API}/runs/{run_id}/steps").text)
            for step in run.json().get("steps", []):
                key = step["key"]
                detail = client.get(f"{API}/runs/{run_id}/steps/{key}")
                parts.append(detail.text)
                for attempt in detail.json().get("attempts", []):
                    logs = client.get(f"{API}/runs/{run_id}/steps/{key}/logs", params={"attempt": attempt["number"]})
                    parts.append(logs.text)
            listed = client.get(f"{API}/runs/{run_id}/artifacts")
            parts.append(listed.text)
            for artifact in listed.json() if listed.status_code == 200 else []:
                parts.append(client.get(f"{API}/artifacts/{artifact['id']}/preview").text)
                parts.append(client.get(f"{API}/artifacts/{artifact['id']}/content").text)
        return "\n".join(parts)

    # --------------------------------------------------------------------------------------- the database

    def _db_inodes(self) -> dict[str, int]:
        return {name: (self.home / name).stat().st_ino for name in _DB_FILES if (self.home / name).exists()}

    def integrity(self) -> str:
        """``PRAGMA integrity_check`` through a read-only connection (it never checkpoints or deletes the WAL)."""
        uri = f"file:{self.home / 'lockgate.db'}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
            row = conn.execute("PRAGMA integrity_check").fetchone()
        return str(row[0])

    def deleted_db_files(self) -> list[str]:
        """The server's open database files that were unlinked or replaced since it started ([] when intact)."""
        assert self.proc is not None
        gone: list[str] = []
        for fd in Path(f"/proc/{self.proc.pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = str(fd.readlink())
                if "lockgate.db" in target and target.endswith(" (deleted)"):
                    gone.append(target)
        gone += [name for name, inode in self._inodes.items() if self._db_inodes().get(name) != inode]
        return gone

    def assert_intact(self) -> None:
        """The server is alive, its database files are the ones it opened, and the database is sound."""
        assert self.proc is not None and self.proc.poll() is None, self.log()
        assert self.deleted_db_files() == []
        assert self.integrity() == "ok"
