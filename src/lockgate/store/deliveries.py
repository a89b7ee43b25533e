"""Webhook deliveries seen within the signature window: one run per delivery, across restarts and servers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, or_, select

from lockgate.errors import DuplicateDeliveryError
from lockgate.store.ids import new_id
from lockgate.store.security_tables import webhook_deliveries
from lockgate.store.upsert import dialect_insert

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = ["Delivery", "delete_for_webhook", "prune", "remember"]


@dataclass(frozen=True, slots=True)
class Delivery:
    """What identifies one webhook request: its signature's HMAC (signed hooks) and the sender's delivery id."""

    webhook_id: str
    signature: str | None
    delivery_id: str | None
    signed_at: datetime


def _first_run(conn: Connection, delivery: Delivery) -> str | None:
    same = [webhook_deliveries.c.signature == delivery.signature] if delivery.signature is not None else []
    if delivery.delivery_id is not None:
        same.append(webhook_deliveries.c.delivery_id == delivery.delivery_id)
    found: str | None = conn.execute(
        select(webhook_deliveries.c.run_id)
        .where(webhook_deliveries.c.webhook_id == delivery.webhook_id, or_(*same))
        .order_by(webhook_deliveries.c.created_at)
        .limit(1)
    ).scalar()
    return found


def remember(conn: Connection, delivery: Delivery, run_id: str, now: datetime) -> None:
    """Record the delivery in the transaction creating its run; DuplicateDeliveryError (the run is undone) if seen.

    ON CONFLICT DO NOTHING with no target covers both unique constraints; a concurrent insert of the same delivery by
    another server waits for that transaction and then conflicts, so exactly one of them creates a run.
    """
    row = {"id": new_id(), "webhook_id": delivery.webhook_id, "signature": delivery.signature,
           "delivery_id": delivery.delivery_id, "signed_at": delivery.signed_at, "run_id": run_id,
           "created_at": now}  # fmt: skip
    stmt = dialect_insert(conn.dialect.name, webhook_deliveries).values(**row)
    if conn.execute(stmt.on_conflict_do_nothing().returning(webhook_deliveries.c.id)).first() is not None:
        return
    first = _first_run(conn, delivery)
    what = f"Lockgate-Delivery {delivery.delivery_id!r}" if delivery.delivery_id is not None else "this signed request"
    started = f"it started run {first}" if first is not None else "it started a run"
    raise DuplicateDeliveryError(f"{what} was received before: {started}; a delivery starts one run", first)


def prune(conn: Connection, before: datetime) -> int:
    """Forget deliveries signed before ``before`` (their signatures are refused as too old by then)."""
    return conn.execute(delete(webhook_deliveries).where(webhook_deliveries.c.signed_at < before)).rowcount


def delete_for_webhook(conn: Connection, webhook_id: str) -> None:
    conn.execute(delete(webhook_deliveries).where(webhook_deliveries.c.webhook_id == webhook_id))
