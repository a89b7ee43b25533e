"""A cgroup per script attempt: its whole process tree bounded in process count and memory, killed and removed after.

rlimits bind one process (RLIMIT_AS) or one uid (RLIMIT_NPROC, ignored for root): only a cgroup bounds a tree.
cgroup v1 (a ``pids`` and a ``memory`` hierarchy) and v2 (one tree, where controllers are delegated) are both used,
per controller, under a ``lockgate`` folder next to the server's own cgroup. Nothing is in force until a probe
made, limited and removed a cgroup of the kind.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import uuid
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath

__all__ = ["AttemptCgroup", "CgroupSupport", "Controller", "cgroup_support"]

_PARENT = "lockgate"
_KILL_ROUNDS = 500  # x 10 ms: a tree bounded by pids.max empties in a few rounds
_PROBE_BYTES = 64 << 20


class Controller(StrEnum):
    PIDS = "pids"
    MEMORY = "memory"


@dataclass(frozen=True, slots=True)
class _Hierarchy:
    version: int  # 1 or 2
    parent: Path  # the ``lockgate`` folder holding the attempts' cgroups

    def limit_files(self, controller: Controller) -> tuple[str, ...]:
        match controller:
            case Controller.PIDS:
                return ("pids.max",)
            case Controller.MEMORY:  # swap counts too where the kernel accounts it: the bound is not a swap quota
                if self.version == 1:
                    return ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes")
                return ("memory.max", "memory.swap.max")


@dataclass(frozen=True, slots=True)
class CgroupSupport:
    """Where each controller's attempt cgroups go; a controller absent from ``where`` is not available (``why``)."""

    where: dict[Controller, _Hierarchy]
    why: dict[Controller, str]

    def describe(self, controller: Controller) -> str | None:
        hierarchy = self.where.get(controller)
        return None if hierarchy is None else f"cgroup v{hierarchy.version}"


@dataclass(frozen=True, slots=True)
class _Mount:
    version: int
    root: PurePosixPath  # the part of the hierarchy this mount shows
    point: Path
    controllers: frozenset[str]


def _mounts() -> list[_Mount]:
    mounts = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            head, _, tail = line.partition(" - ")
            fields, kinds = head.split(), tail.split()
            if len(fields) < 5 or len(kinds) < 3 or kinds[0] not in {"cgroup", "cgroup2"}:
                continue
            version = 2 if kinds[0] == "cgroup2" else 1
            point = Path(fields[4].replace("\\040", " "))
            if version == 2:
                controllers = frozenset(_read(point / "cgroup.controllers").split())
            else:
                controllers = frozenset(kinds[2].split(","))
            mounts.append(_Mount(version, PurePosixPath(fields[3]), point, controllers))
    return mounts


