"""A script step's child process, watched by a pidfd on the event loop: no watcher thread per child.

asyncio's subprocesses (Python 3.11) reap each child from a thread of its own; here the loop learns of the exit
from a pidfd and reaps without blocking, and stdout and stderr are read as streams of the same loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

__all__ = ["Child", "start_child"]

_STREAM_LIMIT = 1 << 16


class Child:
    """A started process: its pid, its output streams, and its exit, seen by a pidfd and reaped at once.

    The loop reaps the process as soon as its pidfd says it exited, whoever awaits it or not: an awaiting
    coroutine cancelled half-way (a step's own timeout racing the engine's cancellation) cannot leave a
    ``Popen`` unreaped. The reader holds this object until then, so the ``Popen`` is never dropped unwaited.
    """

    def __init__(self, popen: subprocess.Popen[bytes], stdout: asyncio.StreamReader, stderr: asyncio.StreamReader,
                 transports: list[asyncio.BaseTransport]) -> None:  # fmt: skip
        self._popen = popen
        self._transports = transports
        self._loop = asyncio.get_running_loop()
        self._exited = asyncio.Event()
        self.pid = popen.pid
        self.stdout = stdout
        self.stderr = stderr
        self._pidfd = os.pidfd_open(popen.pid)  # not reaped before this: the pid is still this child's
        self._loop.add_reader(self._pidfd, self._reap)

    def _reap(self) -> None:
        # The pidfd is readable once the process has exited: waiting does not block. Its reader goes first,
        # then its fd, then the wait, so that no later callback sees a closed or reused fd.
        self._loop.remove_reader(self._pidfd)
        os.close(self._pidfd)
        self._popen.wait()
        self._exited.set()

    @property
    def returncode(self) -> int | None:
        return self._popen.returncode

    async def exited(self) -> None:
        """Until the process itself has exited and is reaped (children it left running may still hold its pipes).

        Cancelling this wait (``asyncio.wait_for``) cancels only the wait, never the reaping.
        """
        await self._exited.wait()

    async def wait(self) -> int:
        """Its exit status, once it exited."""
        await self._exited.wait()
        assert self._popen.returncode is not None  # noqa: S101 - set by _reap before the event
        return self._popen.returncode

    def close(self) -> None:
        """Stop reading its pipes; a process still running is killed (the loop then reaps it)."""
        if not self._exited.is_set():  # unreaped, its pid cannot be another process's
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        for transport in self._transports:  # a pipe another process still holds open: stop reading it
            transport.close()
        for pipe in (self._popen.stdout, self._popen.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


async def _stream(pipe: IO[bytes]) -> tuple[asyncio.StreamReader, asyncio.BaseTransport]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=_STREAM_LIMIT, loop=loop)
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader, loop=loop), pipe)
    return reader, transport


async def start_child(
    argv: Sequence[str],
    *,
    stdin: IO[bytes] | None,
    cwd: Path,
    env: dict[str, str],
    pass_fds: Sequence[int],
    preexec_fn: Callable[[], None] | None = None,
) -> Child:
    """Start ``argv`` in a session of its own (one process group to kill), its stdout and stderr piped here.

    Without ``preexec_fn`` the interpreter uses vfork: the server's memory is not copied for an exec.
    """
    # In the loop, as asyncio's own subprocesses do: a vfork and an exec, about a millisecond.
    popen = subprocess.Popen(  # noqa: S603, ASYNC220 - argv is built by the caller, never by a shell
        argv,
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=env,
        start_new_session=True,
        preexec_fn=preexec_fn,  # only where no launcher does (see sandbox.launcher)
        pass_fds=tuple(pass_fds),
    )
    assert popen.stdout is not None and popen.stderr is not None  # noqa: S101 - both are PIPE
    transports: list[asyncio.BaseTransport] = []
    try:
        stdout, out = await _stream(popen.stdout)
        transports.append(out)
        stderr, err = await _stream(popen.stderr)
        transports.append(err)
        return Child(popen, stdout, stderr, transports)
    except BaseException:
        for transport in transports:
            transport.close()
        popen.kill()
        popen.wait()
        raise
