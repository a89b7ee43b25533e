"""Statements compiled once per dialect and run on the driver's cursor: the journal's hot path.

SQLAlchemy's per-execution work (cache key, compiled-cache lookup, execution context, parameter
processing) cost about ten times what sqlite3 spent running the statements of a step. A ``Prepared``
statement is compiled once per dialect (SQLite or PostgreSQL, the only place that knows either here:
the compiler writes the SQL and its bind processors convert the values, exactly as SQLAlchemy would)
and executed on the connection's DBAPI cursor, inside the Connection's transaction. A driver error goes
through the Connection's own handling (wrapped as SQLAlchemy's, a lost connection invalidated).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.sql import Insert, Select

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Connection
    from sqlalchemy.engine.interfaces import Dialect
    from sqlalchemy.sql.dml import UpdateBase

__all__ = ["Prepared", "execute_driver"]

_Params = tuple[Any, ...] | dict[str, Any]
_REQUIRED = object()  # a value every row gives (no default in the statement)


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # positional dialects (SQLite's qmark): the order of the values
    defaults: dict[str, Any]  # constants of the statement and scalar column defaults
    processors: tuple[tuple[str, Callable[[Any], Any]], ...]
    nulls: dict[str, Any]  # what each processor makes of None (most values of a step's row are None): computed once
    # Positional dialects: per value in order, its name, default (_REQUIRED: the row gives it), processor and null
    plan: tuple[tuple[str, Any, Callable[[Any], Any] | None, Any], ...] | None = None


class Prepared:
    """One statement and its columns; compiled on first use with each dialect.

    ``build`` is given the dialect's name (``sqlite`` or ``postgresql``: an upsert is spelled per dialect);
    ``columns`` are the keys every row gives: the columns an INSERT lists and an UPDATE sets (a SELECT: none).
    """

    def __init__(self, build: Callable[[str], UpdateBase | Select[Any]], columns: Sequence[str] = ()) -> None:
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
        with _Cursor(conn, compiled.sql, params) as cursor:
            if len(params) > 1:
                cursor.executemany(compiled.sql, params)
            else:
                cursor.execute(compiled.sql, params[0])

    def first(self, conn: Connection, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """The first row a SELECT or RETURNING gives (no result conversion needed: checked when compiled), or None."""
        compiled = self._for(conn.dialect)
        values = self._values(compiled, params)
        with _Cursor(conn, compiled.sql, values) as cursor:
            cursor.execute(compiled.sql, values)
            rows = cursor.fetchall()  # all: a statement with RETURNING is complete once its rows are read
        return tuple(rows[0]) if rows else None

    @staticmethod
    def _values(compiled: _Compiled, row: dict[str, Any]) -> _Params:
        if compiled.plan is not None:  # SQLite: the tuple straight from the row, no merged dict in between
            return tuple([
                (null if (value := row[name] if default is _REQUIRED else row.get(name, default)) is None
                 else value if process is None else process(value))
                for name, default, process, null in compiled.plan
            ])  # fmt: skip
        values = {**compiled.defaults, **row}
        for name, process in compiled.processors:
            value = values[name]
            values[name] = compiled.nulls[name] if value is None else process(value)
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
        _check_results(stmt, dialect)
        defaults: dict[str, Any] = {}
        for bind, name in compiled.bind_names.items():
            if not bind.required and bind.callable is None:  # a literal of the statement, e.g. a status
                defaults[name] = bind.value
        for column in compiled.insert_prefetch:  # a Python-side default the rows leave out
            if column.default is None or not column.default.is_scalar:
                raise ValueError(f"{column} needs a computed default: give it in every row")
            defaults[column.key] = column.default.arg
        processors = tuple(compiled._bind_processors.items())  # SQLAlchemy's own conversions
        nulls = {name: process(None) for name, process in processors}
        names = tuple(compiled.positiontup) if dialect.positional else None
        plan = None
        if names is not None:
            by_name = dict(processors)
            plan = tuple((name, defaults.get(name, _REQUIRED), by_name.get(name), nulls.get(name)) for name in names)
        return _Compiled(compiled.string, names, defaults, processors, nulls, plan)


def _check_results(stmt: UpdateBase | Select[Any], dialect: Dialect) -> None:
    # Rows come back as the driver gives them: a column whose type converts results (dates on SQLite) would not be.
    for column in stmt.exported_columns:
        if column.type._cached_result_processor(dialect, None) is not None:
            raise ValueError(f"{column} needs a result conversion: select it through SQLAlchemy")


def execute_driver(conn: Connection, sql: str) -> None:
    """One statement without parameters on the driver (a transaction's BEGIN), errors handled as the Connection's."""
    with _Cursor(conn, sql, ()) as cursor:
        cursor.execute(sql)


class _Cursor:
    """A cursor of the Connection's DBAPI connection (its transaction); errors handled as the Connection would."""

    def __init__(self, conn: Connection, sql: str, params: _Params | list[_Params]) -> None:
        self._conn, self._sql, self._params = conn, sql, params
        self._cursor: Any = None

    def __enter__(self) -> Any:
        self._cursor = self._conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        return self._cursor

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _tb: object) -> None:
        cursor, self._cursor = self._cursor, None
        try:
            if error is not None and isinstance(error, self._conn.dialect.loaded_dbapi.Error):
                self._conn._handle_dbapi_exception(error, self._sql, self._params, cursor, None)  # raises it, wrapped
        finally:
            cursor.close()
