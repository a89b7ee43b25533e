"""Users and their API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select, update

from lockgate.errors import AlreadyRevokedError, ConflictError, NotFoundError
from lockgate.security.api_keys import GeneratedKey, Role, generate_key, hash_key
from lockgate.store.ids import new_id, unique_prefix
from lockgate.store.tables import api_keys, users

__all__ = [
    "KeyRecord",
    "Principal",
    "authenticate",
    "count_users",
    "create_key",
    "create_user",
    "get_user",
    "list_keys",
    "list_users",
    "revoke_key",
]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the user and role behind an API key."""

    user_id: str
    user: str
    role: Role
    key_id: str


@dataclass(frozen=True, slots=True)
class KeyRecord:
    id: str
    user_id: str
    user: str
    role: Role
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


def count_users(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(users)).scalar_one())


def create_user(conn: Connection, name: str, role: Role, now: datetime) -> str:
    if conn.execute(select(users.c.id).where(users.c.name == name)).first() is not None:
        raise ConflictError(f"user {name!r} already exists")
    user_id = new_id()
    conn.execute(users.insert().values(id=user_id, name=name, role=role.value, created_at=now))
    return user_id


def get_user(conn: Connection, name_or_id: str) -> Row[Any]:
    row = conn.execute(select(users).where((users.c.name == name_or_id) | (users.c.id == name_or_id))).first()
    if row is None:
        raise NotFoundError("user", name_or_id)
    return row


def list_users(conn: Connection) -> list[Row[Any]]:
    return list(conn.execute(select(users).order_by(users.c.name)))


def create_key(
    conn: Connection, user_id: str, name: str, now: datetime, expires_at: datetime | None = None
) -> tuple[str, GeneratedKey]:
    key = generate_key()
    key_id = new_id()
    conn.execute(api_keys.insert().values(id=key_id, user_id=user_id, name=name, prefix=key.prefix, hash=key.hash,
                                          created_at=now, expires_at=expires_at))  # fmt: skip
    return key_id, key


_KEYS = select(api_keys, users.c.name.label("user_name"), users.c.role).join(users, users.c.id == api_keys.c.user_id)


def _key(row: Row[Any]) -> KeyRecord:
    return KeyRecord(row.id, row.user_id, row.user_name, Role(row.role), row.name, row.prefix, row.created_at,
                     row.expires_at, row.revoked_at, row.last_used_at)  # fmt: skip


def list_keys(conn: Connection, user_id: str | None = None) -> list[KeyRecord]:
    stmt = _KEYS if user_id is None else _KEYS.where(api_keys.c.user_id == user_id)
    return [_key(r) for r in conn.execute(stmt.order_by(api_keys.c.created_at))]


def revoke_key(conn: Connection, key_id: str, now: datetime) -> str:
    """Revoke a key given by its id or a unique prefix of it; returns the whole id."""
    if conn.execute(select(api_keys.c.id).where(api_keys.c.id == key_id)).first() is None:
        key_id = unique_prefix(conn, api_keys.c.id, "api key", key_id)
    done = conn.execute(update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                        .values(revoked_at=now))  # fmt: skip
    if done.rowcount == 0:
        revoked_at = conn.execute(select(api_keys.c.revoked_at).where(api_keys.c.id == key_id)).scalar_one_or_none()
        if revoked_at is not None:
            raise AlreadyRevokedError(key_id, revoked_at)
        raise NotFoundError("api key", key_id)
    return key_id


def authenticate(conn: Connection, plaintext: str, now: datetime) -> Principal | None:
    """The principal of a valid key; None for an unknown, revoked or expired key, or a disabled user."""
    row = conn.execute(_KEYS.add_columns(users.c.disabled_at).where(api_keys.c.hash == hash_key(plaintext))).first()
    if row is None or row.revoked_at is not None or row.disabled_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    return Principal(row.user_id, row.user_name, Role(row.role), row.id)
