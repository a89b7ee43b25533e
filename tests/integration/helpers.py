"""Shared helpers for integration tests: the CLI as a subprocess, rows from the database, polling."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

import httpx
import psutil
import sqlalchemy as sa
import yaml

from lockgate.handlers.context import SandboxMode
from lockgate.runtime import Runtime
from lockgate.settings import Settings
from lockgate.store.tables import events

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence

__all__ = [
    "FAILING",
    "LOCKGATE",
    "answers",
    "celery_env",
    "celery_worker",
    "cli",
    "cli_env",
    "contiguous_seqs",
    "fast_settings",
    "kill_tree",
    "pid_alive",
    "poll",
    "poll_async",
    "running",
    "select_rows",
    "sha256",
    "spawn_cli",
    "stop_processes",
    "write_pipeline",
]

T = TypeVar("T")

LOCKGATE = str(Path(sys.executable).with_name("lockgate"))
# The scripts of these tests write shared files outside their workspace: no bubblewrap (which takes the
# administrator's consent, LOCKGATE_ALLOW_UNCONFINED_SCRIPTS).
SANDBOX = SandboxMode.NONE

# A run that fails at its second step (ValueError) and never reaches its third.
FAILING: dict[str, Any] = {
    "name": "doomed",
    "nodes": [
        {"id": "ok", "kind": "script", "config": {"code": "output = 1"}},
        {"id": "boom", "kind": "script", "config": {"code": "raise ValueError('no luck today')"}},
        {"id": "never", "kind": "noop"},
    ],
    "edges": [{"source": "ok", "target": "boom"}, {"source": "boom", "target": "never"}],
}


def fast_settings(home: Path, database_url: str, **overrides: Any) -> Settings:
    """Settings for an in-process Runtime: no sandbox, quick maintenance rounds."""
    values: dict[str, Any] = {
        "home": home,
        "database_url": database_url,
        "sandbox": SANDBOX,
        "allow_unconfined_scripts": True,
        "maintenance_interval": timedelta(milliseconds=300),
        "shutdown_grace": timedelta(seconds=5),
        **overrides,
    }
    return Settings(**values)


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Runtime]:
    """A started Runtime, stopped on the way out."""
    runtime = Runtime(settings)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop(grace=5)


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of a ``lockgate`` subprocess: ours without Lockgate settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKGATE_") and k != "DATABASE_URL"}
    env.update({"LOCKGATE_SANDBOX": SANDBOX.value, "LOCKGATE_ALLOW_UNCONFINED_SCRIPTS": "true",
                "LOCKGATE_MAINTENANCE_INTERVAL": "PT0.3S", "NO_COLOR": "1", "COLUMNS": "200",
                "PYTHONUNBUFFERED": "1"})  # fmt: skip
    env.update(extra)
    return env


def _argv(home: Path, database_url: str | None, args: Sequence[str]) -> list[str]:
    argv = [LOCKGATE, "--home", str(home)]
    if database_url is not None:
        argv += ["--database-url", database_url]
    return [*argv, *args]


def cli(
    home: Path, database_url: str | None, *args: str, timeout: float = 60, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``lockgate --home HOME [--database-url URL] ARGS…`` to completion."""
    return subprocess.run(
        _argv(home, database_url, args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(env) if env is not None else cli_env(),
        check=False,
    )


def spawn_cli(
    home: Path, database_url: str | None, *args: str, log: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``lockgate …`` in the background; stdout and stderr go to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            _argv(home, database_url, args),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else cli_env(),
        )


def write_pipeline(folder: Path, definition: Mapping[str, Any], name: str = "pipeline.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(dict(definition), sort_keys=False))
    return path


def poll(
    check: Callable[[], T | None],
    timeout: float = 30.0,
    interval: float = 0.05,
    what: str | Callable[[], str] = "condition",
) -> T:
    """Call ``check`` until it returns something other than None/False; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what if isinstance(what, str) else what()}")
        time.sleep(interval)


@overload
async def poll_async(
    check: Callable[[], Awaitable[T | None]], deadline_s: float = ..., interval: float = ..., what: str = ...
) -> T: ...


@overload
async def poll_async(
    check: Callable[[], T | None], deadline_s: float = ..., interval: float = ..., what: str = ...
) -> T: ...


async def poll_async(
    check: Callable[[], Any],
    deadline_s: float = 30.0,
    interval: float = 0.05,
    what: str = "condition",
) -> Any:
    """``poll`` for async tests: sleeps without blocking the event loop the runtime lives on."""
    deadline = time.monotonic() + deadline_s
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {deadline_s}s waiting for {what}")
        await asyncio.sleep(interval)


@contextlib.contextmanager
def _engine(database_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def select_rows(database_url: str, table: sa.Table, *where: sa.ColumnElement[bool]) -> list[dict[str, Any]]:
    """Rows of one of Lockgate's tables (typed: JSON and times decoded by the table's own column types)."""
    stmt = sa.select(table).where(*where)
    with _engine(database_url) as engine, engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def contiguous_seqs(database_url: str) -> dict[str, list[int]]:
    """Every run's event seqs, in order; the caller compares them with 1..N."""
    seqs: dict[str, list[int]] = {}
    with _engine(database_url) as engine, engine.connect() as conn:
        for run_id, seq in conn.execute(
            sa.select(events.c.run_id, events.c.seq).order_by(events.c.run_id, events.c.seq)
        ):
            seqs.setdefault(run_id, []).append(seq)
    return seqs


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pid_alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


# ------------------------------------------------------------------------------- the Celery executor's variant


def celery_env(broker: str, lease: str = "PT10S", **extra: str) -> dict[str, str]:
    """The environment of a ``lockgate worker`` (or server) on the Celery executor over ``broker``."""
    return cli_env(LOCKGATE_EXECUTOR="celery", LOCKGATE_BROKER_URL=broker, LOCKGATE_LEASE_TTL=lease, **extra)


def kill_tree(pid: int) -> list[int]:
    """SIGKILL a process and everything it started, as a crash of the machine would; the children's pids.

    Frozen first, so that it starts nothing new while its children are collected.
    """
    parent = psutil.Process(pid)
    parent.suspend()
    children = parent.children(recursive=True)
    parent.kill()
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    return [c.pid for c in children]


def crash_when(proc: subprocess.Popen[bytes], ready: Callable[[], bool], what: str | Callable[[], str]) -> None:
    """SIGKILL ``proc`` and its tree once ``ready()`` holds while it runs; back when every one of them is gone."""
    try:
        poll(lambda: proc.poll() is None and ready(), timeout=40, interval=0.02, what=what)
        children = kill_tree(proc.pid)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    poll(lambda: not any(pid_alive(pid) for pid in children), timeout=10, what="the children to die")


@contextlib.contextmanager
def celery_worker(home: Path, database_url: str, broker: str, log: Path, concurrency: int = 8) -> Iterator[None]:
    """One ``lockgate worker`` (Celery) on an upgraded database, registered before this yields; stopped after."""
    from lockgate.store.tables import workers

    proc = spawn_cli(home, database_url, "worker", "--concurrency", str(concurrency), log=log,
                     env=celery_env(broker))  # fmt: skip
    try:
        poll(lambda: select_rows(database_url, workers, workers.c.kind == "worker") or None, timeout=60,
             what=lambda: f"the worker to register:\n{log.read_text()[-2000:]}")  # fmt: skip
        yield
    finally:  # killed with its tree, not shut down: the test is over and its database is dropped (seconds saved)
        with contextlib.suppress(psutil.NoSuchProcess):
            kill_tree(proc.pid)
        proc.wait(timeout=10)


def stop_processes(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each (resumed first, if stopped), then SIGKILL with its tree whatever has not exited within 20 s."""
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(psutil.NoSuchProcess):
                psutil.Process(proc.pid).resume()
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # whatever hangs is killed, with what it started
            with contextlib.suppress(psutil.NoSuchProcess):
                kill_tree(proc.pid)
            proc.wait(timeout=10)


def answers(base: str, path: str = "/ready") -> bool:
    """A server at ``base`` answers 200 at ``path`` (started, or still alive)."""
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"{base}{path}", timeout=2).status_code == 200
    return False
