"""The journal's statements, built once, and its attempt updates, merged to one per attempt and batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, case, or_, update

from lockgate.store.prepared import Prepared
from lockgate.store.tables import attempts, events, runs, steps
from lockgate.store.upsert import upsert_statement

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Connection
    from sqlalchemy.sql.dml import UpdateBase

__all__ = ["OPEN", "AttemptUpdates", "write_rows"]

OPEN = ("queued", "running")
EVENT_COLUMNS = ("run_id", "seq", "type", "data", "at")
STEP_COLUMNS = ("run_id", "key", "node_id", "item_index", "status", "attempt", "output", "error", "branches", "next",
                "queued_at", "started_at", "finished_at")  # fmt: skip
RUN_COLUMNS = ("b_id", "status", "output", "error", "last_seq", "started_at", "finished_at", "updated_at")
ATTEMPT_COLUMNS = ("run_id", "step_key", "number", "status", "worker", "idempotency_key", "code_hash", "queued_at",
                   "started_at", "finished_at", "error", "output", "feedback", "archived")  # fmt: skip
_CONDITIONAL = frozenset({"started", "cancelled"})  # applied only to an attempt still queued or running

_EVENTS = Prepared(lambda _: events.insert(), EVENT_COLUMNS)
_STEPS = Prepared(lambda dialect: upsert_statement(dialect, steps, ("run_id", "key"), STEP_COLUMNS[2:]), STEP_COLUMNS)
_RUNS = Prepared(lambda _: update(runs).where(runs.c.id == bindparam("b_id")), RUN_COLUMNS)
_ATTEMPTS = Prepared(
    lambda dialect: upsert_statement(dialect, attempts, ATTEMPT_COLUMNS[:3], ATTEMPT_COLUMNS[3:]), ATTEMPT_COLUMNS
)


def write_rows(conn: Connection, kind: str, rows: list[dict[str, Any]]) -> None:
    """Insert events, upsert steps or attempts, update runs: rows with exactly the kind's columns."""
    statement = {"events": _EVENTS, "steps": _STEPS, "runs": _RUNS, "attempts": _ATTEMPTS}[kind]
    statement.execute(conn, rows)


def _open() -> ColumnElement[bool]:
    # executemany cannot expand IN lists: spell the two open states out
    return or_(attempts.c.status == OPEN[0], attempts.c.status == OPEN[1])


@dataclass(frozen=True, slots=True)
class _Shape:
    conditional: bool  # the whole update applies only to an open attempt
    columns: tuple[str, ...]  # set unconditionally (when the update applies)
    if_open: tuple[str, ...]  # set only if the attempt was open before this update (merged from a "started")

    def build(self) -> UpdateBase:
        stmt = update(attempts).where(
            attempts.c.run_id == bindparam("b_run"),
            attempts.c.step_key == bindparam("b_step"),
            attempts.c.number == bindparam("b_number"),
        )
        if self.conditional:
            stmt = stmt.where(_open())
        if self.if_open:  # the right-hand side sees the row before the update: the status it had
            stmt = stmt.values({c: case((_open(), bindparam(f"o_{c}")), else_=attempts.c[c]) for c in self.if_open})
        return stmt


_SHAPES: dict[_Shape, Prepared] = {}


def _prepared(shape: _Shape) -> Prepared:
    statement = _SHAPES.get(shape)
    if statement is None:
        statement = _SHAPES.setdefault(shape, Prepared(lambda _: shape.build(), shape.columns))
    return statement


@dataclass
class _Pending:
    conditional: bool
    values: dict[str, Any]
    if_open: dict[str, Any] = field(default_factory=dict)

    def then(self, kind: str, values: dict[str, Any]) -> None:
        """Fold a later update of the same attempt into this one, as if both ran in order."""
        if kind in _CONDITIONAL:
            if self.values.get("status", "running") in OPEN and not self.if_open:  # still open after this one
                self.values.update(values)
            return  # else the attempt is closed by now: the later one would change nothing
        for column in values:  # a later value wins, whatever the status was
            self.if_open.pop(column, None)
        if self.conditional:  # this one applied only if open; the later one applies anyway
            self.if_open = {k: v for k, v in self.values.items() if k not in values}
            self.values, self.conditional = dict(values), False
            return
        self.values.update(values)


@dataclass
class AttemptUpdates:
    """Updates of existing attempt rows: one per attempt and batch, executed together by shape."""

    pending: dict[tuple[str, str, int], _Pending] = field(default_factory=dict)

    def add(self, kind: str, run_id: str, step: str, number: int, values: dict[str, Any]) -> None:
        """``kind``: "started" and "cancelled" apply to a queued or running attempt only, "finished" always."""
        key = (run_id, step, number)
        current = self.pending.get(key)
        if current is None:
            self.pending[key] = _Pending(kind in _CONDITIONAL, dict(values))
        else:
            current.then(kind, values)

    def flush(self, conn: Connection) -> None:
        groups: dict[_Shape, list[dict[str, Any]]] = {}
        for (run_id, step, number), p in self.pending.items():
            shape = _Shape(p.conditional, tuple(sorted(p.values)), tuple(sorted(p.if_open)))
            row = {"b_run": run_id, "b_step": step, "b_number": number, **p.values}
            row.update({f"o_{c}": v for c, v in p.if_open.items()})
            groups.setdefault(shape, []).append(row)
        for shape, rows in groups.items():
            _prepared(shape).execute(conn, rows)
