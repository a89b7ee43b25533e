"""Routes: credentials. Editors see names, grants and hosts; admins write and read the audit of uses.

No response ever carries a value.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy import Connection

from lockgate.api.deps import MAX_INT, Admin, Editor, RuntimeDep, StoreDep
from lockgate.api.schemas.credentials import (
    CredentialCreate,
    CredentialGrants,
    CredentialHosts,
    CredentialRead,
    CredentialRotation,
    CredentialUpdate,
    CredentialUsePage,
    CredentialUseRead,
)
from lockgate.store import credential_grants as grant_store
from lockgate.store import credentials as credential_store

__all__ = ["router"]

router = APIRouter(tags=["credentials"])
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such credential"}}


def _read(record: credential_store.CredentialRecord) -> CredentialRead:
    return CredentialRead(name=record.name, description=record.description, created_at=record.created_at,
                          updated_at=record.updated_at, pipelines=list(record.pipelines),
                          allowed_hosts=list(record.allowed_hosts))  # fmt: skip


@router.get("/credentials", summary="Every credential's name, grants and hosts (never a value)")
async def list_credentials(_: Editor, store: StoreDep) -> list[CredentialRead]:
    return [_read(r) for r in await store.read(credential_store.list_credentials)]


@router.post(
    "/credentials",
    status_code=201,
    summary="Store a credential, encrypted (optionally granted to pipelines and allowed hosts at once)",
    responses={409: {"description": "a credential of that name exists"}},
)
async def create_credential(who: Admin, body: CredentialCreate, store: StoreDep, runtime: RuntimeDep) -> CredentialRead:
    now = runtime.clock.now()

    def create(conn: Connection) -> credential_store.CredentialRecord:
        credential_store.create_credential(conn, runtime.cipher, body.name, body.value.get_secret_value(),
                                           body.description, now)  # fmt: skip
        grant_store.set_grants(conn, body.name, body.pipelines, who.user, now)
        grant_store.set_hosts(conn, body.name, body.allowed_hosts)
        return credential_store.get_credential(conn, body.name)

    return _read(await store.write(create))


@router.post("/credentials/rotate-key", summary="Re-encrypt every credential with the newest secret key")
async def rotate_key(_: Admin, store: StoreDep, runtime: RuntimeDep) -> CredentialRotation:
    return CredentialRotation(rotated=await store.write(credential_store.rotate_credentials, runtime.cipher))


@router.get("/credentials/{name}", summary="One credential's metadata, grants and hosts (never its value)",
            responses=_NOT_FOUND)  # fmt: skip
async def get_credential(_: Editor, name: str, store: StoreDep) -> CredentialRead:
    return _read(await store.read(credential_store.get_credential, name))


@router.put("/credentials/{name}", summary="Give a credential a new value", responses=_NOT_FOUND)
async def update_credential(
    _: Admin, name: str, body: CredentialUpdate, store: StoreDep, runtime: RuntimeDep
) -> CredentialRead:
    record = await store.write(credential_store.update_credential, runtime.cipher, name,
                               body.value.get_secret_value(), body.description, runtime.clock.now())  # fmt: skip
    return _read(record)


@router.put(
    "/credentials/{name}/grants",
    summary="Set the pipelines that may use a credential (saving a pipeline that names it needs a grant)",
    responses=_NOT_FOUND,
)
async def set_grants(
    who: Admin, name: str, body: CredentialGrants, store: StoreDep, runtime: RuntimeDep
) -> CredentialRead:
    def write(conn: Connection) -> credential_store.CredentialRecord:
        grant_store.set_grants(conn, name, body.pipelines, who.user, runtime.clock.now())
        return credential_store.get_credential(conn, name)

    return _read(await store.write(write))


@router.put("/credentials/{name}/allowed-hosts", summary="Set the hosts an http node may send a credential to",
            responses=_NOT_FOUND)  # fmt: skip
async def set_allowed_hosts(_: Admin, name: str, body: CredentialHosts, store: StoreDep) -> CredentialRead:
    def write(conn: Connection) -> credential_store.CredentialRecord:
        grant_store.set_hosts(conn, name, body.allowed_hosts)
        return credential_store.get_credential(conn, name)

    return _read(await store.write(write))


@router.delete("/credentials/{name}", status_code=204, summary="Delete a credential", responses=_NOT_FOUND)
async def delete_credential(_: Admin, name: str, store: StoreDep) -> Response:
    await store.write(credential_store.delete_credential, name)
    return Response(status_code=204)


@router.get("/credential-uses", summary="The audit: each use of a credential, newest first (never a value)")
async def list_credential_uses(
    _: Admin,
    store: StoreDep,
    credential: Annotated[str | None, Query(max_length=100, description="only this credential's uses")] = None,
    run_id: Annotated[str | None, Query(max_length=32, description="only this run's")] = None,
    before: Annotated[int | None, Query(ge=1, le=MAX_INT, description="next_before of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> CredentialUsePage:
    rows = await store.read(grant_store.list_uses, credential, run_id, before, limit + 1)
    items = [CredentialUseRead(id=r.id, credential=r.credential, purpose=r.purpose, pipeline=r.pipeline,
                               run_id=r.run_id, step=r.step_key, node_id=r.node_id, attempt=r.attempt,
                               used_at=r.used_at) for r in rows[:limit]]  # fmt: skip
    return CredentialUsePage(items=items, next_before=items[-1].id if len(rows) > limit else None)
