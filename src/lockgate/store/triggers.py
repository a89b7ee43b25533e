"""Webhooks, schedules and schedule firings (the firing's primary key makes each slot fire once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, delete, or_, select, update

from lockgate.errors import NotFoundError
from lockgate.store.deliveries import delete_for_webhook
from lockgate.store.ids import new_id
from lockgate.store.pipelines import PipelineRecord, VersionRecord, get_pipeline, get_version
from lockgate.store.tables import pipeline_versions, pipelines, schedule_firings, schedules, webhooks
from lockgate.store.upsert import dialect_insert

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = [
    "ScheduleRecord",
    "WebhookRecord",
    "claim_firing",
    "create_schedule",
    "create_webhook",
    "delete_schedule",
    "delete_webhook",
    "enabled_schedules",
    "find_webhook",
    "get_schedule",
    "latest_version",
    "link_firing",
    "list_firings",
    "list_schedules",
    "list_webhooks",
    "mark_considered",
    "update_schedule",
]


@dataclass(frozen=True, slots=True)
class WebhookRecord:
    id: str
    pipeline_id: str
    pipeline: str
    secret_ciphertext: str | None
    enabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ScheduleRecord:
    id: str
    pipeline_id: str
    pipeline: str
    cron: str
    timezone: str
    input: dict[str, Any]
    missed: str
    enabled: bool
    last_fire_at: datetime | None
    created_at: datetime


def latest_version(conn: Connection, pipeline: PipelineRecord) -> VersionRecord:
    version_id = conn.execute(
        select(pipeline_versions.c.id).where(
            pipeline_versions.c.pipeline_id == pipeline.id, pipeline_versions.c.number == pipeline.latest_version
        )
    ).scalar()
    if version_id is None:
        raise NotFoundError("pipeline version", f"{pipeline.name} v{pipeline.latest_version}")
    return get_version(conn, version_id)


# ---- webhooks ------------------------------------------------------------------------------------

_WEBHOOK = select(
    webhooks.c.id, webhooks.c.pipeline_id, pipelines.c.name, webhooks.c.secret_ciphertext, webhooks.c.enabled,
    webhooks.c.created_at,
).join(pipelines, pipelines.c.id == webhooks.c.pipeline_id)  # fmt: skip


def create_webhook(
    conn: Connection, pipeline: str, token_hash: str, secret_ciphertext: str | None, enabled: bool, now: datetime
) -> WebhookRecord:
    record = get_pipeline(conn, pipeline)
    webhook_id = new_id()
    conn.execute(
        webhooks.insert().values(id=webhook_id, pipeline_id=record.id, token_hash=token_hash,
                                 secret_ciphertext=secret_ciphertext, enabled=enabled, created_at=now)
    )  # fmt: skip
    return WebhookRecord(webhook_id, record.id, record.name, secret_ciphertext, enabled, now)


def list_webhooks(conn: Connection, pipeline: str) -> list[WebhookRecord]:
    record = get_pipeline(conn, pipeline)
    rows = conn.execute(_WEBHOOK.where(webhooks.c.pipeline_id == record.id).order_by(webhooks.c.id))
    return [WebhookRecord(*r) for r in rows]


def find_webhook(conn: Connection, token_hash: str) -> WebhookRecord | None:
    """The enabled webhook with this token, or None (unknown and disabled look the same)."""
    row = conn.execute(_WEBHOOK.where(webhooks.c.token_hash == token_hash, webhooks.c.enabled.is_(True))).first()
    return None if row is None else WebhookRecord(*row)


def delete_webhook(conn: Connection, webhook_id: str) -> None:
    delete_for_webhook(conn, webhook_id)
    if conn.execute(delete(webhooks).where(webhooks.c.id == webhook_id)).rowcount == 0:
        raise NotFoundError("webhook", webhook_id)


# ---- schedules -----------------------------------------------------------------------------------

_SCHEDULE = select(
    schedules.c.id, schedules.c.pipeline_id, pipelines.c.name, schedules.c.cron, schedules.c.timezone,
    schedules.c.input, schedules.c.missed, schedules.c.enabled, schedules.c.last_fire_at, schedules.c.created_at,
).join(pipelines, pipelines.c.id == schedules.c.pipeline_id)  # fmt: skip


def _schedule(row: Row[Any] | Any) -> ScheduleRecord:
    return ScheduleRecord(row.id, row.pipeline_id, row.name, row.cron, row.timezone, row.input, row.missed,
                          row.enabled, row.last_fire_at, row.created_at)  # fmt: skip


def create_schedule(conn: Connection, pipeline_id: str, values: dict[str, Any], now: datetime) -> ScheduleRecord:
    schedule_id = new_id()
    conn.execute(schedules.insert().values(id=schedule_id, pipeline_id=pipeline_id, created_at=now, **values))
    return get_schedule(conn, schedule_id)


def get_schedule(conn: Connection, schedule_id: str) -> ScheduleRecord:
    row = conn.execute(_SCHEDULE.where(schedules.c.id == schedule_id)).first()
    if row is None:
        raise NotFoundError("schedule", schedule_id)
    return _schedule(row)


def list_schedules(conn: Connection, pipeline: str) -> list[ScheduleRecord]:
    record = get_pipeline(conn, pipeline)
    rows = conn.execute(_SCHEDULE.where(schedules.c.pipeline_id == record.id).order_by(schedules.c.id))
    return [_schedule(r) for r in rows]


def enabled_schedules(conn: Connection) -> list[ScheduleRecord]:
    return [_schedule(r) for r in conn.execute(_SCHEDULE.where(schedules.c.enabled.is_(True)))]


def update_schedule(conn: Connection, schedule_id: str, values: dict[str, Any]) -> ScheduleRecord:
    if values and conn.execute(update(schedules).where(schedules.c.id == schedule_id).values(**values)).rowcount == 0:
        raise NotFoundError("schedule", schedule_id)
    return get_schedule(conn, schedule_id)


def delete_schedule(conn: Connection, schedule_id: str) -> None:
    conn.execute(delete(schedule_firings).where(schedule_firings.c.schedule_id == schedule_id))
    if conn.execute(delete(schedules).where(schedules.c.id == schedule_id)).rowcount == 0:
        raise NotFoundError("schedule", schedule_id)


def mark_considered(conn: Connection, schedule_id: str, last: datetime) -> None:
    """Move ``last_fire_at`` forward only: a process that read an older value never moves it back."""
    conn.execute(
        update(schedules)
        .where(schedules.c.id == schedule_id)
        .where(or_(schedules.c.last_fire_at.is_(None), schedules.c.last_fire_at < last))
        .values(last_fire_at=last)
    )


def claim_firing(conn: Connection, schedule: ScheduleRecord, fire_at: datetime, now: datetime) -> bool:
    """Insert the firing; True only if this insert won (the caller then starts its run in the same transaction)."""
    firing = {"schedule_id": schedule.id, "fire_at": fire_at, "created_at": now}
    stmt = dialect_insert(conn.dialect.name, schedule_firings).values(**firing)
    won = conn.execute(stmt.on_conflict_do_nothing().returning(schedule_firings.c.schedule_id)).first()
    return won is not None


def link_firing(conn: Connection, schedule_id: str, fire_at: datetime, run_id: str) -> None:
    """The run a firing started."""
    conn.execute(
        update(schedule_firings)
        .where(schedule_firings.c.schedule_id == schedule_id, schedule_firings.c.fire_at == fire_at)
        .values(run_id=run_id)
    )


def list_firings(conn: Connection, schedule_id: str) -> list[tuple[datetime, str | None]]:
    rows = conn.execute(
        select(schedule_firings.c.fire_at, schedule_firings.c.run_id)
        .where(schedule_firings.c.schedule_id == schedule_id)
        .order_by(schedule_firings.c.fire_at)
    )
    return [(r.fire_at, r.run_id) for r in rows]
