"""``python -m bench human``: a real server with thousands of runs waiting for a person.

It starts ``lockgate serve`` (SQLite, a temporary home in the repository) and creates N runs of a pipeline
whose first step waits for an editor's approval, then measures, in the same run:

- the server's memory (RSS) idle and with the N runs waiting, its threads and child processes, and the
  attempts in flight (a waiting run holds no thread, process, attempt or lease: expect 0);
- the time to list the inbox (first page of 50, as an editor, and as an admin), against ``GET /health``
  and ``GET /runs?limit=50`` measured alongside;
- the time from an approval POST to the next step's start (a ``wait`` of 0 s: its ``timer_fired`` event), against
  ``GET /health`` and a ``POST …/pause`` (another write that applies an event).

Figures, never a gate: targets are marked PASS or MISS and the exit status stays 0.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import httpx

from bench.server import Server, median_ms

__all__ = ["HumanOptions", "format_text", "run_human_bench"]

ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1"
PIPELINE = {
    "name": "bench-approvals",
    "nodes": [
        {"id": "gate", "kind": "noop", "review": {"approve_complete": True, "assignees": ["role:editor"]}},
        {"id": "after", "kind": "wait", "config": {"duration": "0s"}},
    ],
    "edges": [{"source": "gate", "target": "after"}],
}
INBOX_TARGET = 10.0  # the inbox page at most this many times a GET /runs?limit=50
MB_PER_1000_TARGET = 25.0  # waiting runs cost at most this much server memory per 1,000


@dataclass(frozen=True, slots=True)
class HumanOptions:
    runs: int = 10_000
    samples: int = 30
    synchronous: Literal["full", "normal"] = "full"
    concurrency: int = 32


async def _warm_up(server: Server, concurrency: int) -> None:
    """Concurrent reads first: the server's thread pools grow to their size before the idle figures are taken."""
    headers = {"Authorization": f"Bearer {server.keys['admin']}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=120) as client:
        for _ in range(3):
            answers = await asyncio.gather(*(client.get(f"{API}/runs") for _ in range(concurrency)))
            for answer in answers:
                answer.raise_for_status()


async def _create(server: Server, runs: int, concurrency: int) -> float:
    limit = asyncio.Semaphore(concurrency)
    headers = {"Authorization": f"Bearer {server.keys['admin']}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=120) as client:

        async def one() -> None:
            async with limit:
                (await client.post(f"{API}/pipelines/bench-approvals/runs", json={})).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(runs)))
        return time.perf_counter() - started


def _db_count(home: Path, sql: str) -> int:
    with sqlite3.connect(f"file:{home / 'lockgate.db'}?mode=ro", uri=True, timeout=60) as conn:
        return int(conn.execute(sql).fetchone()[0])


def _wait_open(home: Path, runs: int) -> float:
    started = time.perf_counter()
    while _db_count(home, "SELECT count(*) FROM human_tasks WHERE status = 'open'") < runs:
        if time.perf_counter() - started > 600:
            raise RuntimeError("the runs never all reached their approval")
        time.sleep(0.2)
    return time.perf_counter() - started


def _open_tasks(home: Path, count: int) -> list[tuple[str, str]]:
    with sqlite3.connect(f"file:{home / 'lockgate.db'}?mode=ro", uri=True, timeout=60) as conn:
        rows = conn.execute("SELECT id, run_id FROM human_tasks WHERE status = 'open' ORDER BY id LIMIT ?", (count,))
        return [(str(a), str(b)) for a, b in rows]


def _approval_ms(editor: httpx.Client, task: str, run: str) -> tuple[float, float]:
    """(POST round trip, POST sent → the next step woke: the timer_fired of its 0 s wait), in milliseconds."""
    sent = datetime.now(UTC)
    started = time.perf_counter()
    editor.post(f"{API}/tasks/{task}/approve").raise_for_status()
    round_trip = (time.perf_counter() - started) * 1000
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for event in editor.get(f"{API}/runs/{run}/events", params={"limit": 1000}).json()["items"]:
            if event["type"] == "timer_fired" and event["data"]["step"] == "after":
                return round_trip, (datetime.fromisoformat(event["at"]) - sent).total_seconds() * 1000
        time.sleep(0.002)
    raise RuntimeError(f"the step after task {task} never started")


