"""Files a step controls, opened by the server without ever following a link.

A step writes its workspace; once promoted, its files are read by the API, by later steps and by extend.
Every such access walks down from a folder the server made, one folder at a time relative to an open
folder (``openat``) and without following a link (``O_NOFOLLOW``). A file is opened only after its own
inode was checked through an ``O_PATH`` descriptor, which opens nothing: symbolic links, FIFOs, sockets and
devices are refused, and so are regular files with more than one name where the caller asks it (a hard link
a step made to a server file). Why it matters beyond secrets: the server opening and closing its own
``lockgate.db`` through a second descriptor drops its SQLite locks (POSIX locks belong to a process and an
inode), and the next CLI on the same home then deletes the WAL the server is still writing.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import os
import secrets
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from io import BufferedReader

__all__ = [
    "MAX_DEPTH",
    "Refusal",
    "RefusedFileError",
    "ScannedFile",
    "Sweep",
    "fd_path",
    "link_or_copy",
    "open_regular",
    "refusal",
    "regular_files",
    "sweep",
    "write_file",
]

MAX_DEPTH = 64  # folders deeper than this are not walked: each level holds a descriptor
_CHUNK = 1 << 20
_O_PATH: int = getattr(os, "O_PATH", 0)  # Linux; elsewhere a checked lstat, then an open compared by inode
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class RefusedFileError(OSError):
    """A path the server will not open: a link, a FIFO, a socket, a device, a hard link, a path with ``..``."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"refused {path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Refusal:
    path: str  # relative to the walked folder, with /
    reason: str


@dataclass(frozen=True, slots=True)
class ScannedFile:
    path: str  # relative to the walked folder, with /
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Sweep:
    files: list[ScannedFile]
    refused: list[Refusal]


def refusal(info: os.stat_result, *, one_name: bool) -> str | None:
    """Why the server will not open a file of this kind (None: a regular file it may open)."""
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return f"a hard link ({info.st_nlink} names)" if one_name and info.st_nlink > 1 else None
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def fd_path(fd: int) -> str:
    """A path that reopens this very descriptor's file (for APIs that take a path), whatever its name now."""
    return f"{_fd_folder()}/{fd}"


@functools.cache
def _fd_folder() -> str:
    return "/proc/self/fd" if Path("/proc/self/fd").is_dir() else "/dev/fd"


def _parts(relative: str) -> list[str]:
    parts = relative.split("/")
    if any(part in {"", ".", ".."} for part in parts):
        raise RefusedFileError(relative, "not a plain relative path")
    return parts


def _describe(dir_fd: int | None, name: str) -> str:
    try:
        return refusal(os.stat(name, dir_fd=dir_fd, follow_symlinks=False), one_name=False) or "not a folder"
    except OSError as exc:
        return exc.strerror or "unreadable"


def _enter(dir_fd: int | None, name: str, shown: str) -> int:
    try:
        return os.open(name, _DIR, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in {errno.ELOOP, errno.ENOTDIR}:
            raise RefusedFileError(shown, _describe(dir_fd, name)) from None
        raise


@contextlib.contextmanager
def _folder(base: Path, parts: Sequence[str], *, create: bool = False) -> Iterator[int]:
    """The folder ``base/parts…``; ``base`` is the server's own (a link to it is followed), the parts never are."""
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for depth, name in enumerate(parts):
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(name, dir_fd=fd)
            inner = _enter(fd, name, "/".join(parts[: depth + 1]))
            os.close(fd)
            fd = inner
        yield fd
    finally:
        os.close(fd)


def _check(info: os.stat_result, shown: str, one_name: bool) -> None:
    reason = refusal(info, one_name=one_name)
    if reason is not None:
        raise RefusedFileError(shown, reason)


def _open_at(dir_fd: int, name: str, shown: str, *, one_name: bool) -> int:
    """A read-only descriptor of the regular file ``name``, whose inode was checked before anything opened it."""
    if _O_PATH:
        pin = os.open(name, _O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
        try:  # closing an O_PATH descriptor releases no lock; reopening it reaches the checked inode only
            _check(os.fstat(pin), shown, one_name)
            return os.open(fd_path(pin), os.O_RDONLY | os.O_CLOEXEC)
        finally:
            os.close(pin)
    seen = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    _check(seen, shown, one_name)
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    opened = os.fstat(fd)
    if (opened.st_dev, opened.st_ino) != (seen.st_dev, seen.st_ino):
        os.close(fd)
        raise RefusedFileError(shown, "it was replaced while being opened")
    return fd


def open_regular(base: Path, relative: str, *, one_name: bool = True) -> BufferedReader:
    """The regular file ``base/relative`` for reading; RefusedFileError or FileNotFoundError otherwise.

    ``one_name=False`` accepts hard links: promoted files an extending run linked into its own folder.
    """
    parts = _parts(relative)
    with _folder(base, parts[:-1]) as fd:
        return os.fdopen(_open_at(fd, parts[-1], relative, one_name=one_name), "rb")


def _digest(dir_fd: int, name: str, shown: str) -> ScannedFile:
    with os.fdopen(_open_at(dir_fd, name, shown, one_name=True), "rb") as file:
        digest = hashlib.sha256()
        size = 0
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return ScannedFile(path=shown, size=size, sha256=digest.hexdigest())


@dataclass(slots=True)
class _Walk:
    one_name: bool
    hashed: bool
    remove: bool  # remove what is refused, so that the folder holds only what was described
    files: list[ScannedFile]
    refused: list[Refusal]

    def folder(self, fd: int, prefix: str, depth: int) -> None:
        for name in sorted(os.listdir(fd)):
            shown = f"{prefix}{name}"
            try:
                info = os.stat(name, dir_fd=fd, follow_symlinks=False)
                if stat.S_ISDIR(info.st_mode):
                    self._descend(fd, name, shown, depth)
                    continue
                _check(info, shown, self.one_name)
                self.files.append(_digest(fd, name, shown) if self.hashed else ScannedFile(shown, info.st_size, ""))
            except RefusedFileError as exc:
                self._refuse(fd, name, shown, exc.reason)
            except PermissionError:  # the step took the server's access away (chmod 000)
                self._refuse(fd, name, shown, "not readable by the server")
            except FileNotFoundError:
                continue  # gone while walking: nothing to describe

    def _descend(self, fd: int, name: str, shown: str, depth: int) -> None:
        if depth >= MAX_DEPTH:
            self._refuse(fd, name, shown, f"nested deeper than {MAX_DEPTH} folders")
            return
        inner = _enter(fd, name, shown)
        try:
            self.folder(inner, shown + "/", depth + 1)
        finally:
            os.close(inner)

    def _refuse(self, fd: int, name: str, shown: str, reason: str) -> None:
        self.refused.append(Refusal(shown, reason))
        if not self.remove:
            return
        with contextlib.suppress(OSError):  # what cannot be removed stays, still undescribed
            if stat.S_ISDIR(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode):
                shutil.rmtree(name, dir_fd=fd)  # fd-based: it follows no link inside
            else:
                os.unlink(name, dir_fd=fd)  # removes the link, FIFO or extra name, never its target


def _walk(root: Path, walk: _Walk) -> Sweep:
    fd = _enter(None, str(root), str(root))  # the root itself must not be a link either
    try:
        walk.folder(fd, "", 0)
    finally:
        os.close(fd)
    walk.files.sort(key=lambda f: f.path.split("/"))
    return Sweep(files=walk.files, refused=walk.refused)


def sweep(workspace: Path) -> Sweep:
    """A workspace's regular files with one name, hashed; everything else refused and removed from it."""
    return _walk(workspace, _Walk(one_name=True, hashed=True, remove=True, files=[], refused=[]))


def regular_files(folder: Path) -> list[str]:
    """The regular files under a promoted folder (hard links included), relative, without opening any."""
    return [
        f.path for f in _walk(folder, _Walk(one_name=False, hashed=False, remove=False, files=[], refused=[])).files
    ]


def write_file(base: Path, relative: str, data: bytes | Callable[[IO[bytes]], object]) -> None:
    """Write ``base/relative`` (folders made as needed): a new file renamed over whatever had the name.

    Nothing at the name is ever opened: a link there is replaced, not followed; a hard link loses a name.
    ``data`` is the content, or a function that writes it to the new file.
    """
    parts = _parts(relative)
    with _folder(base, parts[:-1], create=True) as fd:
        temp = f".{parts[-1][:200]}.{secrets.token_hex(6)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            with os.fdopen(os.open(temp, flags, 0o666, dir_fd=fd), "wb") as out:
                if isinstance(data, bytes):
                    out.write(data)
                else:
                    data(out)
            os.rename(temp, parts[-1], src_dir_fd=fd, dst_dir_fd=fd)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp, dir_fd=fd)
            raise


def link_or_copy(source: Path, relative: str, target: Path) -> None:
    """``source/relative`` at ``target/relative`` as a hard link (a copy across devices); links are never followed."""
    parts = _parts(relative)
    with _folder(source, parts[:-1]) as src, _folder(target, parts[:-1], create=True) as dst:
        _check(os.stat(parts[-1], dir_fd=src, follow_symlinks=False), relative, False)
        try:
            os.link(parts[-1], parts[-1], src_dir_fd=src, dst_dir_fd=dst, follow_symlinks=False)
            return
        except FileExistsError:
            return  # linked before (this is done again after a crash)
        except OSError:
            pass  # another device, or a filesystem without hard links: copy
        with os.fdopen(_open_at(src, parts[-1], relative, one_name=False), "rb") as file:
            write_file(target, relative, lambda out: shutil.copyfileobj(file, out))
