"""Engines for SQLite (WAL) and PostgreSQL, write transactions that lock, and migrations on start."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError

from lockgate.errors import MissingExtraError, UnavailableError
from lockgate.store.prepared import execute_driver

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["Database"]


class Database:
    """One SQLAlchemy engine plus the rules of the dialect: how to lock, how to upsert."""

    def __init__(self, url: str, *, echo: bool = False, synchronous: str = "full") -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine = self._sqlite_engine(url, echo, synchronous)
        else:
            try:
                self.engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)
            except ModuleNotFoundError as exc:
                raise MissingExtraError("postgres") from exc

    @staticmethod
    def _sqlite_engine(url: str, echo: bool, synchronous: str) -> Engine:
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 60, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            # We issue BEGIN ourselves (pysqlite's implicit transactions would defeat BEGIN IMMEDIATE).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit survives power loss too; group commits keep its fsync cost per batch, not per step.
            cursor.execute(f"PRAGMA synchronous={'NORMAL' if synchronous == 'normal' else 'FULL'}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # IMMEDIATE takes the write lock at BEGIN: the per-run lock of DESIGN rule 3 on SQLite.
            # On the driver: every transaction pays this, and SQLAlchemy's execution costs more than the BEGIN.
            execute_driver(conn, "BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

        return engine

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction; on SQLite it holds the database write lock from its first statement."""
        try:
            with self.engine.connect().execution_options(write=True) as conn, conn.begin():
                yield conn
        except OperationalError as exc:
            raise UnavailableError(f"database unavailable: {exc.orig}") from exc

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except OperationalError as exc:
            raise UnavailableError(f"database unavailable: {exc.orig}") from exc

    def ping(self) -> None:
        with self.read() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
