"""Model profiles (provider, model id, endpoint, credential, defaults, prices, what the server does), agent profiles."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, select, update

from lockgate.errors import ConflictError, NotFoundError
from lockgate.store.ids import new_id
from lockgate.store.tables import agent_profiles, model_profiles

__all__ = [
    "AgentProfileRecord",
    "ModelProfileRecord",
    "create_agent_profile",
    "create_model_profile",
    "delete_agent_profile",
    "delete_model_profile",
    "get_agent_profile",
    "get_model_profile",
    "list_agent_profiles",
    "list_model_profiles",
    "update_agent_profile",
    "update_model_profile",
]


@dataclass(frozen=True, slots=True)
class ModelProfileRecord:
    name: str
    provider: str
    model_id: str
    base_url: str | None
    credential: str | None
    temperature: float | None
    max_tokens: int | None
    input_price: float
    output_price: float
    description: str | None
    stream_usage: bool | None
    cap_field: str | None
    output_mode: str | None
    max_concurrency: int | None
    context_window: int | None
    requests_per_minute: int | None
    tokens_per_minute: int | None
    probe: dict[str, Any] | None
    probed_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AgentProfileRecord:
    name: str
    description: str | None
    model: str | None
    instructions: str | None
    temperature: float | None
    tools: list[str] | None
    created_at: datetime
    updated_at: datetime


def _get(conn: Connection, table: Table, kind: str, record: type[Any], name: str) -> Any:
    row = conn.execute(select(table).where(table.c.name == name)).first()
    if row is None:
        raise NotFoundError(kind, name)
    return record(**{f.name: getattr(row, f.name) for f in fields(record)})


def _list(conn: Connection, table: Table, record: type[Any]) -> list[Any]:
    rows = conn.execute(select(table).order_by(table.c.name))
    return [record(**{f.name: getattr(row, f.name) for f in fields(record)}) for row in rows]


def _create(conn: Connection, table: Table, kind: str, values: dict[str, Any], now: datetime) -> None:
    if conn.execute(select(table.c.id).where(table.c.name == values["name"])).first() is not None:
        raise ConflictError(f"{kind} {values['name']!r} already exists")
    conn.execute(table.insert().values(id=new_id(), **values, created_at=now, updated_at=now))


def _update(conn: Connection, table: Table, kind: str, name: str, values: dict[str, Any], now: datetime) -> None:
    if conn.execute(update(table).where(table.c.name == name).values(**values, updated_at=now)).rowcount == 0:
        raise NotFoundError(kind, name)


def _delete(conn: Connection, table: Table, kind: str, name: str) -> None:
    if conn.execute(delete(table).where(table.c.name == name)).rowcount == 0:
        raise NotFoundError(kind, name)


def get_model_profile(conn: Connection, name: str) -> ModelProfileRecord:
    record: ModelProfileRecord = _get(conn, model_profiles, "model profile", ModelProfileRecord, name)
    return record


def list_model_profiles(conn: Connection) -> list[ModelProfileRecord]:
    return _list(conn, model_profiles, ModelProfileRecord)


def create_model_profile(conn: Connection, values: dict[str, Any], now: datetime) -> ModelProfileRecord:
    """``values``: the columns of a model profile, ``name`` included."""
    _create(conn, model_profiles, "model profile", values, now)
    return get_model_profile(conn, values["name"])


def update_model_profile(conn: Connection, name: str, values: dict[str, Any], now: datetime) -> ModelProfileRecord:
    """Change the given columns only."""
    _update(conn, model_profiles, "model profile", name, values, now)
    return get_model_profile(conn, name)


def delete_model_profile(conn: Connection, name: str) -> None:
    _delete(conn, model_profiles, "model profile", name)


def get_agent_profile(conn: Connection, name: str) -> AgentProfileRecord:
    record: AgentProfileRecord = _get(conn, agent_profiles, "agent profile", AgentProfileRecord, name)
    return record


def list_agent_profiles(conn: Connection) -> list[AgentProfileRecord]:
    return _list(conn, agent_profiles, AgentProfileRecord)


def create_agent_profile(conn: Connection, values: dict[str, Any], now: datetime) -> AgentProfileRecord:
    _create(conn, agent_profiles, "agent profile", values, now)
    return get_agent_profile(conn, values["name"])


def update_agent_profile(conn: Connection, name: str, values: dict[str, Any], now: datetime) -> AgentProfileRecord:
    _update(conn, agent_profiles, "agent profile", name, values, now)
    return get_agent_profile(conn, name)


def delete_agent_profile(conn: Connection, name: str) -> None:
    _delete(conn, agent_profiles, "agent profile", name)
