"""Files a step controls: walked and opened without following a link, refused unless regular with one name."""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from lockgate.security.safe_files import (
    MAX_DEPTH,
    Refusal,
    RefusedFileError,
    link_or_copy,
    open_regular,
    regular_files,
    sweep,
    write_file,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

_LOCKED = "import fcntl, sys\nwith open(sys.argv[1], 'r+') as f:\n    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A server file no step may read: the target of every link below."""
    secret = tmp_path / "outside" / "secret.key"
    secret.parent.mkdir()
    secret.write_text("server-only-3f9a")
    return secret


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    folder = tmp_path / "ws"
    folder.mkdir()
    return folder


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_sweep_describes_regular_files_in_path_order(ws: Path) -> None:
    (ws / "b").mkdir()
    (ws / "b" / "z.txt").write_text("zz")
    (ws / "a.txt").write_text("a")
    (ws / "b.txt").write_text("")
    swept = sweep(ws)
    assert [(f.path, f.size, f.sha256) for f in swept.files] == [  # folder by folder, as pathlib sorts
        ("a.txt", 1, _sha(b"a")), ("b/z.txt", 2, _sha(b"zz")), ("b.txt", 0, _sha(b""))
    ]  # fmt: skip
    assert swept.refused == []


def test_sweep_refuses_and_removes_links_fifos_sockets_and_hard_links(ws: Path, outside: Path) -> None:
    (ws / "sub").mkdir()
    (ws / "file-link").symlink_to(outside)
    (ws / "folder-link").symlink_to(outside.parent)
    (ws / "sub" / "nested-link").symlink_to(outside)
    (ws / "dangling").symlink_to(ws / "nowhere")
    os.mkfifo(ws / "fifo")  # opening it would block: it must never be opened
    os.link(outside, ws / "hard")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(ws / "sock"))
        swept = sweep(ws)
    assert swept.files == []
    assert sorted(swept.refused, key=lambda r: r.path) == [
        Refusal("dangling", "a symbolic link"), Refusal("fifo", "a FIFO"), Refusal("file-link", "a symbolic link"),
        Refusal("folder-link", "a symbolic link"), Refusal("hard", "a hard link (2 names)"),
        Refusal("sock", "a socket"), Refusal("sub/nested-link", "a symbolic link"),
    ]  # fmt: skip
    assert sorted(p.name for p in ws.rglob("*")) == ["sub"]
    assert outside.read_text() == "server-only-3f9a" and outside.stat().st_nlink == 1


def test_sweep_stops_at_a_depth_and_removes_what_is_deeper(ws: Path) -> None:
    deep = ws.joinpath(*["d"] * (MAX_DEPTH + 2))
    deep.mkdir(parents=True)
    (deep / "x.txt").write_text("x")
    (ws / "top.txt").write_text("t")
    swept = sweep(ws)
    assert [f.path for f in swept.files] == ["top.txt"]
    assert swept.refused == [Refusal("/".join(["d"] * (MAX_DEPTH + 1)), f"nested deeper than {MAX_DEPTH} folders")]
    assert not deep.exists()


def test_sweep_refuses_a_root_that_is_a_link(tmp_path: Path, ws: Path) -> None:
    (ws / "a.txt").write_text("a")
    (tmp_path / "linked").symlink_to(ws)
    with pytest.raises(RefusedFileError, match="a symbolic link"):
        sweep(tmp_path / "linked")


def test_regular_files_lists_hard_links_and_leaves_everything(ws: Path, outside: Path) -> None:
    (ws / "a.txt").write_text("a")
    os.link(ws / "a.txt", ws / "reused.txt")  # an extending run's folder holds links to earlier runs' files
    (ws / "link").symlink_to(outside)
    assert regular_files(ws) == ["a.txt", "reused.txt"]
    assert (ws / "link").is_symlink()


def test_open_regular_reads_a_regular_file(ws: Path) -> None:
    (ws / "a").mkdir()
    (ws / "a" / "b.txt").write_text("content")
    with open_regular(ws, "a/b.txt") as file:
        assert file.read() == b"content"


@pytest.mark.parametrize("relative", ["link", "sub/link", "linked-folder/secret.key", "fifo", "../outside/secret.key",
                                      "/etc/passwd", "a//b", "sub/."])  # fmt: skip
