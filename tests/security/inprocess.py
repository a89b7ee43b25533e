"""The app in process for attacks: ``create_app()`` behind httpx's ASGI transport, with data to reach past 404s.

``InProcess`` enters the app's lifespan on its own event loop (``asyncio.Runner``) and sends requests without a
socket; ``seed`` saves a pipeline with a form, runs it to its open task and adds a credential, a model, an agent
profile, a schedule and a webhook; ``body_operations`` lists the OpenAPI document's operations that take a JSON body,
their paths filled with what exists.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from lockgate.api.app import create_app
from lockgate.runtime.clock import SystemClock
from lockgate.security.api_keys import Role
from lockgate.store import auth as auth_store
from lockgate.store.database import Database
from lockgate.store.migrate import upgrade

if TYPE_CHECKING:
    from lockgate.settings import Settings

__all__ = [
    "API",
    "JSON",
    "METHODS",
    "YAML",
    "InProcess",
    "Operation",
    "Seeded",
    "admin_key",
    "body_operations",
    "path_name",
    "seed",
]

API = "/api/v1"
JSON = "application/json"
YAML = "application/yaml"
METHODS = ("get", "put", "post", "patch", "delete")


class InProcess:
    """``create_app()`` with its lifespan entered, called through httpx's ASGI transport (no socket)."""

    def __init__(self, settings: Settings, key: str) -> None:
        self.runner = asyncio.Runner()
        self.app = create_app(settings)
        self.key = key
        self._lifespan = self.app.router.lifespan_context(self.app)
        self.runner.run(self._lifespan.__aenter__())
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        headers = {"Authorization": f"Bearer {key}"}
        self.client = httpx.AsyncClient(transport=transport, base_url="http://lockgate", headers=headers, timeout=60)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.runner.run(self.client.request(method, path, **kwargs))

    def close(self) -> None:
        self.runner.run(self.client.aclose())
        self.runner.run(self._lifespan.__aexit__(None, None, None))
        self.runner.close()


def admin_key(settings: Settings) -> str:
    db = Database(settings.db_url)
    upgrade(db)
    now = SystemClock().now()
    with db.write() as conn:
        auth_store.create_user(conn, "viewer", Role.VIEWER, now)  # for the fuzzed users/{name} (never the admin)
        admin = auth_store.create_user(conn, "admin", Role.ADMIN, now)
        key = auth_store.create_key(conn, admin, "test", now)[1].plaintext
    db.dispose()
    return key


_TARGET = {
    "name": "target",
    "input": {"n": {"type": "integer", "default": 2}},
    "nodes": [
        {"id": "double", "kind": "transform", "config": {"value": "{{ input.n * 2 }}"}},
        {"id": "form", "kind": "human", "config": {"fields": [{"name": "ok", "type": "boolean"}]}},
    ],
    "edges": [{"source": "double", "target": "form"}],
}


@dataclass
class Seeded:
    """Things that exist, so that a request reaches past the 404s: path parameter → value."""

    values: dict[str, str] = field(default_factory=dict)

    def fill(self, path: str) -> str:
        for name, value in self.values.items():
            path = path.replace("{" + name + "}", value)
        return path


def seed(api: InProcess) -> Seeded:
    assert api.request("POST", f"{API}/pipelines", json=_TARGET).status_code == 201
    run = api.request("POST", f"{API}/pipelines/target/runs", json={"input": {"n": 3}}).json()
    task_id = ""
    for _ in range(200):
        tasks = api.request("GET", f"{API}/tasks", params={"assigned": "any"}).json()["items"]
        if tasks:
            task_id = tasks[0]["id"]
            break
        api.runner.run(asyncio.sleep(0.02))
    assert task_id, "the run did not reach its form"
    assert api.request("POST", f"{API}/credentials", json={"name": "token", "value": "s3cret-value"}).status_code == 201
    assert api.request("POST", f"{API}/models", json={"name": "m", "provider": "openai", "model_id": "x"}).is_success
    assert api.request("POST", f"{API}/agent-profiles", json={"name": "a"}).is_success
    schedule = api.request("POST", f"{API}/pipelines/target/schedules", json={"cron": "0 9 * * *"}).json()
    hook = api.request("POST", f"{API}/pipelines/target/webhooks", json={}).json()
    values = {"run": run["id"], "task_id": task_id, "schedule_id": schedule["id"], "webhook_id": hook["id"],
              "token": hook["token"], "step": "form"}  # fmt: skip
    return Seeded(values)


def path_name(path: str) -> str:
    """What ``{name}`` means in this path."""
    if path.startswith(f"{API}/credentials"):
        return "token"
    if path.startswith(f"{API}/models"):
        return "m"
    if path.startswith(f"{API}/agent-profiles"):
        return "a"
    if path.startswith(f"{API}/users"):
        return "viewer"
    return "target"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # filled in
    properties: tuple[str, ...]  # the JSON body's top-level property names
    yaml: bool  # takes a YAML definition too

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


def _properties(document: dict[str, Any], schema: dict[str, Any]) -> tuple[str, ...]:
    for option in schema.get("anyOf", [schema]):
        ref = option.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            resolved = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
            return tuple(resolved.get("properties", {}))
        if "properties" in option:
            return tuple(option["properties"])
    return ()


def body_operations(api: InProcess, seeded: Seeded) -> list[Operation]:
    document = api.request("GET", f"{API}/openapi.json").json()
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}) if method in METHODS else {}
            if JSON not in content:
                continue
            filled = seeded.fill(path).replace("{name}", path_name(path))
            found.append(Operation(method, filled, _properties(document, content[JSON]["schema"]), YAML in content))
    return found