def _approvals(server: Server, samples: int) -> dict[str, Any]:
    pairs = _open_tasks(server.home, samples * 2)
    with server.client("editor") as editor, server.client("admin") as admin:
        measured = [_approval_ms(editor, task, run) for task, run in pairs[:samples]]
        spare = [run for _, run in pairs[samples:]]
        pause_ms = []
        for run in spare:
            started = time.perf_counter()
            admin.post(f"{API}/runs/{run}/pause").raise_for_status()
            pause_ms.append((time.perf_counter() - started) * 1000)
            admin.post(f"{API}/runs/{run}/resume").raise_for_status()
    to_start = sorted(m[1] for m in measured)
    return {"samples": samples, "post_ms": statistics.median(m[0] for m in measured),
            "to_next_start_ms": statistics.median(to_start),
            "to_next_start_p90_ms": to_start[int(len(to_start) * 0.9) - 1] if len(to_start) > 1 else to_start[0],
            "pause_post_ms": statistics.median(pause_ms) if pause_ms else None}  # fmt: skip


def _inbox(server: Server, samples: int) -> dict[str, float]:
    with server.client("editor") as editor, server.client("admin") as admin:
        health = median_ms(lambda: editor.get("/health"), samples)
        run_list = median_ms(lambda: editor.get(f"{API}/runs", params={"limit": 50}), samples)
        mine = median_ms(lambda: editor.get(f"{API}/tasks", params={"limit": 50}), samples)
        every = median_ms(lambda: admin.get(f"{API}/tasks", params={"limit": 50}), samples)
        page = editor.get(f"{API}/tasks", params={"limit": 50}).json()
    assert len(page["items"]) == 50 and page["next_cursor"], "the inbox should be full"  # noqa: S101
    return {"health_ms": health, "run_list_ms": run_list, "inbox_editor_ms": mine, "inbox_admin_ms": every}


