"""A script step's child process, watched by a pidfd on the event loop: no watcher thread per child.

asyncio's subprocesses (Python 3.11) reap each child from a thread of its own; here the loop learns of the exit
from a pidfd and reaps without blocking, and stdout and stderr are read as streams of the same loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

__all__ = ["Child", "start_child"]

_STREAM_LIMIT = 1 << 16


class Child:
    """A started process: its pid, its output streams, and its exit (seen by a pidfd, reaped here only)."""

    def __init__(self, popen: subprocess.Popen[bytes], stdout: asyncio.StreamReader, stderr: asyncio.StreamReader,
                 transports: list[asyncio.BaseTransport]) -> None:  # fmt: skip
        self._popen = popen
        self._pidfd = os.pidfd_open(popen.pid)  # not reaped before this: the pid is still this child's
        self._transports = transports
        self.pid = popen.pid
        self.stdout = stdout
        self.stderr = stderr

    @property
    def returncode(self) -> int | None:
        return self._popen.returncode

    async def exited(self) -> None:
        """Until the process itself has exited (children it left running may still hold its pipes)."""
        if self._popen.returncode is not None:
            return
        loop = asyncio.get_running_loop()
        exited = asyncio.Event()
        loop.add_reader(self._pidfd, exited.set)
        try:
            await exited.wait()
        finally:
            loop.remove_reader(self._pidfd)

    async def wait(self) -> int:
        """Its exit status, once it exited; the pidfd said so, so the reaping does not block."""
        await self.exited()
        return self._popen.wait()

    def close(self) -> None:
        for transport in self._transports:  # a pipe another process still holds open: stop reading it
            transport.close()
        os.close(self._pidfd)
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
