"""A step's workspace holds links, FIFOs and hard links: the server never opens what they point to.

Each test plays an editor whose script plants something in its workspace, then reads the run as a viewer:
no content, size or sha256 of the target, a warning in the attempt's log naming the refused file, and the
server's database intact. Scripts run under bubblewrap, except the hard-link test (a confined script
cannot link to a server file; an unconfined one can).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from tests.security.hostile import API
from tests.security.test_workspace_wal import assert_wal_untouched, pipelines_after_kill

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.security.hostile import Hostile

UNCONFINED = {"LOCKGATE_ALLOW_UNCONFINED_SCRIPTS": "true"}


def _script(name: str, code: str) -> dict[str, Any]:
    return {"name": name, "nodes": [{"id": "plant", "kind": "script", "config": {"code": code}}]}


def _secret_file(hostile: Hostile) -> Path:
    """A server file outside every workspace, like /etc/shadow: only the server user may read it."""
    path = hostile.tmp / "shadow"
    path.write_text("root:shadow-secret-5e1d:19000:0:99999:7:::\n")
    path.chmod(0o600)
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _artifact_names(hostile: Hostile, run_id: str) -> list[str]:
    with hostile.client("viewer") as client:
        listed = client.get(f"{API}/runs/{run_id}/artifacts")
    assert listed.status_code == 200, listed.text
    return sorted(a["name"] for a in listed.json())


def _assert_hidden(seen: str, *targets: Path) -> None:
    """Nothing of the targets in what a viewer reads: neither content nor sha256."""
    for target in targets:
        if target.is_file():
            assert _sha256(target) not in seen
            content = target.read_text(errors="replace").strip()
            assert content and content not in seen


def _assert_warned(seen: str, *names: str) -> None:
    for name in names:
        assert f"refused {name}:" in seen, f"no warning names {name}"


def test_a_link_to_a_server_file_is_neither_opened_nor_listed(hostile: Hostile) -> None:
    shadow, key = _secret_file(hostile), hostile.home / "secret.key"
    code = (f"import os\nos.symlink({str(key)!r}, 'key.txt')\nos.symlink({str(shadow)!r}, 'shadow.txt')\n"
            "open('note.txt', 'w').write('note-71ab')\noutput = 'planted'")  # fmt: skip
    run = hostile.save_and_run(_script("link-file", code))
    assert run["status"] == "succeeded", run
    assert _artifact_names(hostile, run["id"]) == ["note.txt"]
    seen = hostile.viewer_reads(run["id"])
    assert "note-71ab" in seen
    _assert_hidden(seen, shadow, key)
    _assert_warned(seen, "key.txt", "shadow.txt")
    hostile.assert_intact()


def test_a_link_to_a_folder_is_not_descended(hostile: Hostile) -> None:
    shadow = _secret_file(hostile)
    code = (f"import os\nos.symlink({str(hostile.home)!r}, 'home')\nos.symlink({str(shadow.parent)!r}, 'outside')\n"
            "output = 'planted'")  # fmt: skip
    run = hostile.save_and_run(_script("link-folder", code))
    assert run["status"] == "succeeded", run
    assert _artifact_names(hostile, run["id"]) == []
    seen = hostile.viewer_reads(run["id"])
    _assert_hidden(seen, shadow, hostile.home / "secret.key")
    assert "lockgate.db" not in seen
    _assert_warned(seen, "home", "outside")
    hostile.assert_intact()


def test_links_in_nested_folders_and_a_linked_nested_folder(hostile: Hostile) -> None:
    shadow = _secret_file(hostile)
    code = ("import os\nos.makedirs('a/b')\n"
            f"os.symlink({str(shadow)!r}, 'a/b/shadow.txt')\nos.symlink({str(shadow.parent)!r}, 'a/outside')\n"
            f"os.symlink({str(hostile.home / 'lockgate.db')!r}, 'a/b/db')\n"
            "open('a/b/kept.txt', 'w').write('kept-8c2e')\noutput = 'planted'")  # fmt: skip
    run = hostile.save_and_run(_script("link-nested", code))
    assert run["status"] == "succeeded", run
    assert _artifact_names(hostile, run["id"]) == ["a/b/kept.txt"]
    seen = hostile.viewer_reads(run["id"])
    assert "kept-8c2e" in seen
    _assert_hidden(seen, shadow)
    _assert_warned(seen, "a/b/shadow.txt", "a/outside", "a/b/db")
    hostile.assert_intact()


def test_a_link_to_the_database_leaves_its_locks_and_wal_alone(hostile: Hostile) -> None:
    db = hostile.home / "lockgate.db"
    before = hostile.save(_script("written-before", "output = 1"))
    assert before.status_code == 201, before.text
    wal_inode = (hostile.home / "lockgate.db-wal").stat().st_ino
    links = "".join(f"os.symlink({str(db) + suffix!r}, 'db{suffix}')\n" for suffix in ("", "-wal", "-shm"))
    run = hostile.save_and_run(_script("link-db", f"import os\n{links}output = 'planted'"))
    assert run["status"] == "succeeded", run
    assert _artifact_names(hostile, run["id"]) == []
    seen = hostile.viewer_reads(run["id"])
    _assert_warned(seen, "db", "db-wal", "db-shm")
    # Any CLI command on the same home, while the server runs: the last to close would delete the WAL
    # if the server had lost its locks.
    for args in (("runs", "list"), ("artifacts", "list", run["id"]), ("runs", "show", run["id"])):
        done = hostile.lockgate(*args)
        assert done.returncode == 0, done.stderr
        assert_wal_untouched(hostile, wal_inode)
    hostile.assert_intact()
    after = hostile.save(_script("written-after", "output = 2"))
    assert after.status_code == 201, after.text
    assert {"written-before", "written-after", "link-db"} <= pipelines_after_kill(hostile)


def test_a_hard_link_to_a_server_file_is_refused(hostile_factory: Callable[..., Hostile]) -> None:
    hostile = hostile_factory(sandbox="none", env=UNCONFINED)
    shadow, db = _secret_file(hostile), hostile.home / "lockgate.db"
    code = (f"import os\nos.link({str(shadow)!r}, 'shadow.txt')\nos.link({str(db)!r}, 'db')\n"
            "open('note.txt', 'w').write('note-44f0')\noutput = 'planted'")  # fmt: skip
    run = hostile.save_and_run(_script("hard-link", code))
    assert run["status"] == "succeeded", run
    assert _artifact_names(hostile, run["id"]) == ["note.txt"]
    seen = hostile.viewer_reads(run["id"])
    _assert_hidden(seen, shadow)
    _assert_warned(seen, "shadow.txt", "db")
    assert shadow.stat().st_nlink == 1  # the workspace's name for it is gone with the refusal
    done = hostile.lockgate("runs", "list")
    assert done.returncode == 0, done.stderr
    hostile.assert_intact()


def test_a_fifo_does_not_block_promotion(hostile: Hostile) -> None:
    code = "import os\nos.mkfifo('pipe')\nos.mkdir('sub')\nos.mkfifo('sub/pipe')\nopen('a.txt', 'w').write('a')\n"
    run = hostile.save_and_run(_script("fifo", code + "output = 'planted'"))
    assert run["status"] == "succeeded", run
    assert _artifact_names(hostile, run["id"]) == ["a.txt"]
    seen = hostile.viewer_reads(run["id"])
    _assert_warned(seen, "pipe", "sub/pipe")
    hostile.assert_intact()


def test_a_linked_output_json_fails_the_step_without_reading_it(hostile: Hostile) -> None:
    shadow = _secret_file(hostile)
    run = hostile.save_and_run(_script("link-output", f"import os\nos.symlink({str(shadow)!r}, 'output.json')"))
    assert run["status"] == "failed", run
    seen = hostile.viewer_reads(run["id"])
    assert "output.json is a symbolic link" in seen
    _assert_hidden(seen, shadow)
    assert json.dumps(_artifact_names(hostile, run["id"])) == "[]"
    hostile.assert_intact()
