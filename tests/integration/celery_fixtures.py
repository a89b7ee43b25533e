"""What the Celery tests share: a side-effect counter, a fresh database and broker, worker processes.

``test_celery.py``, ``test_celery_chaos.py`` and ``test_runtime_celery.py`` import these (fixtures by name,
listed in their ``__all__``), so that every Celery test starts workers and counts side effects one way.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from tests.conftest import _create_database, _drop_database
from tests.integration.helpers import (
    celery_env,
    fast_settings,
    kill_tree,
    poll_async,
    select_rows,
    spawn_cli,
    stop_processes,
)
from tests.local_http import QuietHandler, serving

from lockgate.settings import ExecutorKind, Settings
from lockgate.store.database import Database
from lockgate.store.migrate import upgrade
from lockgate.store.tables import attempts, workers

if TYPE_CHECKING:
    import subprocess
    from collections.abc import AsyncIterator, Iterator, Mapping
    from pathlib import Path

    from tests.conftest import PostgresServer, RedisServer

__all__ = [
    "LEASE",
    "Counter",
    "anyio_backend",
    "attempts_of",
    "broker",
    "celery_settings",
    "counter",
    "fresh_broker",
    "fresh_database",
    "kill_tree",
    "pg_url",
    "pid_of",
    "worker_env",
    "worker_rows",
    "workers_running",
]

LEASE = timedelta(seconds=2)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Counter:
    """Hits per path, from steps calling ``GET /hit/<name>``: the side effects steps had, whatever the DB says."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()

    def handler(self) -> type[QuietHandler]:
        counter = self

        class Hit(QuietHandler):
            def do_GET(self) -> None:
                with counter.lock:
                    counter.hits[self.path] = counter.hits.get(self.path, 0) + 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        return Hit


@pytest.fixture
def counter() -> Iterator[tuple[Counter, str]]:
    count = Counter()
    with serving(count.handler(), "counter") as url:
        yield count, url


def fresh_database(server: PostgresServer) -> tuple[str, str]:
    """A new database on ``server``, migrated once before servers and workers start together: (name, url)."""
    name = _create_database(server)
    url = server.url(name)
    db = Database(url)
    upgrade(db)
    db.dispose()
    return name, url


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    name, url = fresh_database(postgres_server)
    try:
        yield url
    finally:
        _drop_database(postgres_server, name)


def fresh_broker(server: RedisServer, db: int) -> str:
    """Redis database ``db`` of ``server``, emptied: what an earlier test left queued is not ours."""
    import redis

    url = server.url(db)
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


@pytest.fixture
def broker(redis_server: RedisServer) -> str:
    return fresh_broker(redis_server, 3)


def celery_settings(home: Path, db: str, broker: str, **overrides: Any) -> Settings:
    """An in-process server's settings: the Celery executor, short leases."""
    values: dict[str, Any] = {"executor": ExecutorKind.CELERY, "broker_url": broker, "lease_ttl": LEASE, **overrides}
    return fast_settings(home, db, **values)


def worker_env(broker: str, **extra: str) -> dict[str, str]:
    """A chaos worker's environment: leases and redelivery short enough to see both within a test."""
    values = {"LOCKGATE_LEASE_TTL": "PT2S", "LOCKGATE_BROKER_VISIBILITY_TIMEOUT": "PT5S", **extra}
    return celery_env(broker, values.pop("LOCKGATE_LEASE_TTL"), **values)


@contextlib.asynccontextmanager
async def workers_running(
    home: Path, db: str, broker: str, count: int, concurrency: int = 2, env: Mapping[str, str] | None = None
) -> AsyncIterator[list[subprocess.Popen[bytes]]]:
    """``count`` ``lockgate worker`` processes, ready once each has registered; stopped on the way out."""
    procs: list[subprocess.Popen[bytes]] = []
    before = len(worker_rows(db))
    try:
        for n in range(count):
            log = home / f"worker-{n}.log"
            procs.append(spawn_cli(home, db, "worker", "--concurrency", str(concurrency), log=log,
                                   env=worker_env(broker, **(env or {}))))  # fmt: skip
        # Ready once each has registered in the database (its runtime started, leases on); polled without
        # blocking the event loop, where a server in this process heartbeats too.
        await poll_async(lambda: len(worker_rows(db)) >= before + count or None, 60, what="the workers to register")
        yield procs
    finally:
        stop_processes(procs)


def worker_rows(db: str) -> list[dict[str, Any]]:
    return select_rows(db, workers, workers.c.kind == "worker", workers.c.stopped_at.is_(None))


def attempts_of(db: str, step: str) -> list[dict[str, Any]]:
    return sorted(select_rows(db, attempts, attempts.c.step_key == step), key=lambda r: r["number"])


def pid_of(db: str, worker_id: str) -> int:
    return int(select_rows(db, workers, workers.c.id == worker_id)[0]["pid"])
