"""Statements compiled once per dialect and run at the driver level: the journal's hot path.

SQLAlchemy's per-execution work (cache key, compiled-cache lookup, execution context, parameter
processing) cost about ten times what sqlite3 spent running the statements of a step. A ``Prepared``
statement is compiled once per dialect (SQLite or PostgreSQL, the only place that knows either here:
the compiler writes the SQL and its bind processors convert the values, exactly as SQLAlchemy would)
and executed with ``exec_driver_sql``, which keeps SQLAlchemy's error wrapping and events.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.sql import Insert

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Connection
    from sqlalchemy.engine.interfaces import Dialect
    from sqlalchemy.sql.dml import UpdateBase

__all__ = ["Prepared"]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # positional dialects (SQLite's qmark): the order of the values
    defaults: dict[str, Any]  # constants of the statement and scalar column defaults
    processors: tuple[tuple[str, Callable[[Any], Any]], ...]


class Prepared:
    """One statement and its columns; compiled on first use with each dialect.

    ``build`` is given the dialect's name (``sqlite`` or ``postgresql``: an upsert is spelled per dialect);
    ``columns`` are the keys every row gives: the columns an INSERT lists and an UPDATE sets.
    """

    def __init__(self, build: Callable[[str], UpdateBase], columns: Sequence[str]) -> None:
        self._build = build
        self._columns = list(columns)
        self._compiled: dict[tuple[str, Any], _Compiled] = {}
        self._lock = threading.Lock()

    def execute(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        """Run the statement once per row (one executemany); rows carry values by column or parameter name."""
        if not rows:
            return
        compiled = self._for(conn.dialect)
        params = [self._values(compiled, row) for row in rows]
        conn.exec_driver_sql(compiled.sql, params if len(params) > 1 else params[0])

    @staticmethod
    def _values(compiled: _Compiled, row: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = {**compiled.defaults, **row}
        for name, process in compiled.processors:
            values[name] = process(values[name])
        if compiled.names is None:
            return values
        return tuple(values[name] for name in compiled.names)

    def _for(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.server_version_info)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.setdefault(key, self._compile(dialect))
        return compiled

    def _compile(self, dialect: Dialect) -> _Compiled:
        stmt = self._build(dialect.name)
        if isinstance(stmt, Insert):
            stmt = stmt.inline()  # no RETURNING of generated keys, which executemany has no use for
        compiled: Any = stmt.compile(dialect=dialect, column_keys=self._columns)
        defaults: dict[str, Any] = {}
        for bind, name in compiled.bind_names.items():
            if not bind.required and bind.callable is None:  # a literal of the statement, e.g. a status
                defaults[name] = bind.value
        for column in compiled.insert_prefetch:  # a Python-side default the rows leave out
            if column.default is None or not column.default.is_scalar:
                raise ValueError(f"{column} needs a computed default: give it in every row")
            defaults[column.key] = column.default.arg
        processors = tuple(compiled._bind_processors.items())  # SQLAlchemy's own conversions
        names = tuple(compiled.positiontup) if dialect.positional else None
        return _Compiled(compiled.string, names, defaults, processors)
