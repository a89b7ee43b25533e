"""Two ``lockgate serve`` processes on one PostgreSQL database: each schedule slot fires exactly once."""

from __future__ import annotations

import socket
import time
import uuid
from collections import Counter
from typing import TYPE_CHECKING

import httpx
import pytest
from tests.integration.helpers import answers, cli, pid_alive, poll, select_rows, spawn_cli, stop_processes

from lockgate.runtime.clock import SystemClock
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.database import Database
from lockgate.store.pipelines import save_version
from lockgate.store.tables import runs, schedule_firings

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterator
    from pathlib import Path

    from tests.conftest import PostgresServer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def shared_url(postgres_server: PostgresServer) -> Iterator[str]:
    import psycopg
    from psycopg import sql

    name = f"cron_{uuid.uuid4().hex}"
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield postgres_server.url(name)
    finally:
        with psycopg.connect(postgres_server.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.mark.timeout(300)  # two servers start (each imports the whole app) on a busy machine
def test_two_servers_fire_each_slot_exactly_once(shared_url: str, tmp_path: Path) -> None:
    created = cli(tmp_path / "keys", shared_url, "keys", "create", "--user", "ed", "--role", "editor")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    spec = PipelineSpec.model_validate(
        {"name": "tick", "input": {"n": {"type": "integer", "required": True}},
         "nodes": [{"id": "echo", "kind": "transform", "config": {"value": "{{ input.n }}"}}]}
    )  # fmt: skip
    db = Database(shared_url)
    with db.write() as conn:
        save_version(conn, spec, SystemClock().now())
    db.dispose()

    procs: list[subprocess.Popen[bytes]] = []
    bases: list[str] = []
    try:
        for name in ("a", "b"):
            port = _free_port()
            procs.append(spawn_cli(tmp_path / name, shared_url, "serve", "--port", str(port),
                                   log=tmp_path / f"{name}.log"))  # fmt: skip
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            poll(lambda base=base: answers(base, "/health"), timeout=60, what=f"{base}/health")  # type: ignore[misc]
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=bases[0], headers=headers, timeout=30) as a:
            response = a.post("/api/v1/pipelines/tick/schedules", json={"cron": "* * * * * *", "input": {"n": 1}})
        assert response.status_code == 201, response.text
        schedule_id = response.json()["id"]
        time.sleep(5)
        with httpx.Client(base_url=bases[1], headers=headers, timeout=30) as b:
            assert b.patch(f"/api/v1/schedules/{schedule_id}", json={"enabled": False}).status_code == 200
        time.sleep(1.5)  # a round that read the schedule before it was disabled finishes

        firings = select_rows(shared_url, schedule_firings, schedule_firings.c.schedule_id == schedule_id)
        fire_times = [f["fire_at"] for f in firings]
        assert len(firings) >= 3, firings
        assert all(count == 1 for count in Counter(fire_times).values())
        assert all(f["run_id"] is not None for f in firings)
        assert len({f["run_id"] for f in firings}) == len(firings)
        # every second between the first and last firing fired (by one process or the other)
        seconds = sorted(int(t.timestamp()) for t in fire_times)
        assert seconds == list(range(seconds[0], seconds[-1] + 1))

        def all_done() -> list[dict[str, object]] | None:
            rows = select_rows(shared_url, runs)
            return rows if rows and all(r["status"] == "succeeded" for r in rows) else None

        run_rows = poll(all_done, timeout=30, what="every scheduled run to succeed")
        assert len(run_rows) == len(firings)
        assert {r["id"] for r in run_rows} == {f["run_id"] for f in firings}
        assert sorted(int(str(r["number"])) for r in run_rows) == list(range(1, len(run_rows) + 1))
        assert all(r["input"] == {"n": 1} for r in run_rows)
        for proc, base in zip(procs, bases, strict=True):
            assert proc.poll() is None and pid_alive(proc.pid)
            assert answers(base, "/health")
            assert httpx.get(f"{base}/ready", timeout=5).status_code == 200
    finally:
        stop_processes(procs)
    for name in ("a", "b"):
        log = (tmp_path / f"{name}.log").read_text()
        assert "Traceback" not in log, log