def run_human_bench(options: HumanOptions) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=".bench-human-", dir=ROOT))
    server = Server(work, options.synchronous)
    try:
        with server.client("admin") as admin:
            admin.post(f"{API}/pipelines", json=PIPELINE).raise_for_status()
        asyncio.run(_warm_up(server, options.concurrency))
        idle = server.process()
        create_seconds = asyncio.run(_create(server, options.runs, options.concurrency))
        settle_seconds = _wait_open(work, options.runs)
        time.sleep(1.0)  # let the committer and maintenance settle before measuring memory
        waiting = server.process()
        in_flight = _db_count(work, "SELECT count(*) FROM attempts WHERE status IN ('queued', 'running')")
        inbox = _inbox(server, options.samples)
        approvals = _approvals(server, min(options.samples, max(1, options.runs // 4)))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return _report(options, idle, waiting, in_flight, create_seconds, settle_seconds, inbox, approvals)


def _report(
    options: HumanOptions,
    idle: dict[str, Any],
    waiting: dict[str, Any],
    in_flight: int,
    create_seconds: float,
    settle_seconds: float,
    inbox: dict[str, float],
    approvals: dict[str, Any],
) -> dict[str, Any]:
    per_1000 = (waiting["rss_mb"] - idle["rss_mb"]) / options.runs * 1000
    ratio = inbox["inbox_editor_ms"] / inbox["run_list_ms"]
    return {
        "runs": options.runs,
        "sqlite_synchronous": options.synchronous,
        "create": {
            "seconds": create_seconds,
            "runs_per_second": options.runs / create_seconds,
            "settle_seconds": settle_seconds,
        },
        "memory": {
            "idle_rss_mb": idle["rss_mb"],
            "waiting_rss_mb": waiting["rss_mb"],
            "mb_per_1000_waiting": per_1000,
            "ratio_to_idle": waiting["rss_mb"] / idle["rss_mb"],
            "meets_target": per_1000 <= MB_PER_1000_TARGET,
        },
        "held": {
            "threads_idle": idle["threads"],
            "threads_waiting": waiting["threads"],
            "children": waiting["children"],
            "attempts_in_flight": in_flight,
        },
        "inbox": {
            **inbox,
            "editor_to_health": inbox["inbox_editor_ms"] / inbox["health_ms"],
            "editor_to_run_list": ratio,
            "admin_to_run_list": inbox["inbox_admin_ms"] / inbox["run_list_ms"],
            "meets_target": ratio <= INBOX_TARGET,
        },
        "approval": {
            **approvals,
            "to_next_start_to_health": approvals["to_next_start_ms"] / inbox["health_ms"],
            "to_next_start_to_pause_post": (
                approvals["to_next_start_ms"] / approvals["pause_post_ms"] if approvals["pause_post_ms"] else None
            ),
        },
        "load_average": os.getloadavg()[0],
    }


def format_text(report: dict[str, Any]) -> str:
    memory, held, inbox, approval, create = (report["memory"], report["held"], report["inbox"], report["approval"],
                                             report["create"])  # fmt: skip
    pause = approval["to_next_start_to_pause_post"]
    lines = [
        f"lockgate human-task benchmark: lockgate serve on SQLite (synchronous={report['sqlite_synchronous'].upper()}),"
        f" {report['runs']:,} runs waiting for an editor's approval",
        f"  created {report['runs']:,} runs in {create['seconds']:.1f}s ({create['runs_per_second']:,.0f} runs/s over"
        f" HTTP), all waiting {create['settle_seconds']:.1f}s later",
        f"  memory: {memory['idle_rss_mb']:.0f} MB idle → {memory['waiting_rss_mb']:.0f} MB with them waiting"
        f" = {memory['ratio_to_idle']:.2f} x idle, {memory['mb_per_1000_waiting']:.1f} MB per 1,000 waiting runs",
        f"  held while waiting: {held['threads_waiting']} threads (idle, warmed up: {held['threads_idle']}),"
        f" {held['children']}"
        f" child processes, {held['attempts_in_flight']} attempts in flight (no worker, no lease)",
        f"  inbox, first page of 50: {inbox['inbox_editor_ms']:.1f} ms as an editor"
        f" = {inbox['editor_to_run_list']:.2f} x GET /runs?limit=50 ({inbox['run_list_ms']:.1f} ms)"
        f" = {inbox['editor_to_health']:.1f} x GET /health ({inbox['health_ms']:.1f} ms);"
        f" as an admin {inbox['inbox_admin_ms']:.1f} ms",
        f"  approval POST → next step started: median {approval['to_next_start_ms']:.1f} ms"
        f" (p90 {approval['to_next_start_p90_ms']:.1f} ms, {approval['samples']} approvals)"
        f" = {approval['to_next_start_to_health']:.1f} x GET /health"
        + (f" = {pause:.2f} x a POST /pause ({approval['pause_post_ms']:.1f} ms)" if pause is not None else "")
        + f"; the POST itself {approval['post_ms']:.1f} ms",
        "targets:",
        f"  [{'PASS' if memory['meets_target'] else 'MISS'}] ≤ {MB_PER_1000_TARGET:.0f} MB per 1,000 waiting runs"
        f" (is {memory['mb_per_1000_waiting']:.1f})",
        f"  [{'PASS' if inbox['meets_target'] else 'MISS'}] inbox ≤ {INBOX_TARGET:.0f} x the run list"
        f" (is {inbox['editor_to_run_list']:.2f})",
        f"  (1-min load average {report['load_average']:.2f} at the end)",
    ]
    return "\n".join(lines)
