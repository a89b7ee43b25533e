"""Dependencies: the runtime, store access off the event loop, and who is calling (with which role)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection

from lockgate.api.errors import AuthenticationError
from lockgate.errors import PermissionDeniedError
from lockgate.runtime import Runtime
from lockgate.security.api_keys import Role
from lockgate.store.auth import Principal, authenticate

__all__ = [
    "MAX_BIGINT",
    "MAX_INT",
    "Admin",
    "Editor",
    "Operator",
    "RuntimeDep",
    "Store",
    "StoreDep",
    "Viewer",
    "require",
]

T = TypeVar("T")
# Bounds of the columns numbers are looked up in: beyond them a request is invalid (422), not a crash.
MAX_INT = 2**31 - 1
MAX_BIGINT = 2**63 - 1
_bearer = HTTPBearer(auto_error=False, description="an API key: `Authorization: Bearer lg_…`")


class Store:
    """Reads run on worker threads (SQLite WAL readers do not block the writer); writes on the runtime's DB thread."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        def job() -> T:
            with self.runtime.db.read() as conn:
                return fn(conn, *args)

        return await asyncio.to_thread(job)

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        def job() -> T:
            with self.runtime.db.write() as conn:
                return fn(conn, *args)

        return await self.runtime.db_call(job)


# Async (though they do not await): FastAPI runs a sync dependency on a worker thread, a hop per request.
async def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(_runtime)]


async def _store(runtime: RuntimeDep) -> Store:
    return Store(runtime)


StoreDep = Annotated[Store, Depends(_store)]


async def _principal(
    store: StoreDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None:
        raise AuthenticationError("an API key is required: Authorization: Bearer <key>")

    def check(conn: Connection) -> Principal | None:
        return authenticate(conn, credentials.credentials, store.runtime.clock.now())

    principal = await store.read(check)
    if principal is None:
        raise AuthenticationError("the API key is unknown, revoked or expired")
    return principal


def require(role: Role) -> Callable[..., Any]:
    """A dependency that lets through callers whose role is at least ``role``."""

    async def dependency(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        if not principal.role.allows(role):
            raise PermissionDeniedError(f"this needs the {role.value} role; {principal.user} is {principal.role.value}")
        return principal

    dependency.min_role = role  # type: ignore[attr-defined]  # read by the authorization test over every route
    return dependency


Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
Editor = Annotated[Principal, Depends(require(Role.EDITOR))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
