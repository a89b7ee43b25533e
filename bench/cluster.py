"""What ``bench scale`` runs on: PostgreSQL and Redis (the test suite's own starters), and ``lockgate worker``s.

The servers are Debian's binaries started exactly as the test fixtures start them (``tests/conftest.py``):
a fresh cluster with fsync off on a free loopback port, and a redis-server without persistence. Each
configuration gets a fresh database and an emptied Redis database, so none inherits another's rows or queue.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import psutil
import sqlalchemy as sa
from tests.conftest import PG_BIN, _start_postgres, _start_redis, _stop_pid, _stop_postgres

from lockgate.store.database import Database
from lockgate.store.migrate import upgrade
from lockgate.store.tables import workers

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["Services", "fresh_database", "services", "worker_processes"]


class Services:
    """A PostgreSQL server (its admin URL) and a Redis server (its URL)."""

    def __init__(self, postgres: str, redis: str) -> None:
        self.postgres = postgres  # SQLAlchemy URL of the ``postgres`` database: databases are created through it
        self.redis = redis


@contextlib.contextmanager
def services(postgres: str | None = None, redis: str | None = None) -> Iterator[Services]:
    """The given servers, or ones started here (and stopped on the way out, whatever happens)."""
    with contextlib.ExitStack() as stack:
        if postgres is None:
            if not (PG_BIN / "pg_ctl").exists():
                raise RuntimeError(f"PostgreSQL binaries not found in {PG_BIN} (apt-get install postgresql)")
            data_dir = Path(tempfile.mkdtemp(prefix="lockgate-bench-pg-"))
            stack.callback(shutil.rmtree, data_dir, ignore_errors=True)
            if os.geteuid() == 0:
                shutil.chown(data_dir, "postgres", "postgres")
            stack.callback(_stop_postgres, data_dir)
            postgres = _start_postgres(data_dir).url()
        if redis is None:
            if shutil.which("redis-server") is None:
                raise RuntimeError("redis-server not found (apt-get install redis-server)")
            work = Path(tempfile.mkdtemp(prefix="lockgate-bench-redis-"))
            stack.callback(shutil.rmtree, work, ignore_errors=True)
            server, pid = _start_redis(work)
            stack.callback(_stop_pid, pid)
            redis = server.url()
        yield Services(postgres, redis)


@contextlib.contextmanager
def fresh_database(admin_url: str, redis_url: str) -> Iterator[str]:
    """A new, migrated database on the server (dropped afterwards); the Redis database emptied first."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    name = f"bench_scale_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    db = Database(url)
    upgrade(db)  # once, before the driver and the workers start together
    db.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _registered(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            where = sa.and_(workers.c.kind == "worker", workers.c.stopped_at.is_(None))
            return int(conn.execute(sa.select(sa.func.count()).select_from(workers).where(where)).scalar_one())
    finally:
        engine.dispose()


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM (Celery's warm shutdown), then SIGKILL of whatever is left of each process tree."""
    trees = []
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            trees.append([psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)])
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for tree in trees:
        for process in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()


@contextlib.contextmanager
def worker_processes(
    count: int, home: Path, db_url: str, env: dict[str, str], concurrency: int
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` real ``lockgate worker`` processes (Celery, thread pool), ready once each has registered."""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for n in range(count):
            argv = [sys.executable, "-c", "from lockgate.cli.main import app; app()", "--home", str(home),
                    "--database-url", db_url, "worker", "--concurrency", str(concurrency),
                    "--pool", "threads"]  # fmt: skip
            with (home / f"worker-{n}.log").open("ab") as log:
                procs.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env))  # noqa: S603
        deadline = time.monotonic() + 120
        while _registered(db_url) < count:
            dead = [p for p in procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                logs = "\n".join((home / f"worker-{n}.log").read_text(errors="replace")[-2000:] for n in range(count))
                raise RuntimeError(f"the workers did not start:\n{logs}")
            time.sleep(0.1)
        yield procs
    finally:
        _stop(procs)
