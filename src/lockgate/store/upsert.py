"""INSERT … ON CONFLICT for the two dialects we run on."""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Connection, Table

__all__ = ["dialect_insert", "insert_ignore", "upsert", "upsert_statement"]


def dialect_insert(dialect: str, table: Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (SQLAlchemy's generic one does not).

    The dialect's module is imported when first asked for: a process on SQLite never loads SQLAlchemy's
    PostgreSQL dialect (and its asyncpg, psycopg and psycopg2 variants), a tenth of a second of a server's start.
    """
    module = importlib.import_module(
        "sqlalchemy.dialects.sqlite" if dialect == "sqlite" else "sqlalchemy.dialects.postgresql"
    )
    return module.insert(table)


def upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
    if not rows:
        return
    columns = tuple(c for c in rows[0] if c not in keys)
    conn.execute(upsert_statement(conn.dialect.name, table, tuple(keys), columns), list(rows))


@lru_cache(maxsize=256)
def upsert_statement(dialect: str, table: Table, keys: tuple[str, ...], columns: tuple[str, ...]) -> Any:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET each of ``columns`` to the inserted value."""
    # Built once per shape: `excluded` makes a fresh alias of the table with a proxy per column, which cost
    # more CPU than the rest of a step's transaction when it was rebuilt for every batch.
    stmt = dialect_insert(dialect, table)
    return stmt.on_conflict_do_update(index_elements=list(keys), set_={c: stmt.excluded[c] for c in columns})


def insert_ignore(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(dialect_insert(conn.dialect.name, table).on_conflict_do_nothing(), list(rows))
