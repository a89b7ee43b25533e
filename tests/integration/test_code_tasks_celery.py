"""Code tasks on Celery workers (real Redis, PostgreSQL and ``lockgate worker`` processes).

A worker runs only the tasks it imported at start (``--tasks`` or ``LOCKGATE_TASKS``): one without the module
fails the step ``task_not_registered``, one with other code ``task_code_mismatch`` naming both hashes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.celery_fixtures import (
    anyio_backend,
    attempts_of,
    broker,
    celery_settings,
    pg_url,
    worker_env,
    worker_rows,
    workers_running,
)
from tests.integration.helpers import poll_async, running, spawn_cli, stop_processes
from tests.tasks_pkg import billing

from lockgate.handlers.code_tasks import code_hash, task_ref
from lockgate.spec.pipeline import PipelineSpec

if TYPE_CHECKING:
    from lockgate.engine import RunState
    from lockgate.runtime import Runtime

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

__all__ = ["anyio_backend", "broker", "pg_url"]  # fixtures from celery_fixtures.py, used by name

MODULE = "tests.tasks_pkg.billing"
ROOT = str(Path(__file__).resolve().parents[2])  # where ``tests.tasks_pkg`` is importable from


def _spec(fetch_hash: str | None = None) -> PipelineSpec:
    fetch = {"ref": task_ref(billing.fetch), "code_hash": fetch_hash or code_hash(billing.fetch)}
    total = {"ref": task_ref(billing.total_of), "code_hash": code_hash(billing.total_of)}
    return PipelineSpec.model_validate({
        "name": "invoice",
        "nodes": [
            {"id": "fetch", "kind": "task", "config": fetch, "inputs": {"order_id": "{{ input.order_id }}"}},
            {"id": "total", "kind": "task", "config": total, "inputs": {"order": "{{ nodes.fetch.output }}"}},
        ],
        "edges": [{"source": "fetch", "target": "total"}],
    })  # fmt: skip


async def _run(runtime: Runtime, spec: PipelineSpec) -> RunState:
    head = await runtime.create_run(spec, {"order_id": "A-1"})
    return await runtime.wait(head.id)


@pytest.mark.timeout(90)
async def test_a_worker_started_with_tasks_runs_them(tmp_path: Path, pg_url: str, broker: str) -> None:
    log = tmp_path / "worker.log"
    before = len(worker_rows(pg_url))
    proc = spawn_cli(tmp_path, pg_url, "worker", "--concurrency", "2", "--tasks", MODULE, log=log,
                     env=worker_env(broker, PYTHONPATH=ROOT))  # fmt: skip
    try:
        await poll_async(lambda: len(worker_rows(pg_url)) > before or None, 60, what="the worker to register")
        async with running(celery_settings(tmp_path, pg_url, broker)) as runtime:
            state = await _run(runtime, _spec())
        workers = {r["id"] for r in worker_rows(pg_url)}
    finally:
        stop_processes([proc])
    assert state.status.value == "succeeded", state.error
    assert state.steps["total"].output == 42
    [fetch] = attempts_of(pg_url, "fetch")
    assert fetch["code_hash"] == code_hash(billing.fetch)
    assert fetch["worker"] in workers  # run in the worker, never in the server
    # It said at start which tasks it registered, with their short hashes.
    assert f"task {task_ref(billing.fetch)} code {code_hash(billing.fetch)[:12]}" in log.read_text()


@pytest.mark.timeout(90)
async def test_a_worker_without_the_module_refuses_the_step(tmp_path: Path, pg_url: str, broker: str) -> None:
    async with (
        workers_running(tmp_path, pg_url, broker, 1, env={"PYTHONPATH": ROOT}),
        running(celery_settings(tmp_path, pg_url, broker)) as runtime,
    ):
        state = await _run(runtime, _spec())
    assert state.status.value == "failed"
    error = state.steps["fetch"].error
    assert error is not None and error.kind == "task_not_registered" and not error.retryable
    assert task_ref(billing.fetch) in error.message and "--tasks" in error.message


@pytest.mark.timeout(90)
async def test_a_worker_with_other_code_names_both_hashes(tmp_path: Path, pg_url: str, broker: str) -> None:
    pinned = "f" * 64  # the definition was applied from code this worker does not have
    env: dict[str, Any] = {"PYTHONPATH": ROOT, "LOCKGATE_TASKS": MODULE}
    async with (
        workers_running(tmp_path, pg_url, broker, 1, env=env),
        running(celery_settings(tmp_path, pg_url, broker)) as runtime,
    ):
        state = await _run(runtime, _spec(fetch_hash=pinned))
    error = state.steps["fetch"].error
    assert error is not None and error.kind == "task_code_mismatch"
    assert pinned in error.message and code_hash(billing.fetch) in error.message
    assert re.search(r"pins code f{64} but this worker has [0-9a-f]{64}", error.message)
    [fetch] = attempts_of(pg_url, "fetch")
    assert fetch["code_hash"] == pinned  # the attempt records what it was pinned to
