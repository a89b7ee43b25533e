"""Code tasks against a hostile editor: a definition names a function, never makes a server import one.

The server (``lockgate serve`` with ``LOCKGATE_TASKS``) runs only the functions it registered at start; a ref
naming a module it did not load (one whose import has a side effect, or ``os:system``) fails the step
``task_not_registered`` and is never imported. A task's output holding a granted credential's value is
redacted like a script's.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.security.hostile import API
from tests.tasks_pkg import billing

from lockgate.handlers.code_tasks import code_hash, task_ref

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.security.hostile import Hostile

ROOT = str(Path(__file__).resolve().parents[2])  # where ``tests.tasks_pkg`` is importable from
TOKEN = "tok-3f9a1c7e5b2d4a60-LEAK"


def _server(hostile_factory: Callable[..., Hostile], **env: str) -> Hostile:
    values = {"LOCKGATE_TASKS": "tests.tasks_pkg.billing", "PYTHONPATH": ROOT, "LOCKGATE_TEST_TOKEN": TOKEN, **env}
    return hostile_factory(sandbox="none", env=values)


def _task(node_id: str, fn: Callable[..., object], **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": "task", "config": {"ref": task_ref(fn), "code_hash": code_hash(fn)}, **extra}


def test_a_ref_to_a_module_not_registered_is_never_imported(
    hostile_factory: Callable[..., Hostile], tmp_path: Path
) -> None:
    marker, touched = tmp_path / "imported", tmp_path / "touched"
    hostile = _server(hostile_factory, LOCKGATE_TEST_MARKER=str(marker))
    definition = {"name": "reach", "nodes": [
        _task("fetch", billing.fetch, inputs={"order_id": "A-1"}),
        {"id": "side", "kind": "task", "on_error": "continue",
         "config": {"ref": "tests.tasks_pkg.marker:anything", "code_hash": "0" * 64}},
        {"id": "shell", "kind": "task", "on_error": "continue", "inputs": {"command": f"touch {touched}"},
         "config": {"ref": "os:system", "code_hash": "0" * 64}},
    ]}  # fmt: skip
    run = hostile.save_and_run(definition)
    steps = {s["key"]: s for s in run["steps"]}
    assert steps["fetch"]["output"] == {"order_id": "A-1", "total": 42}  # registered tasks run
    for key, ref in (("side", "tests.tasks_pkg.marker:anything"), ("shell", "os:system")):
        assert steps[key]["status"] == "failed"
        assert steps[key]["error"]["kind"] == "task_not_registered", steps[key]
        assert repr(ref) in steps[key]["error"]["message"]
    assert not marker.exists()  # the module's import never ran
    assert not touched.exists()
    hostile.assert_intact()


def test_a_task_output_holding_a_granted_credential_is_redacted(hostile_factory: Callable[..., Hostile]) -> None:
    hostile = _server(hostile_factory)
    body = {"name": "token", "value": TOKEN, "pipelines": ["echo"], "allowed_hosts": []}
    with hostile.client("admin") as admin:
        assert admin.post(f"{API}/credentials", json=body).status_code == 201
    run = hostile.save_and_run({"name": "echo", "nodes": [_task("echo", billing.echo_token, credentials=["token"])]})
    assert run["status"] == "succeeded", run
    [step] = run["steps"]
    assert step["output"] == {"leaked": "the token is [redacted:token]"}
    assert TOKEN not in hostile.viewer_reads(run["id"])
    assert TOKEN not in hostile.log()
