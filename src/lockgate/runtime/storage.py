"""The database and the one thread that writes to it: what the runtime's services share instead of the runtime."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Connection

    from lockgate.store.database import Database

__all__ = ["Storage"]

P = ParamSpec("P")
T = TypeVar("T")


class Storage:
    """Store work runs on one thread per process: SQLite likes a single writer, and transitions stay ordered."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # A thread of our own rather than a ThreadPoolExecutor: every step makes this round trip, and the pool's
        # submit and future chaining cost a third of it. None stops the thread.
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args)`` on the database thread; not run at all if the caller is cancelled before it starts."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def job() -> None:
            if future.cancelled():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - the caller's to handle, as run_in_executor passes it on
                _settle(loop, future, None, exc)
            else:
                _settle(loop, future, result, None)

        self._start()
        self._jobs.put(job)
        return await future

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                # A daemon: a process that exits without close() loses only an uncommitted transaction.
                self._thread = threading.Thread(target=self._work, name="lockgate-db", daemon=True)
                self._thread.start()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            job()

    async def read(self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(conn, *args)`` in a read transaction, on the database thread."""

        def job() -> T:
            with self.db.read() as conn:
                return fn(conn, *args, **kwargs)

        return await self.call(job)

    async def write(self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(conn, *args)`` in a write transaction (committed when it returns), on the database thread."""

        def job() -> T:
            with self.db.write() as conn:
                return fn(conn, *args, **kwargs)

        return await self.call(job)

    def close(self) -> None:
        """Finish the jobs already given, stop the thread, close the database's connections."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None
        self.db.dispose()


def _settle(
    loop: asyncio.AbstractEventLoop, future: asyncio.Future[T], result: T | None, exc: BaseException | None
) -> None:
    """From the database thread: hand the outcome to the caller's loop (gone if it was closed meanwhile)."""

    def done() -> None:
        if future.cancelled():
            return
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(result)  # type: ignore[arg-type]  # None only alongside an exception

    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
        loop.call_soon_threadsafe(done)
