"""Every route of ``create_app()`` by every caller: no key → 401, a role below the route's → 403, else neither.

Routes are discovered, not listed: a new route without a ``require(role)`` dependency fails
``test_every_route_declares_a_role`` unless it is public by design (the allow-list below).
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from starlette.routing import Mount, Route
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from lockgate.api.app import create_app
from lockgate.security.api_keys import Role
from lockgate.settings import Settings

if TYPE_CHECKING:
    import httpx
    from fastapi.dependencies.models import Dependant
    from tests.integration.api.conftest import Server

# Public by design (DESIGN.md, Interfaces): operations endpoints, the API description, webhook receivers.
PUBLIC_PATHS = frozenset({"/health", "/ready", "/metrics", "/docs", "/docs/oauth2-redirect", "/api/v1/openapi.json"})
PUBLIC_PREFIXES = ("/api/v1/hooks/",)
PUBLIC_MOUNTS = frozenset({""})  # the built web UI at "/", when present
# WebSocket routes cannot use the HTTP bearer dependency: they authenticate in the handler and close with these
# codes. Each must be listed here with its role; the matrix then checks the behaviour over a real socket.
WS_IN_HANDLER_AUTH: dict[str, Role] = {"/api/v1/events/ws": Role.VIEWER, "/api/v1/runs/{run_id}/events/ws": Role.VIEWER}
WS_UNAUTHENTICATED, WS_FORBIDDEN = 4401, 4403
CALLERS: tuple[Role | None, ...] = (None, *Role)
_PARAM = re.compile(r"\{([^}:]+)(?::([^}]+))?\}")
_DUMMY = {"int": "1", "float": "1", "uuid": "00000000-0000-0000-0000-000000000000"}


@dataclass(frozen=True)
class Endpoint:
    method: str  # "WS" for a WebSocket route
    path: str
    min_role: Role | None  # None: public by design


def _min_role(dependant: Dependant) -> Role | None:
    """The strictest ``require(role)`` anywhere in the dependency tree."""
    found: list[Role] = []
    stack = [dependant]
    while stack:
        current = stack.pop()
        role = getattr(current.call, "min_role", None)
        if isinstance(role, Role):
            found.append(role)
        stack.extend(current.dependencies)
    return max(found, key=lambda r: r.rank) if found else None


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def discover() -> tuple[list[Endpoint], list[str]]:
    """Every endpoint of the app with its role, and the problems (routes that declare none)."""
    app = create_app(Settings(home=Path(tempfile.gettempdir()) / "lockgate-matrix"))  # built, never started
    endpoints: list[Endpoint] = []
    problems: list[str] = []
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path or ""
        if isinstance(route, APIRoute):
            role = _min_role(context.dependant)
            methods = sorted((route.methods or set()) - {"HEAD", "OPTIONS"})
            if role is None and not _is_public(path):
                problems.append(f"{methods} {path}: no require(role) dependency and not public")
            endpoints += [Endpoint(m, path, role) for m in methods]
        elif isinstance(route, APIWebSocketRoute):
            role = _min_role(context.dependant) or WS_IN_HANDLER_AUTH.get(path)
            if role is None:
                problems.append(f"WS {path}: no require(role) dependency and not in WS_IN_HANDLER_AUTH")
            endpoints.append(Endpoint("WS", path, role))
        elif isinstance(route, Route) and _is_public(path):
            continue  # openapi.json and /docs: Starlette routes FastAPI adds
        elif isinstance(route, Mount) and path in PUBLIC_MOUNTS:
            continue
        else:
            problems.append(f"{type(route).__name__} {path}: unknown kind of route; add it to the matrix")
    return endpoints, problems


def test_every_route_declares_a_role() -> None:
    endpoints, problems = discover()
    assert not problems, "\n".join(problems)
    assert any(e.path == "/api/v1/credentials" for e in endpoints)  # discovery found the routers


def _url(path: str) -> str:
    return _PARAM.sub(lambda m: _DUMMY.get(m.group(2) or "", "dummy"), path)


def _http_status(client: httpx.Client, endpoint: Endpoint) -> int:
    body: dict[str, object] | None = {} if endpoint.method in {"POST", "PUT", "PATCH"} else None
    request = client.build_request(endpoint.method, _url(endpoint.path), json=body)
    response = client.send(request, stream=True)  # streams (SSE) are not read: only the status matters
    try:
        if response.status_code == 401:
            assert response.headers.get("www-authenticate") == "Bearer", endpoint
        return response.status_code
    finally:
        response.close()


def _ws_status(server: Server, endpoint: Endpoint, caller: Role | None) -> int:
    """401/403 for the in-handler close codes; 101 for a socket that stays open or closes for another reason."""
    url = server.base_url.replace("http://", "ws://") + _url(endpoint.path)
    headers = {"Authorization": f"Bearer {server.keys[caller]}"} if caller is not None else {}
    try:
        with connect(url, additional_headers=headers, open_timeout=10) as socket:
            # A refusal comes at once; wait long for it where one is due, briefly where none is.
            refused = caller is None or endpoint.min_role is None or not caller.allows(endpoint.min_role)
            socket.recv(timeout=10 if refused else 1)
    except InvalidStatus as exc:
        return exc.response.status_code
    except ConnectionClosed as exc:
        code = exc.rcvd.code if exc.rcvd is not None else 1006
        return {WS_UNAUTHENTICATED: 401, WS_FORBIDDEN: 403}.get(code, 101)
    except TimeoutError:
        return 101
    return 101


def _expected(endpoint: Endpoint, caller: Role | None, status: int) -> bool:
    assert endpoint.min_role is not None
    if caller is None:
        return status == 401
    if not caller.allows(endpoint.min_role):
        return status == 403
    return status not in {401, 403}


def test_authorization_matrix(server: Server) -> None:
    endpoints, problems = discover()
    assert not problems, "\n".join(problems)
    guarded = [e for e in endpoints if e.min_role is not None]
    lines = [f"{'method':7} {'path':58} {'min':9} " + " ".join(f"{c or 'no key':>8}" for c in CALLERS)]
    wrong: list[str] = []
    with contextlib.ExitStack() as stack:
        clients = {caller: stack.enter_context(server.client(caller)) for caller in CALLERS}
        lines += [_row(server, clients, endpoint, wrong) for endpoint in guarded]
    print("\n" + "\n".join(lines))  # noqa: T201 - the matrix is kept in the test output for the record
    assert not wrong, "\n".join(wrong)


def _row(server: Server, clients: dict[Role | None, httpx.Client], endpoint: Endpoint, wrong: list[str]) -> str:
    cells = []
    for caller in CALLERS:
        if endpoint.method == "WS":
            status = _ws_status(server, endpoint, caller)
        else:
            status = _http_status(clients[caller], endpoint)
        ok = _expected(endpoint, caller, status)
        cells.append(f"{status}{'' if ok else '!'}".rjust(8))
        if not ok:
            wrong.append(f"{endpoint.method} {endpoint.path} as {caller or 'no key'}: {status}")
    assert endpoint.min_role is not None
    return f"{endpoint.method:7} {endpoint.path:58} {endpoint.min_role.value:9} " + " ".join(cells)


# The routes people use to answer, roll back and compare, with the role each must need (the matrix above
# then checks the behaviour); answering also needs being among the task's assignees (test_tasks.py).
PEOPLE_ROUTES: dict[tuple[str, str], Role] = {
    ("GET", "/api/v1/tasks"): Role.VIEWER,
    ("GET", "/api/v1/tasks/{task_id}"): Role.VIEWER,
    ("POST", "/api/v1/tasks/{task_id}/approve"): Role.OPERATOR,
    ("POST", "/api/v1/tasks/{task_id}/revise"): Role.OPERATOR,
    ("POST", "/api/v1/tasks/{task_id}/submit"): Role.OPERATOR,
    ("POST", "/api/v1/tasks/{task_id}/reject"): Role.OPERATOR,
    ("GET", "/api/v1/runs/{run:runref}/interactions"): Role.VIEWER,
    ("POST", "/api/v1/runs/{run:runref}/rollback"): Role.OPERATOR,
    ("GET", "/api/v1/runs/{run:runref}/rollbacks"): Role.VIEWER,
    ("GET", "/api/v1/pipelines/{name}/rollbacks"): Role.VIEWER,
    ("POST", "/api/v1/pipelines/{name}/latest"): Role.OPERATOR,
    ("GET", "/api/v1/artifacts/{artifact_id}/compare"): Role.VIEWER,
    ("GET", "/api/v1/runs/{run:runref}/steps/{step}/compare"): Role.VIEWER,
}


def test_the_routes_of_people_need_the_roles_they_should() -> None:
    endpoints, _ = discover()
    found = {(e.method, e.path): e.min_role for e in endpoints if (e.method, e.path) in PEOPLE_ROUTES}
    assert found == PEOPLE_ROUTES


# The agent routes (issue 5) with the role each must demand: model profiles point a credential at an endpoint,
# so only admins write them; agent profiles are definitions (editors); conversations and costs are for viewers.
AGENT_ROUTES = {
    ("GET", "/api/v1/models"): Role.VIEWER,
    ("POST", "/api/v1/models"): Role.ADMIN,
    ("GET", "/api/v1/models/{name}"): Role.VIEWER,
    ("PATCH", "/api/v1/models/{name}"): Role.ADMIN,
    ("DELETE", "/api/v1/models/{name}"): Role.ADMIN,
    ("GET", "/api/v1/agent-profiles"): Role.VIEWER,
    ("POST", "/api/v1/agent-profiles"): Role.EDITOR,
    ("GET", "/api/v1/agent-profiles/{name}"): Role.VIEWER,
    ("PATCH", "/api/v1/agent-profiles/{name}"): Role.EDITOR,
    ("DELETE", "/api/v1/agent-profiles/{name}"): Role.EDITOR,
    ("GET", "/api/v1/runs/{run:runref}/steps/{step}/conversation"): Role.VIEWER,
    ("GET", "/api/v1/runs/{run:runref}/costs"): Role.VIEWER,
    ("GET", "/api/v1/pipelines/{name}/costs"): Role.VIEWER,
}


def test_agent_routes_demand_their_roles() -> None:
    endpoints, _ = discover()
    found = {(e.method, e.path): e.min_role for e in endpoints}
    assert {key: found.get(key) for key in AGENT_ROUTES} == AGENT_ROUTES


# The credential routes (issue 10): editors read names, grants and hosts (to write pipelines that use them);
# only admins store values, grant pipelines, allow hosts and read the audit of uses.
CREDENTIAL_ROUTES = {
    ("GET", "/api/v1/credentials"): Role.EDITOR,
    ("POST", "/api/v1/credentials"): Role.ADMIN,
    ("GET", "/api/v1/credentials/{name}"): Role.EDITOR,
    ("PUT", "/api/v1/credentials/{name}"): Role.ADMIN,
    ("DELETE", "/api/v1/credentials/{name}"): Role.ADMIN,
    ("POST", "/api/v1/credentials/rotate-key"): Role.ADMIN,
    ("PUT", "/api/v1/credentials/{name}/grants"): Role.ADMIN,
    ("PUT", "/api/v1/credentials/{name}/allowed-hosts"): Role.ADMIN,
    ("GET", "/api/v1/credential-uses"): Role.ADMIN,
}


def test_credential_routes_demand_their_roles() -> None:
    endpoints, _ = discover()
    found = {(e.method, e.path): e.min_role for e in endpoints}
    assert {key: found.get(key) for key in CREDENTIAL_ROUTES} == CREDENTIAL_ROUTES