def _own_paths() -> dict[int | str, PurePosixPath]:
    """This process's cgroup: per v1 controller, and under key 2 its v2 cgroup."""
    own: dict[int | str, PurePosixPath] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            number, controllers, path = line.split(":", 2)
            if number == "0" and not controllers:
                own[2] = PurePosixPath(path)
            for name in controllers.split(","):
                own[name] = PurePosixPath(path)
    return own


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _write(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _inside(mount: _Mount, own: PurePosixPath) -> Path | None:
    if not own.is_relative_to(mount.root):
        return None
    return mount.point / own.relative_to(mount.root)


def _v2_parent(mount: _Mount, own: PurePosixPath, controller: Controller) -> Path:
    """Where v2 lets us make children with ``controller``: the root, or beside us if our parent delegates it.

    A v2 cgroup with processes (ours) may not enable controllers for children, hence the parent.
    """
    mine = _inside(mount, own)
    if mine is None:
        raise OSError(errno.ENOENT, "this process's cgroup is not under the cgroup2 mount")
    base = mine if mine == mount.point else mine.parent
    if mine != mount.point and controller.value not in _read(base / "cgroup.subtree_control").split():
        raise OSError(errno.EACCES, f"the {controller} controller is not delegated to {base}")
    parent = base / _PARENT
    parent.mkdir(exist_ok=True)
    if base == mount.point:
        _write(base / "cgroup.subtree_control", f"+{controller}")
    _write(parent / "cgroup.subtree_control", f"+{controller}")
    return parent


def _find(controller: Controller, mounts: list[_Mount], own: dict[int | str, PurePosixPath]) -> _Hierarchy:
    """The hierarchy for ``controller`` (v1 first: where both exist, v2 usually has no delegation); OSError if none."""
    problems = []
    for mount in sorted(mounts, key=lambda m: m.version):
        if controller.value not in mount.controllers:
            continue
        try:
            if mount.version == 1:
                mine = _inside(mount, own.get(controller.value, PurePosixPath("/")))
                if mine is None:
                    raise OSError(errno.ENOENT, "this process's cgroup is not under the mount")
                hierarchy = _Hierarchy(1, mine / _PARENT)
            else:
                hierarchy = _Hierarchy(2, _v2_parent(mount, own.get(2, PurePosixPath("/")), controller))
            _probe(hierarchy, controller)
        except OSError as exc:
            problems.append(f"cgroup v{mount.version} at {mount.point}: {exc.strerror or exc}")
            continue
        return hierarchy
    raise OSError(errno.ENOENT, "; ".join(problems) or f"no cgroup hierarchy has the {controller} controller")


def _probe(hierarchy: _Hierarchy, controller: Controller) -> None:
    hierarchy.parent.mkdir(exist_ok=True)
    probe = hierarchy.parent / f"probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    probe.mkdir()
    try:
        _write(
            probe / hierarchy.limit_files(controller)[0], str(_PROBE_BYTES if controller is Controller.MEMORY else 16)
        )
    finally:
        probe.rmdir()
    _sweep(hierarchy.parent)


def _sweep(parent: Path) -> None:
    # Attempt cgroups of a server that died (named after its pid): empty, so removable.
    for child in parent.iterdir():
        owner = child.name.split("-")[1] if child.name.count("-") >= 2 else ""
        if child.is_dir() and owner.isdigit() and not Path(f"/proc/{owner}").exists():
            with contextlib.suppress(OSError):
                child.rmdir()


_support: dict[str, CgroupSupport] = {}


def cgroup_support() -> CgroupSupport:
    """Which controllers bound attempts here; probed once per process."""
    if "result" not in _support:
        mounts, own = _mounts(), _own_paths()
        where: dict[Controller, _Hierarchy] = {}
        why: dict[Controller, str] = {}
        for controller in Controller:
            try:
                where[controller] = _find(controller, mounts, own)
            except OSError as exc:
                why[controller] = exc.strerror or str(exc)
        _support["result"] = CgroupSupport(where, why)
    return _support["result"]


def _limit(folder: Path, hierarchy: _Hierarchy, controller: Controller, limit: int | None) -> None:
    if limit is None:
        return
    first, *more = hierarchy.limit_files(controller)
    _write(folder / first, str(limit))
    for extra in more:  # absent where swap is not accounted
        with contextlib.suppress(OSError):
            _write(folder / extra, str(limit) if hierarchy.version == 1 else "0")


class AttemptCgroup:
    """One attempt's cgroups (one per hierarchy used): limits set, joined by the child, killed and removed."""

    def __init__(self, support: CgroupSupport, *, max_processes: int, memory_bytes: int | None) -> None:
        self._dirs: dict[Path, _Hierarchy] = {}
        self._emptied = False  # no member left: none can join again (only a member's fork or a write adds one)
        self._by_controller: dict[Controller, Path] = {}
        name = f"attempt-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        limits = {Controller.PIDS: max_processes, Controller.MEMORY: memory_bytes}
        try:
            for controller, hierarchy in support.where.items():
                folder = hierarchy.parent / name
                if folder not in self._dirs:
                    folder.mkdir()
                    self._dirs[folder] = hierarchy
                self._by_controller[controller] = folder
                _limit(folder, hierarchy, controller, limits[controller])
        except OSError:
            for folder in self._dirs:  # empty: nothing joined yet
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise

    def join_fds(self) -> list[int]:
        """``cgroup.procs`` of each cgroup, open for the forked child to write its own pid before exec."""
        return [os.open(folder / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC) for folder in self._dirs]

    def join_paths(self) -> list[Path]:
        """``cgroup.procs`` of each cgroup, for a launcher that writes its own pid there before exec."""
        return [folder / "cgroup.procs" for folder in self._dirs]

    def _counter(self, controller: Controller, name: str, key: str) -> int:
        folder = self._by_controller.get(controller)
        if folder is None:
            return 0
        for line in _read(folder / name).splitlines():
            label, _, value = line.partition(" ")
            if label == key and value.strip().isdigit():
                return int(value)
        return 0

    def oom_kills(self) -> int:
        """Processes the kernel killed because the tree reached its memory bound."""
        folder = self._by_controller.get(Controller.MEMORY)
        if folder is None:
            return 0
        events = "memory.oom_control" if self._dirs[folder].version == 1 else "memory.events"
        return self._counter(Controller.MEMORY, events, "oom_kill")

    def processes_refused(self) -> int:
        """Forks the kernel refused because the tree had reached its process bound."""
        return self._counter(Controller.PIDS, "pids.events", "max")

    async def kill(self) -> None:
        """SIGKILL every process of the tree, including those that left the process group, until none is left."""
        if self._emptied:  # the step's end and the attempt's clean-up both ask: the second has nothing to read
            return
        for folder, hierarchy in self._dirs.items():
            if hierarchy.version == 2 and (folder / "cgroup.kill").exists():
                with contextlib.suppress(OSError):
                    _write(folder / "cgroup.kill", "1")
        for _ in range(_KILL_ROUNDS):
            pids = {int(p) for folder in self._dirs for p in _read(folder / "cgroup.procs").split()}
            if not pids:
                self._emptied = True
                return
            for pid in pids:
                self._kill_member(pid)
            await asyncio.sleep(0.01)

    def _kill_member(self, pid: int) -> None:
        # A pidfd pins the process: if the pid was reused by one outside the cgroup, the check below sees that one.
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            return
        try:
            membership = _read(Path(f"/proc/{pid}/cgroup"))
            if any(folder.name in membership for folder in self._dirs):  # the name is unique
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        except OSError:
            pass
        finally:
            os.close(pidfd)

    async def remove(self) -> None:
        for folder in self._dirs:
            for _ in range(100):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    if exc.errno != errno.EBUSY:
                        break
                    await asyncio.sleep(0.01)
