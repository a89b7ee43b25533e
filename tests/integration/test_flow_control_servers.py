"""Two ``lockgate serve`` processes on one database: flow control holds across both.

A pipeline's ``max_runs`` (per key) and a node's ``max_concurrent``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from tests.integration.helpers import answers, cli, poll, select_rows, spawn_cli, stop_processes
from tests.integration.served import _port

from lockgate.store.tables import attempts, pipelines, runs

if TYPE_CHECKING:
    import subprocess
    from datetime import datetime
    from pathlib import Path

RUNS = 40
MAX_RUNS = 3
PIPELINE = {
    "name": "limited",
    "input": {"customer": {"type": "string", "required": True}, "n": {"type": "integer", "required": True}},
    "concurrency": {"max_runs": MAX_RUNS, "key": "{{ input.customer }}"},
    "nodes": [{"id": "hold", "kind": "wait", "config": {"duration": "1s"}}],
}


NODE_LIMITED = {
    "name": "node-limited",
    "nodes": [
        {"id": "items", "kind": "transform", "config": {"value": [1, 2, 3, 4]}},
        {"id": "work", "kind": "script", "for_each": "{{ nodes.items.output }}", "max_concurrent": 2,
         "inputs": {"item": "{{ item }}"}, "config": {"code": "import time\ntime.sleep(0.5)\noutput = item"}},
    ],
    "edges": [{"source": "items", "target": "work"}],
}  # fmt: skip


def most_at_once(intervals: list[tuple[datetime, datetime]]) -> int:
    """The most intervals open at one instant (one ending as another starts counts as one)."""
    marks = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    most = now = 0
    for _, change in marks:  # at equal instants -1 sorts first
        now += change
        most = max(most, now)
    return most


def _node_limit_holds(bases: list[str], headers: dict[str, str], database_url: str) -> None:
    """Twelve steps of one node with max_concurrent 2, in three runs started on both servers."""
    with httpx.Client(base_url=bases[0], headers=headers, timeout=30) as client:
        assert client.post("/api/v1/pipelines", json=NODE_LIMITED).status_code in {200, 201}
    for n in range(3):
        with httpx.Client(base_url=bases[n % 2], headers=headers, timeout=30) as client:
            assert client.post("/api/v1/pipelines/node-limited/runs", json={}).status_code == 201

    def work_done() -> list[dict[str, Any]] | None:
        rows = [a for a in select_rows(database_url, attempts) if a["step_key"].startswith("work[")]
        return rows if len(rows) == 12 and all(a["status"] == "succeeded" for a in rows) else None

    rows = poll(work_done, timeout=120, what="the limited node's twelve steps to succeed")
    assert most_at_once([(a["started_at"], a["finished_at"]) for a in rows]) == 2


@pytest.mark.timeout(300)  # two servers start (each imports the whole app) on a busy machine
def test_max_runs_holds_across_two_servers(database_url: str, tmp_path: Path) -> None:
    made = cli(tmp_path / "keys", database_url, "keys", "create", "--user", "ed", "--role", "editor")
    assert made.returncode == 0, made.stderr
    headers = {"Authorization": f"Bearer {made.stdout.strip().splitlines()[-1]}"}
    procs: list[subprocess.Popen[bytes]] = []
    bases = [f"http://127.0.0.1:{_port()}" for _ in range(2)]
    try:
        for name, base in zip("ab", bases, strict=True):
            procs.append(spawn_cli(tmp_path / name, database_url, "serve", "--port", base.rsplit(":", 1)[1],
                                   log=tmp_path / f"{name}.log"))  # fmt: skip
        for base in bases:
            poll(lambda base=base: answers(base), timeout=90, what=f"{base}/ready")  # type: ignore[misc]
        with httpx.Client(base_url=bases[0], headers=headers, timeout=30) as client:
            assert client.post("/api/v1/pipelines", json=PIPELINE).status_code in {200, 201}

        def start(n: int) -> dict[str, Any]:
            with httpx.Client(base_url=bases[n % 2], headers=headers, timeout=60) as client:
                customer = "acme" if n % 4 < 2 else "globex"  # each server starts runs of both keys
                response = client.post("/api/v1/pipelines/limited/runs", json={"input": {"customer": customer, "n": n}})
                assert response.status_code == 201, response.text
                body: dict[str, Any] = response.json()
                return body

        with ThreadPoolExecutor(max_workers=16) as pool:
            started = list(pool.map(start, range(RUNS)))
        queued = [r for r in started if r["status"] == "queued"]
        assert queued, "every run was admitted at once: the test proves nothing"
        assert all(r["wait_reason"].startswith("waiting: ") and "(max_runs 3)" in r["wait_reason"] for r in queued)

        def all_done() -> list[dict[str, Any]] | None:
            rows = select_rows(database_url, runs)
            return rows if len(rows) == RUNS and all(r["status"] == "succeeded" for r in rows) else None

        rows = poll(
            all_done, timeout=180, what=lambda: str(sorted(r["status"] for r in select_rows(database_url, runs)))
        )
        assert select_rows(database_url, pipelines)[0]["next_run_number"] == RUNS + 1
        most = {}
        for customer in ("acme", "globex"):
            mine = [r for r in rows if r["input"]["customer"] == customer]
            assert all(r["concurrency_key"] == customer and r["wait_reason"] is None for r in mine)
            most[customer] = most_at_once([(r["started_at"], r["finished_at"]) for r in mine])
        assert max(most.values()) == MAX_RUNS and min(most.values()) >= 1, most  # the limit was reached, not passed
        _node_limit_holds(bases, headers, database_url)
        for proc in procs:
            assert proc.poll() is None
    finally:
        stop_processes(procs)
    for name in "ab":
        log = (tmp_path / f"{name}.log").read_text()
        assert "Traceback" not in log, log
