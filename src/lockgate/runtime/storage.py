"""The database and the one thread that writes to it: what the runtime's services share instead of the runtime."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
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
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lockgate-db")

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args)`` on the database thread."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, lambda: fn(*args, **kwargs))

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
        self._thread.shutdown(wait=True)
        self.db.dispose()
