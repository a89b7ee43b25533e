"""Suite-wide hooks and the real servers tests run against.

PostgreSQL and Redis are Debian's own binaries, started once per session on free loopback ports and
stopped at the end. A missing binary skips the tests that need it on a laptop and fails them in CI
(``CI=true``), so CI can never pass by skipping. ``LOCKGATE_TEST_DB`` (``sqlite``, ``postgresql`` or
unset for both) picks the backends ``database_url`` is parametrised over.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from collections.abc import Iterator

# ---------------------------------------------------------------------------------------------- settings

CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}

settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if CI else "dev")

_BACKENDS = ("sqlite", "postgresql")
_SELECTED_DB = os.environ.get("LOCKGATE_TEST_DB", "").strip().lower()
if _SELECTED_DB and _SELECTED_DB not in _BACKENDS:
    raise pytest.UsageError(f"LOCKGATE_TEST_DB must be one of {', '.join(_BACKENDS)} or unset, not {_SELECTED_DB!r}")

PG_BIN = Path(os.environ.get("LOCKGATE_PG_BIN", "/usr/lib/postgresql/15/bin"))
_START_TIMEOUT = 60.0


def _unavailable(reason: str) -> NoReturn:
    """Skip on a laptop, fail in CI: a CI run must never pass by skipping the servers."""
    if CI:
        pytest.fail(f"{reason} (CI=true: servers are required)", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


# ----------------------------------------------------------------------------------------------- markers


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests by folder, and anything on a real PostgreSQL as ``postgres``.

    With ``LOCKGATE_TEST_DB=sqlite`` a test that needs PostgreSQL whatever the backend (the Celery cluster,
    two servers on one database) is deselected: the PostgreSQL pass runs it, and running it twice costs minutes.
    """
    tests_dir = Path(__file__).parent
    elsewhere: list[pytest.Item] = []
    for item in items:
        try:
            folder = item.path.relative_to(tests_dir).parts[0]
        except ValueError:
            continue
        if folder in {"integration", "e2e"}:
            item.add_marker(folder)
        if folder == "security":  # each attacks a real server
            item.add_marker("integration")
        if "postgres_server" in getattr(item, "fixturenames", ()):
            item.add_marker("postgres")
            if _SELECTED_DB == "sqlite":
                elsewhere.append(item)
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = [item for item in items if item not in elsewhere]


# ------------------------------------------------------------------------------------------- PostgreSQL


