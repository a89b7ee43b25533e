"""Routes: credentials. Editors see names and metadata; admins write. No response ever carries a value."""

from __future__ import annotations

from fastapi import APIRouter, Response

from lockgate.api.deps import Admin, Editor, RuntimeDep, StoreDep
from lockgate.api.schemas.credentials import CredentialCreate, CredentialRead, CredentialRotation, CredentialUpdate
from lockgate.store import credentials as credential_store

__all__ = ["router"]

router = APIRouter(tags=["credentials"])


def _read(record: credential_store.CredentialRecord) -> CredentialRead:
    return CredentialRead(name=record.name, description=record.description, created_at=record.created_at,
                          updated_at=record.updated_at)  # fmt: skip


@router.get("/credentials", summary="Every credential's name and metadata (never a value)")
async def list_credentials(_: Editor, store: StoreDep) -> list[CredentialRead]:
    return [_read(r) for r in await store.read(credential_store.list_credentials)]


@router.post(
    "/credentials",
    status_code=201,
    summary="Store a credential, encrypted",
    responses={409: {"description": "a credential of that name exists"}},
)
async def create_credential(_: Admin, body: CredentialCreate, store: StoreDep, runtime: RuntimeDep) -> CredentialRead:
    record = await store.write(credential_store.create_credential, runtime.cipher, body.name,
                               body.value.get_secret_value(), body.description, runtime.clock.now())  # fmt: skip
    return _read(record)


@router.post("/credentials/rotate-key", summary="Re-encrypt every credential with the newest secret key")
async def rotate_key(_: Admin, store: StoreDep, runtime: RuntimeDep) -> CredentialRotation:
    return CredentialRotation(rotated=await store.write(credential_store.rotate_credentials, runtime.cipher))


@router.get("/credentials/{name}", summary="One credential's metadata (never its value)")
async def get_credential(_: Editor, name: str, store: StoreDep) -> CredentialRead:
    return _read(await store.read(credential_store.get_credential, name))


@router.put("/credentials/{name}", summary="Give a credential a new value")
async def update_credential(
    _: Admin, name: str, body: CredentialUpdate, store: StoreDep, runtime: RuntimeDep
) -> CredentialRead:
    record = await store.write(credential_store.update_credential, runtime.cipher, name,
                               body.value.get_secret_value(), body.description, runtime.clock.now())  # fmt: skip
    return _read(record)


@router.delete("/credentials/{name}", status_code=204, summary="Delete a credential")
async def delete_credential(_: Admin, name: str, store: StoreDep) -> Response:
    await store.write(credential_store.delete_credential, name)
    return Response(status_code=204)
