"""The slots of nodes with ``max_concurrent``: taken, waited for and freed in write transactions.

Each decision first takes the slot's transaction-scoped advisory lock (PostgreSQL; SQLite has one writer), so
processes sharing the database never hand out more slots than the node allows. Not the pipeline's row, nor a
foreign key to the run: a transition holding run locks may wait for the pipeline's row (runs/latest), and a
slot taken under it would close a cycle.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, func, or_, select, tuple_, update

from lockgate.engine import DispatchStep
from lockgate.store.flow_tables import node_slots, step_waits
from lockgate.store.tables import attempts

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Connection

__all__ = ["Slot", "acquire", "rebalance", "waiting_reasons"]

_OPEN = ("queued", "running")

Slot = tuple[str, int, str]  # the slot's name (node id or group), its max_concurrent, what it is called in reasons


def _lock(conn: Connection, slots: list[tuple[str, str]]) -> None:
    if conn.dialect.name == "sqlite":
        return
    for pipeline, slot in sorted(set(slots)):  # one order everywhere: no two deciders wait on each other
        digest = hashlib.sha256(f"lockgate-slot:{pipeline}:{slot}".encode()).digest()
        conn.execute(select(func.pg_advisory_xact_lock(int.from_bytes(digest[:8], "big", signed=True))))


def _held(conn: Connection, pipeline: str, slot: str) -> int:
    stmt = select(func.count()).where(node_slots.c.pipeline == pipeline, node_slots.c.slot == slot, node_slots.c.held)
    return int(conn.scalar(stmt) or 0)


def acquire(conn: Connection, command: DispatchStep, slot: Slot, now: datetime) -> bool:
    """Take a slot for the attempt, or record it waiting with the reason; True: dispatch it now."""
    name, limit, called = slot
    _lock(conn, [(command.pipeline, name)])
    key = (node_slots.c.run_id == command.run_id, node_slots.c.step_key == command.step,
           node_slots.c.attempt == command.attempt)  # fmt: skip
    existing = conn.execute(select(node_slots.c.held).where(*key)).first()
    if existing is not None:  # dispatched again (recovery): it keeps its place
        return bool(existing.held)
    busy = _held(conn, command.pipeline, name)
    held = busy < limit
    reason = None if held else f"waiting: {busy} steps of {called} are running (max_concurrent {limit})"
    conn.execute(node_slots.insert().values(
        run_id=command.run_id, step_key=command.step, attempt=command.attempt, pipeline=command.pipeline, slot=name,
        max_concurrent=limit, held=held, reason=reason, command=command.model_dump(mode="json"), queued_at=now,
    ))  # fmt: skip
    return held


def rebalance(conn: Connection) -> list[DispatchStep]:
    """Free the slots of attempts that ended, and hand them to waiting ones, oldest first: what to dispatch."""
    slots = [(r.pipeline, r.slot) for r in conn.execute(select(node_slots.c.pipeline, node_slots.c.slot).distinct())]
    if not slots:
        return []
    _lock(conn, slots)
    ended = (
        select(node_slots.c.run_id, node_slots.c.step_key, node_slots.c.attempt)
        .outerjoin(
            attempts,
            and_(
                attempts.c.run_id == node_slots.c.run_id,
                attempts.c.step_key == node_slots.c.step_key,
                attempts.c.number == node_slots.c.attempt,
            ),
        )
        .where(or_(attempts.c.status.is_(None), attempts.c.status.not_in(_OPEN)))
    )
    gone = [tuple(r) for r in conn.execute(ended)]
    if gone:
        cols = tuple_(node_slots.c.run_id, node_slots.c.step_key, node_slots.c.attempt)
        conn.execute(delete(node_slots).where(cols.in_(gone)))
    stmt = select(node_slots).where(~node_slots.c.held).order_by(node_slots.c.queued_at, node_slots.c.run_id)
    free: dict[tuple[str, str], int] = {}
    send: list[DispatchStep] = []
    for row in conn.execute(stmt).all():
        where = (row.pipeline, row.slot)
        if where not in free:
            free[where] = row.max_concurrent - _held(conn, row.pipeline, row.slot)
        if free[where] <= 0:
            continue
        free[where] -= 1
        conn.execute(
            update(node_slots)
            .where(
                node_slots.c.run_id == row.run_id,
                node_slots.c.step_key == row.step_key,
                node_slots.c.attempt == row.attempt,
            )
            .values(held=True, reason=None)
        )
        send.append(DispatchStep.model_validate(row.command))
    return send


def waiting_reasons(conn: Connection, run_id: str) -> dict[str, str]:
    """Step key → why it waits: for a slot of its node, or (running) for a model profile's rate limit."""
    stmt = select(node_slots.c.step_key, node_slots.c.reason).where(node_slots.c.run_id == run_id, ~node_slots.c.held)
    reasons = {r.step_key: r.reason or "waiting for a slot" for r in conn.execute(stmt)}
    waits = (
        select(step_waits.c.step_key, step_waits.c.reason)
        .join(
            attempts,
            and_(
                attempts.c.run_id == step_waits.c.run_id,
                attempts.c.step_key == step_waits.c.step_key,
                attempts.c.number == step_waits.c.attempt,
            ),
        )
        .where(step_waits.c.run_id == run_id, attempts.c.status == "running")  # a row left by a dead process: stale
    )
    return reasons | {r.step_key: r.reason for r in conn.execute(waits)}