@dataclass(frozen=True, slots=True)
class PostgresServer:
    """A running server: ``postgres`` superuser, trust auth on 127.0.0.1."""

    host: str
    port: int
    data_dir: Path

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL (psycopg 3 driver) of one database."""
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        """Connection string (libpq) for psycopg itself."""
        return f"host={self.host} port={self.port} user=postgres dbname={database}"


def _as_postgres(args: list[str]) -> list[str]:
    # initdb refuses root: run the server tools as the postgres user when we are root.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _pg_run(args: list[str], data_dir: Path, what: str) -> None:
    proc = subprocess.run(
        _as_postgres(args), cwd=data_dir, capture_output=True, text=True, timeout=_START_TIMEOUT, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"PostgreSQL {what} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n"
            f"--- server.log ---\n{_tail(data_dir / 'server.log')}"
        )


def _wait_for_postgres(server: PostgresServer) -> None:
    import psycopg

    deadline = time.monotonic() + _START_TIMEOUT
    while True:
        try:
            with psycopg.connect(server.dsn(), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
                return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"PostgreSQL on port {server.port} never accepted connections: {exc}\n"
                    f"--- server.log ---\n{_tail(server.data_dir / 'server.log')}"
                ) from exc
            time.sleep(0.1)


def _start_postgres(data_dir: Path, *, durable: bool = False) -> PostgresServer:
    initdb = [str(PG_BIN / "initdb"), "-D", str(data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
    _pg_run([*initdb, "--locale=C", "--no-sync", "--no-instructions"], data_dir, "initdb")
    last_error: RuntimeError | None = None
    for _ in range(3):  # a free port may be taken between probing and binding: try another
        try:
            return start_postgres_on(data_dir, _free_port(), durable=durable)
        except RuntimeError as exc:
            last_error = exc
    assert last_error is not None
    raise last_error


def start_postgres_on(data_dir: Path, port: int, *, durable: bool = False) -> PostgresServer:
    """Start the server of an initialised ``data_dir`` on ``port`` (again, after a stop: the chaos tests).

    ``durable``: a commit is in the WAL before it is acknowledged (``synchronous_commit``), so that a server
    stopped as a crash stops it (``-m immediate``) keeps every commit it acknowledged. fsync stays off: the
    machine does not crash, only the server.
    """
    synchronous = "on" if durable else "off"
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {data_dir} -c synchronous_commit={synchronous} "
        "-c fsync=off -c full_page_writes=off -c max_connections=200"
    )
    log = data_dir / "server.log"
    _pg_run([str(PG_BIN / "pg_ctl"), "-D", str(data_dir), "-l", str(log), "-w", "-t", "60", "-o", options,
             "start"], data_dir, "start")  # fmt: skip
    server = PostgresServer("127.0.0.1", port, data_dir)
    _wait_for_postgres(server)
    return server


def _stop_postgres(data_dir: Path) -> None:
    with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
        _pg_run([str(PG_BIN / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "stop"], data_dir, "stop")
    pid_file = data_dir / "postmaster.pid"
    if pid_file.exists():  # pg_ctl did not stop it: do not leave a server behind
        with contextlib.suppress(OSError, ValueError, IndexError):
            os.kill(int(pid_file.read_text().splitlines()[0]), signal.SIGKILL)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Debian's PostgreSQL 15 on a free port, fsync off, for the whole session."""
    if not (PG_BIN / "pg_ctl").exists():
        _unavailable(f"PostgreSQL binaries not found in {PG_BIN} (apt-get install postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (uv sync --all-extras)")
    # Not under pytest's basetemp: that is private to root (0700) and the server runs as postgres.
    data_dir = Path(tempfile.mkdtemp(prefix="lockgate-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data_dir, "postgres", "postgres")
    try:
        yield _start_postgres(data_dir)
    finally:
        _stop_postgres(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


def _create_database(server: PostgresServer) -> str:
    import psycopg
    from psycopg import sql

    name = f"test_{uuid.uuid4().hex}"
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def _drop_database(server: PostgresServer, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _backend_params() -> list[pytest.ParameterSet]:
    backends = [b for b in _BACKENDS if not _SELECTED_DB or b == _SELECTED_DB]
    return [pytest.param(b, id=b, marks=[pytest.mark.postgres] if b == "postgresql" else []) for b in backends]


@pytest.fixture(params=_backend_params())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database per test: a SQLite file, or a new database on the session's PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/lockgate.db"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = _create_database(server)
    try:
        yield server.url(name)
    finally:
        _drop_database(server, name)


# ------------------------------------------------------------------------------------------------ Redis


@dataclass(frozen=True, slots=True)
class RedisServer:
    """A running redis-server without persistence."""

    host: str
    port: int

    def url(self, db: int = 0) -> str:
        """``redis://`` URL of one logical database."""
        return f"redis://{self.host}:{self.port}/{db}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A daemon is not our child, so it cannot become a zombie of ours; but check /proc for one anyway.
    status = Path(f"/proc/{pid}/status")
    with contextlib.suppress(OSError):
        return "\nState:\tZ" not in status.read_text()
    return True


def _stop_pid(pid: int, timeout: float = 10.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _pid_alive(pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.05)


def _wait_for_redis(server: RedisServer, log: Path) -> None:
    import redis

    deadline = time.monotonic() + _START_TIMEOUT
    client = redis.Redis(host=server.host, port=server.port, socket_connect_timeout=1)
    try:
        while True:
            try:
                if client.ping():
                    return
            except redis.ConnectionError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"redis-server on port {server.port} never answered PING: {exc}\n--- log ---\n{_tail(log)}"
                    ) from exc
            time.sleep(0.05)
    finally:
        client.close()


def _start_redis(work_dir: Path, port: int | None = None) -> tuple[RedisServer, int]:
    """Start redis-server (on ``port``, or a free one: a restart passes the port it had) and wait for PING."""
    executable = shutil.which("redis-server")
    assert executable is not None
    pid_file, log = work_dir / "redis.pid", work_dir / "redis.log"
    pid_file.unlink(missing_ok=True)  # a restart's daemon writes its own
    port = port or _free_port()
    proc = subprocess.run(
        [executable, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--daemonize", "yes", "--pidfile", str(pid_file), "--logfile", str(log), "--dir", str(work_dir)],
        capture_output=True, text=True, timeout=_START_TIMEOUT, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"redis-server failed to start:\n{proc.stdout}\n{proc.stderr}\n--- log ---\n{_tail(log)}")
    deadline = time.monotonic() + _START_TIMEOUT
    # Written by the daemon shortly after it forks; it may be seen created but still empty.
    while not (pid_file.exists() and pid_file.read_text().strip().isdigit()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"redis-server wrote no pidfile:\n{_tail(log)}")
        time.sleep(0.02)
    pid = int(pid_file.read_text().strip())
    server = RedisServer("127.0.0.1", port)
    try:
        _wait_for_redis(server, log)
    except BaseException:
        _stop_pid(pid)
        raise
    return server, pid


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """Debian's redis-server on a free port for the whole session, killed by its pid at the end."""
    if shutil.which("redis-server") is None:
        _unavailable("redis-server not found (apt-get install redis-server)")
    try:
        import redis  # noqa: F401
    except ImportError:
        _unavailable("redis-py is not installed (uv sync --all-extras)")
    server, pid = _start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield server
    finally:
        _stop_pid(pid)
