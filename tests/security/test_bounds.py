"""Every script attempt is bounded as a whole tree, also when the server runs as root: processes and memory.

Before: as root, RLIMIT_NPROC was skipped (a script forked 300 children without error: a fork bomb was
bounded only by the host), and ``memory_mb`` bound each process alone (three children held 600 MB under 256).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import psutil
import pytest

from lockgate.handlers.cgroups import cgroup_support

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.security.hostile import Hostile

FORK_BOMB = """
import os, time
for _ in range(300):
    if os.fork() == 0:  # each child sleeps: alive, counted, until the step ends
        time.sleep(120)
        os._exit(0)
"""

# Three children hold {mb} MB each at once; the parent waits for them and fails if any failed.
TREE_HOG = """
import os, sys, time
children = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        hog = bytearray({mb} << 20)
        time.sleep(3)
        os._exit(0)
    children.append(pid)
sys.exit(1 if any(os.waitpid(pid, 0)[1] for pid in children) else 0)
"""


def _script(name: str, code: str, **config: Any) -> dict[str, Any]:
    return {"name": name, "nodes": [{"id": "hog", "kind": "script", "config": {"code": code, **config}}]}


def _error(hostile: Hostile, run: dict[str, Any]) -> dict[str, Any]:
    with hostile.client("viewer") as viewer:
        step = viewer.get(f"/api/v1/runs/{run['id']}/steps/hog").json()
    error: dict[str, Any] = step["attempts"][-1]["error"]
    return error


def _nothing_left(hostile: Hostile) -> None:
    """No process of any attempt outlives it, and every attempt's cgroup was removed."""
    assert hostile.proc is not None
    assert psutil.Process(hostile.proc.pid).children(recursive=True) == []
    for hierarchy in cgroup_support().where.values():
        assert list(hierarchy.parent.glob(f"attempt-{hostile.proc.pid}-*")) == []


@pytest.mark.parametrize("sandbox", ["bwrap", "none"])
def test_a_fork_bomb_stops_at_the_process_bound(hostile_factory: Callable[..., Hostile], sandbox: str) -> None:
    hostile = hostile_factory(sandbox=sandbox, env={"LOCKGATE_SCRIPT_MAX_PROCESSES": "64"})
    bounds = httpx.get(f"{hostile.url}/ready").json()["bounds"]
    if not bounds["processes"].startswith("cgroup"):
        pytest.skip(f"no pids cgroup here: {bounds['processes']}")
    run = hostile.save_and_run(_script("bomb", FORK_BOMB))
    assert run["status"] == "failed"
    error = _error(hostile, run)
    assert error["kind"] == "process_limit"
    assert "more than 64 processes" in error["message"]
    assert "process_limit" in hostile.viewer_reads(run["id"])
    _nothing_left(hostile)
    hostile.assert_intact()


@pytest.mark.parametrize("sandbox", ["bwrap", "none"])
def test_memory_bounds_the_whole_tree(hostile_factory: Callable[..., Hostile], sandbox: str) -> None:
    hostile = hostile_factory(sandbox=sandbox)
    bounds = httpx.get(f"{hostile.url}/ready").json()["bounds"]
    if not bounds["memory"].startswith("cgroup"):
        pytest.skip(f"no memory cgroup here: {bounds['memory']}")
    # 300 MB each: past memory_mb for one process already; 120 MB each: only the three together are
    for mb in (300, 120):
        run = hostile.save_and_run(_script(f"hog-{mb}", TREE_HOG.format(mb=mb), memory_mb=256))
        assert run["status"] == "failed", run
        error = _error(hostile, run)
        assert error["kind"] == "memory_limit", error
        assert "memory_mb: 256" in error["message"]
        if mb < 256:  # the kernel killed some of them: the tree, not one process, reached the bound
            assert "processes together" in error["message"] and "the kernel killed" in error["message"]
        assert "memory_limit" in hostile.viewer_reads(run["id"])
    _nothing_left(hostile)
    hostile.assert_intact()


def test_ready_says_what_bounds_an_attempt(hostile: Hostile) -> None:
    body = httpx.get(f"{hostile.url}/ready").json()
    assert body["checks"]["sandbox"] == "bubblewrap"
    support = cgroup_support()
    processes, memory = body["bounds"]["processes"], body["bounds"]["memory"]
    if "pids" in {c.value for c in support.where}:
        assert processes.startswith("cgroup v") and "pids.max = 256 per attempt, whole tree" in processes
    if "memory" in {c.value for c in support.where}:
        assert memory.startswith("cgroup v") and "whole tree" in memory
    hostile.assert_intact()
