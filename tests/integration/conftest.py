"""Fixtures for integration tests; the servers themselves are session fixtures in tests/conftest.py.

``executor`` runs one test body with the local executor and with Celery (PostgreSQL, Redis and a real
``lockgate worker``): the Celery variant exists only beside PostgreSQL, and in the API suite only for the
tests in ``CELERY_API_TESTS`` (the CI budget). A test that cannot hold on Celery says why with
``@pytest.mark.local_executor(reason=…)``: its Celery variant is reported skipped with that reason.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.helpers import celery_worker
from tests.integration.served import Served

from lockgate.settings import ExecutorKind
from lockgate.store.database import Database
from lockgate.store.migrate import upgrade

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.conftest import RedisServer

# What the API suite runs on Celery too (the CI budget: a worker starts per test): the tests whose steps move
# through the executor: runs, cancel, retries, human answers, rollback, live events. The other API tests
# (auth, validation, listing, pipelines, credentials, schedules, webhooks…) never reach an executor.
CELERY_API_TESTS = frozenset({
    "test_runs.py::test_a_run_starts_finishes_and_reads_back",
    "test_runs.py::test_pause_resume_cancel_and_illegal_transitions",
    "test_runs.py::test_retry_reopens_a_failed_run",
    "test_tasks.py::test_approval_to_start_before_anything_runs",
    "test_tasks.py::test_a_rejection_can_take_the_error_branch",
    "test_tasks.py::test_revisions_run_out_then_only_approve_or_reject",
    "test_tasks.py::test_a_rollback_while_a_step_runs_cancels_it_first",
    "test_tasks.py::test_deadlines_reject_approve_or_notify",
    "test_events_stream.py::test_run_sse_resumes_after_disconnect",
    "test_events_stream.py::test_run_websocket_resumes_after_disconnect",
    "test_events_stream.py::test_global_stream_delivers_two_concurrent_runs_once",
    "test_events_stream.py::test_follow_keeps_a_finished_run_open_with_heartbeats",
})  # fmt: skip
CELERY_LEASE = timedelta(seconds=10)  # a loaded CI machine must not call a busy attempt lost


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the Celery variants where they belong, and say why a test has none."""
    dropped, kept = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("executor") != "celery":
            kept.append(item)
            continue
        in_api = item.path.parent.name == "api"
        chosen = f"{item.path.name}::{getattr(item, 'originalname', item.name)}" in CELERY_API_TESTS
        if params.get("database_url") != "postgresql" or (in_api and not chosen):
            dropped.append(item)
            continue
        marker = item.get_closest_marker("local_executor")
        if marker is not None:
            item.add_marker(pytest.mark.skip(reason=f"local executor only: {marker.kwargs['reason']}"))
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(params=[ExecutorKind.LOCAL.value, ExecutorKind.CELERY.value])
def executor(request: pytest.FixtureRequest) -> ExecutorKind:
    return ExecutorKind(request.param)


@pytest.fixture
def executor_settings(
    executor: ExecutorKind, request: pytest.FixtureRequest, tmp_path: Path, database_url: str
) -> Iterator[dict[str, Any]]:
    """Settings for the executor under test; with Celery, a worker on ``tmp_path/home`` for the whole test."""
    if executor is ExecutorKind.LOCAL:
        yield {}
        return
    redis_server: RedisServer = request.getfixturevalue("redis_server")
    broker = redis_server.url(5)
    import redis

    client = redis.Redis.from_url(broker)
    client.flushdb()  # what an earlier test left queued is not ours
    client.close()
    db = Database(database_url)
    upgrade(db)  # before the worker and the server start together
    db.dispose()
    with celery_worker(tmp_path / "home", database_url, broker, tmp_path / "worker.log"):
        yield {"executor": ExecutorKind.CELERY, "broker_url": broker, "lease_ttl": CELERY_LEASE}


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """The session's Redis, emptied after each test so that no test sees another's keys."""
    import redis

    yield redis_server.url()
    client = redis.Redis.from_url(redis_server.url())
    try:
        client.flushall()
    finally:
        client.close()


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path / "home", database_url, tmp_path)
    try:
        yield server
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.proc.terminate()
            server.proc.wait(timeout=30)
