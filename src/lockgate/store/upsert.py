"""INSERT … ON CONFLICT for the two dialects we run on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.dialects import postgresql, sqlite

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Connection, Table

__all__ = ["insert_ignore", "upsert"]


def _insert(conn: Connection, table: Table) -> Any:
    return (sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert)(table)


def upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
    if not rows:
        return
    stmt = _insert(conn, table)
    columns = [c for c in rows[0] if c not in keys]
    stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_={c: stmt.excluded[c] for c in columns})
    conn.execute(stmt, list(rows))


def insert_ignore(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(_insert(conn, table).on_conflict_do_nothing(), list(rows))