def test_open_regular_refuses_whatever_is_not_a_plain_path_to_a_regular_file(
    ws: Path, outside: Path, relative: str
) -> None:
    (ws / "sub").mkdir()
    (ws / "link").symlink_to(outside)
    (ws / "sub" / "link").symlink_to(outside)
    (ws / "linked-folder").symlink_to(outside.parent)
    os.mkfifo(ws / "fifo")
    with pytest.raises(RefusedFileError):
        open_regular(ws, relative)


def test_open_regular_refuses_a_hard_link_unless_told_otherwise(ws: Path, outside: Path) -> None:
    os.link(outside, ws / "hard")
    with pytest.raises(RefusedFileError, match=r"a hard link \(2 names\)"):
        open_regular(ws, "hard")
    with open_regular(ws, "hard", one_name=False) as file:
        assert file.read() == b"server-only-3f9a"


def test_open_regular_says_when_a_file_is_absent(ws: Path) -> None:
    with pytest.raises(FileNotFoundError):
        open_regular(ws, "missing.txt")


@pytest.fixture
def locked(outside: Path) -> Iterator[Path]:
    """``outside`` with a POSIX lock held by this process, as SQLite holds one on its database."""
    with outside.open("r+") as holder:
        fcntl.lockf(holder, fcntl.LOCK_SH)
        yield outside


def _lock_held(path: Path) -> bool:
    other = subprocess.run([sys.executable, "-c", _LOCKED, str(path)], capture_output=True, check=False)
    return other.returncode != 0


def test_refusing_a_link_keeps_the_locks_of_this_process_on_its_target(ws: Path, locked: Path) -> None:
    (ws / "link").symlink_to(locked)
    os.link(locked, ws / "hard")
    assert _lock_held(locked)
    with pytest.raises(RefusedFileError):
        open_regular(ws, "hard")
    sweep(ws)
    assert _lock_held(locked)
    # What the module prevents: an ordinary open and close of the same inode drops the lock.
    locked.open("rb").close()
    assert not _lock_held(locked)


def test_write_file_replaces_a_link_at_its_name_and_never_writes_through_it(ws: Path, outside: Path) -> None:
    (ws / "notes").mkdir()
    (ws / "notes" / "plan.md").symlink_to(outside)
    os.link(outside, ws / "hard.md")
    write_file(ws, "notes/plan.md", b"# Plan")
    write_file(ws, "hard.md", b"mine")
    write_file(ws, "new/deeper/file.txt", lambda out: out.write(b"streamed"))
    assert outside.read_text() == "server-only-3f9a" and outside.stat().st_nlink == 1
    assert (ws / "notes" / "plan.md").read_text() == "# Plan" and not (ws / "notes" / "plan.md").is_symlink()
    assert (ws / "hard.md").read_text() == "mine"
    assert (ws / "new" / "deeper" / "file.txt").read_text() == "streamed"
    assert sorted(p.name for p in ws.rglob("*.tmp")) == []


def test_write_file_refuses_a_folder_that_is_a_link(ws: Path, outside: Path) -> None:
    (ws / "escape").symlink_to(outside.parent)
    with pytest.raises(RefusedFileError, match="escape: a symbolic link"):
        write_file(ws, "escape/planted.txt", b"x")
    assert sorted(p.name for p in outside.parent.iterdir()) == ["secret.key"]


def test_link_or_copy_links_regular_files_and_refuses_links(tmp_path: Path, outside: Path) -> None:
    source, target = tmp_path / "v1", tmp_path / "v2"
    (source / "step").mkdir(parents=True)
    (source / "step" / "a.txt").write_text("a")
    (source / "step" / "link").symlink_to(outside)
    target.mkdir()
    link_or_copy(source, "step/a.txt", target)
    link_or_copy(source, "step/a.txt", target)  # again after a crash: nothing changes
    assert (target / "step" / "a.txt").stat().st_ino == (source / "step" / "a.txt").stat().st_ino
    with pytest.raises(RefusedFileError, match="a symbolic link"):
        link_or_copy(source, "step/link", target)
    assert not (target / "step" / "link").exists()
