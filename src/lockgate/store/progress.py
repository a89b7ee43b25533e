"""A run's progress by node (counts, not rows) and its steps a slice at a time.

That is what a live view of a 10,000-item fan-out can afford to read on every event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, null, select

from lockgate.store.tables import attempts, events, steps

__all__ = ["NodeProgress", "last_event_id", "node_progress", "step_slice"]


@dataclass(slots=True)
class NodeProgress:
    node_id: str
    status: str | None = None  # the node's own step (a for_each node's parent step), None before it exists
    items: int = 0  # item steps of a for_each node
    counts: dict[str, int] = field(default_factory=dict)  # item steps by status (or the one step's)
    attempts: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None


def _widen(progress: NodeProgress, started: datetime | None, finished: datetime | None) -> None:
    if started is not None and (progress.started_at is None or started < progress.started_at):
        progress.started_at = started
    if finished is not None and (progress.finished_at is None or finished > progress.finished_at):
        progress.finished_at = finished


def node_progress(conn: Connection, run_id: str) -> list[NodeProgress]:
    """One entry per node that has steps, from two grouped reads (never one row per step)."""
    is_item = steps.c.item_index.is_not(None)
    grouped = (
        select(steps.c.node_id, is_item.label("item"), steps.c.status, func.count().label("n"),
               func.min(steps.c.started_at).label("started"), func.max(steps.c.finished_at).label("finished"))
        .where(steps.c.run_id == run_id)
        .group_by(steps.c.node_id, is_item, steps.c.status)
    )  # fmt: skip
    by_node: dict[str, NodeProgress] = {}
    for row in conn.execute(grouped):
        progress = by_node.setdefault(row.node_id, NodeProgress(row.node_id))
        if row.item:
            progress.items += row.n
            progress.counts[row.status] = progress.counts.get(row.status, 0) + row.n
        else:
            progress.status = row.status
        _widen(progress, row.started, row.finished)
    for progress in by_node.values():
        if not progress.items and progress.status is not None:
            progress.counts = {progress.status: 1}
    tries = (
        select(steps.c.node_id, func.count().label("n"))
        .join(attempts, (attempts.c.run_id == steps.c.run_id) & (attempts.c.step_key == steps.c.key))
        .where(steps.c.run_id == run_id)
        .group_by(steps.c.node_id)
    )
    for row in conn.execute(tries):
        if row.node_id in by_node:
            by_node[row.node_id].attempts = row.n
    return list(by_node.values())


def step_slice(
    conn: Connection, run_id: str, node_id: str | None, status: str | None, offset: int, limit: int
) -> tuple[int, list[Row[Any]], list[Row[Any]]]:
    """``(total, steps, their attempts)``: the steps in queue order from ``offset``; a window of a virtual list."""
    where = [steps.c.run_id == run_id]
    if node_id is not None:
        where.append(steps.c.node_id == node_id)
    if status is not None:
        where.append(steps.c.status == status)
    total = conn.execute(select(func.count()).select_from(steps).where(*where)).scalar_one()
    order = (steps.c.queued_at.is_(None), steps.c.queued_at, steps.c.node_id, steps.c.item_index, steps.c.key)
    # outputs stay out of a window of rows: a step's own read has them
    columns = [null().label("output") if c.name == "output" else c for c in steps.c]
    rows = list(conn.execute(select(*columns).where(*where).order_by(*order).offset(offset).limit(limit)))
    keys = [r.key for r in rows]
    tries: list[Row[Any]] = []
    if keys:
        stmt = (
            select(attempts)
            .where(attempts.c.run_id == run_id, attempts.c.step_key.in_(keys))
            .order_by(attempts.c.step_key, attempts.c.number)
        )
        tries = list(conn.execute(stmt))
    return total, rows, tries


def last_event_id(conn: Connection, run_id: str) -> int:
    """The id of the run's newest event (0 before any): where a live stream that already has the state resumes."""
    return int(conn.execute(select(func.max(events.c.id)).where(events.c.run_id == run_id)).scalar_one() or 0)
