"""Routes: who am I, users (admin) and API keys (admin; the plaintext is shown once, at creation)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import Connection, Row, func, select, update

from lockgate.api.deps import Admin, RuntimeDep, StoreDep, Viewer
from lockgate.api.schemas.auth import KeyCreate, KeyCreated, KeyRead, MeRead, UserCreate, UserRead, UserUpdate
from lockgate.errors import ConflictError
from lockgate.security.api_keys import Role
from lockgate.store import auth as auth_store
from lockgate.store.tables import users

__all__ = ["router"]

router = APIRouter(tags=["auth"])


def _user(row: Row[Any]) -> UserRead:
    return UserRead(id=row.id, name=row.name, role=Role(row.role), created_at=row.created_at,
                    disabled_at=row.disabled_at)  # fmt: skip


def _key(record: auth_store.KeyRecord) -> KeyRead:
    return KeyRead(id=record.id, user=record.user, role=record.role, name=record.name, prefix=record.prefix,
                   created_at=record.created_at, expires_at=record.expires_at, revoked_at=record.revoked_at,
                   last_used_at=record.last_used_at)  # fmt: skip


def _update_user(conn: Connection, name: str, change: UserUpdate, now: datetime) -> Row[Any]:
    # TODO(store owner): move into store/auth.py as update_user; kept here as that module is not ours to edit.
    row = auth_store.get_user(conn, name)
    stays_admin = (change.role or Role(row.role)) is Role.ADMIN and not change.disabled
    if row.role == Role.ADMIN.value and row.disabled_at is None and not stays_admin:
        others = (
            select(func.count())
            .select_from(users)
            .where(users.c.role == Role.ADMIN.value, users.c.disabled_at.is_(None), users.c.id != row.id)
        )
        if conn.execute(others).scalar_one() == 0:
            raise ConflictError(f"{row.name} is the last active admin")
    values: dict[str, Any] = {}
    if change.role is not None:
        values["role"] = change.role.value
    if change.disabled is not None:
        values["disabled_at"] = (row.disabled_at or now) if change.disabled else None
    if values:
        conn.execute(update(users).where(users.c.id == row.id).values(**values))
    return auth_store.get_user(conn, row.id)


@router.get("/me", summary="The caller: user, role and the key in use")
async def me(principal: Viewer) -> MeRead:
    return MeRead(user=principal.user, role=principal.role, key_id=principal.key_id)


@router.get("/users", summary="Every user")
async def list_users(_: Admin, store: StoreDep) -> list[UserRead]:
    return [_user(r) for r in await store.read(auth_store.list_users)]


@router.post(
    "/users",
    status_code=201,
    summary="Create a user with a role",
    responses={409: {"description": "a user of that name exists"}},
)
async def create_user(_: Admin, body: UserCreate, store: StoreDep, runtime: RuntimeDep) -> UserRead:
    def create(conn: Connection) -> Row[Any]:
        user_id = auth_store.create_user(conn, body.name, body.role, runtime.clock.now())
        return auth_store.get_user(conn, user_id)

    return _user(await store.write(create))


@router.patch(
    "/users/{name}",
    summary="Change a user's role, or disable / enable the user",
    responses={409: {"description": "it would leave no active admin"}},
)
async def update_user(_: Admin, name: str, body: UserUpdate, store: StoreDep, runtime: RuntimeDep) -> UserRead:
    return _user(await store.write(_update_user, name, body, runtime.clock.now()))


@router.get("/keys", summary="Every API key (never the key itself)")
async def list_keys(_: Admin, store: StoreDep) -> list[KeyRead]:
    return [_key(k) for k in await store.read(auth_store.list_keys)]


@router.post(
    "/keys",
    status_code=201,
    summary="Create an API key; the response shows it this once",
    responses={404: {"description": "the user named in the body does not exist"}},
)
async def create_key(_: Admin, body: KeyCreate, store: StoreDep, runtime: RuntimeDep) -> KeyCreated:
    now = runtime.clock.now()
    expires = now + timedelta(days=body.expires_in_days) if body.expires_in_days else None

    def create(conn: Connection) -> tuple[auth_store.KeyRecord, str]:
        user_id = auth_store.get_user(conn, body.user).id
        key_id, key = auth_store.create_key(conn, user_id, body.name, now, expires)
        record = next(k for k in auth_store.list_keys(conn, user_id) if k.id == key_id)
        return record, key.plaintext

    record, plaintext = await store.write(create)
    return KeyCreated(**_key(record).model_dump(), key=plaintext)


@router.delete(
    "/keys/{key_id}",
    status_code=204,
    summary="Revoke an API key: it stops working at once",
    responses={
        404: {"description": "no key has this id (or id prefix)"},
        409: {"description": "the key is already revoked (code already_revoked): nothing changed"},
    },
)
async def revoke_key(_: Admin, key_id: str, store: StoreDep, runtime: RuntimeDep) -> Response:
    await store.write(auth_store.revoke_key, key_id, runtime.clock.now())
    return Response(status_code=204)
