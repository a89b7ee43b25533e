"""CLI commands on the home of a running server leave its WAL alone, and what the server acknowledged stays.

SQLite deletes the WAL when the last connection closes, and knows it is the last from its POSIX locks.
They hold as long as the server never opens its database file a second time (see test_workspace_files.py
for a step that tries to make it): then no CLI command, whatever it does to the database, ever unlinks or
truncates the WAL the server writes.
"""

from __future__ import annotations

import contextlib
import signal
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.integration.helpers import write_pipeline

if TYPE_CHECKING:
    from tests.security.hostile import Hostile


def _script(name: str, code: str = "open('note.txt', 'w').write('n')\noutput = 1") -> dict[str, Any]:
    return {"name": name, "nodes": [{"id": "work", "kind": "script", "config": {"code": code}}]}


def wal_fd_targets(pid: int) -> list[str]:
    """Where the server's descriptors of its WAL point (``… (deleted)`` once someone unlinked it)."""
    targets = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = str(fd.readlink())
            if "lockgate.db-wal" in target:
                targets.append(target)
    return targets


def assert_wal_untouched(hostile: Hostile, inode: int) -> None:
    assert hostile.proc is not None
    assert (hostile.home / "lockgate.db-wal").stat().st_ino == inode
    targets = wal_fd_targets(hostile.proc.pid)
    assert targets and all(not t.endswith(" (deleted)") for t in targets), targets


def pipelines_after_kill(hostile: Hostile) -> set[str]:
    """SIGKILL the server, then read what its database holds (recovering the WAL as a restart would)."""
    assert hostile.proc is not None
    hostile.proc.send_signal(signal.SIGKILL)
    hostile.proc.wait(timeout=30)
    with contextlib.closing(sqlite3.connect(hostile.home / "lockgate.db")) as conn:
        names = {str(row[0]) for row in conn.execute("SELECT name FROM pipelines")}
    assert hostile.integrity() == "ok"
    return names


def test_cli_commands_beside_a_running_server_never_delete_its_wal(hostile: Hostile) -> None:
    before = hostile.save_and_run(_script("written-before"))
    assert before["status"] == "succeeded", before
    inode = (hostile.home / "lockgate.db-wal").stat().st_ino
    file = write_pipeline(hostile.tmp, _script("from-cli"))
    with hostile.client("viewer") as client:
        artifact = client.get(f"/api/v1/runs/{before['id']}/artifacts").json()[0]["id"]
    commands = [("runs", "list"), ("runs", "show", before["id"]), ("artifacts", "list", before["id"]),
                ("artifacts", "get", artifact), ("validate", str(file)), ("db", "upgrade"),
                ("keys", "create", "--user", "late", "--role", "viewer"), ("run", str(file), "--quiet")]  # fmt: skip
    for args in commands:
        done = hostile.lockgate(*args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        assert_wal_untouched(hostile, inode)
    hostile.assert_intact()
    after = hostile.save(_script("written-after"))
    assert after.status_code == 201, after.text
    assert {"written-before", "from-cli", "written-after"} <= pipelines_after_kill(hostile)
