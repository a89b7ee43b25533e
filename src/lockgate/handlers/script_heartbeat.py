"""A script's own heartbeats: ``lockgate_step.heartbeat(details)`` inside the sandbox writes one line to a pipe.

The pipe is the whole channel: the script holds only its write end (no path, no socket, nothing to read), and
this side turns lines into heartbeats under fixed bounds. A line is one heartbeat; its JSON (at most
``MAX_LINE`` bytes, storable) becomes the details, anything else none. At most one heartbeat a second is
recorded (the others are dropped), and at most ``READ_PER_SECOND`` bytes a second are read: a script that
writes faster fills the pipe, and its further heartbeats are dropped (the runner's writes never block).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from typing import TYPE_CHECKING

from lockgate.spec.bounds import find_flaw

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pydantic import JsonValue

    from lockgate.handlers.context import HandlerContext

__all__ = ["MAX_LINE", "READ_PER_SECOND", "SPACING", "HeartbeatPipe", "LineSplitter", "details_of", "relay"]

MAX_LINE = 1024
SPACING = 1.0  # seconds between two recorded heartbeats, at least
READ_PER_SECOND = 64 << 10


class HeartbeatPipe:
    """The pipe: its write end goes to the child (and is closed here once it has), its read end to ``relay``."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe2(os.O_CLOEXEC)
        self._write_open = True

    def handed_over(self) -> None:
        if self._write_open:
            os.close(self.write_fd)
            self._write_open = False

    def close(self) -> None:
        self.handed_over()
        os.close(self.read_fd)


@contextlib.contextmanager
def heartbeat_pipe() -> Iterator[HeartbeatPipe]:
    pipe = HeartbeatPipe()
    try:
        yield pipe
    finally:
        pipe.close()


class LineSplitter:
    """Complete lines from chunks; a line longer than MAX_LINE comes out as None (it counts, without details)."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._oversize = False

    def feed(self, data: bytes) -> list[bytes | None]:
        lines: list[bytes | None] = []
        while data:
            end = data.find(b"\n")
            part, data = (data, b"") if end < 0 else (data[:end], data[end + 1 :])
            if not self._oversize:
                self._buffer.extend(part)
                self._oversize = len(self._buffer) > MAX_LINE
                if self._oversize:
                    self._buffer.clear()
            if end >= 0:
                lines.append(None if self._oversize else bytes(self._buffer))
                self._buffer.clear()
                self._oversize = False
        return lines


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def details_of(line: bytes | None) -> JsonValue:
    """The details a line carries: its JSON if storable, else None."""
    if not line:
        return None
    try:
        value: JsonValue = json.loads(line, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return None
    return None if find_flaw(value) is not None else value


async def relay(ctx: HandlerContext, read_fd: int) -> None:
    """Until the pipe closes (or the step ends and cancels this): lines in, heartbeats out, within the bounds."""
    os.set_blocking(read_fd, False)
    loop = asyncio.get_running_loop()
    readable = asyncio.Event()
    loop.add_reader(read_fd, readable.set)
    lines, last_sent = LineSplitter(), float("-inf")
    window, used = time.monotonic(), 0
    try:
        while True:
            await readable.wait()
            readable.clear()
            now = time.monotonic()
            if now - window >= 1.0:
                window, used = now, 0
            if used >= READ_PER_SECOND:  # the pipe fills meanwhile: the script's next writes are dropped
                await asyncio.sleep(window + 1.0 - now)
                readable.set()
                continue
            try:
                data = os.read(read_fd, min(65536, READ_PER_SECOND - used))
            except BlockingIOError:
                continue
            if not data:
                return
            used += len(data)
            for line in lines.feed(data):
                if time.monotonic() - last_sent >= SPACING:
                    last_sent = time.monotonic()
                    await ctx.heartbeat(details_of(line))
    finally:
        loop.remove_reader(read_fd)
