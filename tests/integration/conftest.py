"""Fixtures for integration tests; the servers themselves are session fixtures in tests/conftest.py.

``executor`` runs one test body with the local executor and with Celery (PostgreSQL, Redis and a real
``lockgate worker``): the Celery variant exists only beside PostgreSQL, and in the API suite only for the
modules in ``CELERY_API_MODULES`` (the CI budget). A test that cannot hold on Celery says why with
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

# What the API suite runs on Celery too: what moves steps (runs, cancel, retries, human answers, events). The
# rest (auth, pipelines, credentials, schedules, webhooks…) never reaches an executor.
CELERY_API_MODULES = frozenset({"test_runs.py", "test_tasks.py", "test_events_stream.py"})
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
        if params.get("database_url") != "postgresql" or (in_api and item.path.name not in CELERY_API_MODULES):
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
