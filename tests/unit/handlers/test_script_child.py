"""A script step's child process: reaped by the loop whatever happens to the coroutines that await it."""

from __future__ import annotations

import asyncio
import gc
import time
from pathlib import Path

import pytest

from lockgate.handlers.script_child import start_child

pytestmark = pytest.mark.anyio

_ENV = {"PATH": "/usr/bin:/bin"}


async def _until_reaped(pid: int) -> None:
    # A zombie keeps its /proc entry: it is gone once the child was waited for.
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists():  # noqa: ASYNC240 - procfs, never blocks
        assert time.monotonic() < deadline, f"process {pid} was never reaped"
        await asyncio.sleep(0.02)


async def test_exit_status_of_a_finished_child(tmp_path: Path) -> None:
    child = await start_child(["sh", "-c", "echo hi; exit 3"], stdin=None, cwd=tmp_path, env=_ENV, pass_fds=())
    try:
        assert await child.stdout.read() == b"hi\n"
        assert await child.wait() == 3
        assert child.returncode == 3
    finally:
        child.close()
    await _until_reaped(child.pid)


async def test_a_wait_cancelled_half_way_leaves_no_unreaped_child(tmp_path: Path) -> None:
    # What a timed-out step does when the engine's cancellation cuts its clean-up short: the wait is cancelled,
    # the child closed, the object dropped. The child must still be killed and reaped: a Popen dropped unwaited
    # is a zombie and a ResourceWarning (an error in these tests).
    child = await start_child(["sleep", "30"], stdin=None, cwd=tmp_path, env=_ENV, pass_fds=())
    pid = child.pid
    waiting = asyncio.create_task(child.wait())
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(asyncio.shield(waiting), 0.05)  # the step's own timeout
    waiting.cancel()  # the engine's cancellation, while the step still waited
    with pytest.raises(asyncio.CancelledError):
        await waiting
    child.close()
    del child, waiting
    await _until_reaped(pid)
    gc.collect()  # an unwaited Popen would warn here


async def test_closing_a_child_that_exited_unawaited_reaps_it(tmp_path: Path) -> None:
    child = await start_child(["true"], stdin=None, cwd=tmp_path, env=_ENV, pass_fds=())
    pid = child.pid
    assert await child.stdout.read() == b""  # its pipes closed: it exited, nobody awaited its exit
    child.close()
    del child
    await _until_reaped(pid)
    gc.collect()
