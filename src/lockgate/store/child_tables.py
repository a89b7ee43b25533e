"""The links between a step that starts a child run and that run (beside ``tables.py``, on its ``metadata``)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, UniqueConstraint

from lockgate.store.tables import UTCDateTime, metadata

__all__ = ["child_runs"]

# One row per attempt of a step that starts a child run, written with the transition that started the attempt;
# ``child_run_id`` is set by the transaction that creates the child (one child per attempt, at most), so a crash
# between the two leaves a row recovery finishes. ``depth``: the child's nesting (a top-level run's child: 1).
child_runs = Table(
    "child_runs",
    metadata,
    Column("parent_run_id", String(32), ForeignKey("runs.id"), primary_key=True),
    Column("step_key", String(200), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("node_id", String(63), nullable=False),
    Column("pipeline", String(63), nullable=False),
    Column("version", Integer),  # None: the latest when the child starts
    Column("input", JSON, nullable=False),
    Column("depth", Integer, nullable=False),
    Column("child_run_id", String(32), ForeignKey("runs.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("child_run_id", name="uq_child_runs_child_run_id"),
)
