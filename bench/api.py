"""``python -m bench api``: a real server with 100,000 runs in its database, and webhooks that start runs.

It seeds a temporary home (SQLite, in the repository) with N finished runs of one pipeline and their steps
(some failed: every listed run counts its failed steps) — written
straight into the ``runs`` table, as the listing reads them (creating 100,000 runs over HTTP would take
most of the time and measure something else) — starts ``lockgate serve`` on it, then measures:

- ``GET /api/v1/runs?limit=50`` latency (p50/p99): the first page, a page 20 pages deep (through the
  cursor), filtered by status and by pipeline; and requests per second with 16 concurrent clients;
- the time from a webhook POST to its run's first step starting (the ``timer_fired`` of its 0 s wait), p50/p99,
  next to the same for a run started with ``POST /pipelines/{name}/runs``.

Every figure comes with the same measure of ``GET /health`` (or of the manual start) from the same run, as
a ratio: machines here are noisy, ratios less so. Figures, never a gate; the exit status stays 0.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import httpx
from sqlalchemy import insert, update

from bench.server import Server, timings
from lockgate.spec import parse_spec
from lockgate.store.database import Database
from lockgate.store.ids import new_id
from lockgate.store.migrate import upgrade
from lockgate.store.pipelines import save_version
from lockgate.store.tables import pipelines, runs, steps

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["ApiOptions", "format_text", "run_api_bench"]

ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1"
LISTED = "bench-listed"
HOOKED = """
name: bench-hook
nodes:
  - {id: first, kind: wait, config: {duration: 0s}}
"""
LISTED_SPEC = f"name: {LISTED}\nnodes: [{{id: a, kind: noop}}]\n"
_STATUSES = ("succeeded",) * 45 + ("failed",) * 4 + ("cancelled",)


@dataclass(frozen=True, slots=True)
class ApiOptions:
    runs: int = 100_000
    samples: int = 200
    hook_samples: int = 50
    concurrency: int = 16
    seconds: float = 5.0
    synchronous: Literal["full", "normal"] = "full"


def _steps_of(run_id: str, number: int, status: str) -> list[dict[str, Any]]:
    """A run's steps, for the listing's failed-step count.

    One each; every 10th run that succeeded also has two failed (on_error: continue); every 1,000th a fan-out of
    500 steps (the count reads the failed ones alone).
    """
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=number)
    keys = [("a", "failed" if status == "failed" else "succeeded")]
    if status == "succeeded" and number % 10 == 0:
        keys += [("b[0]", "failed"), ("b[1]", "failed")]
    if number % 1_000 == 0:
        keys += [(f"fan[{i}]", "succeeded") for i in range(500)]
    return [{"run_id": run_id, "key": key, "node_id": key.split("[", 1)[0], "status": step_status, "attempt": 1,
             "queued_at": at, "started_at": at, "finished_at": at} for key, step_status in keys]  # fmt: skip


def _seed(home: Path, count: int) -> float:
    """N finished runs of one pipeline, one second apart, with their steps, as the runtime would have left them."""
    started = time.perf_counter()
    home.mkdir(parents=True, exist_ok=True)
    db = Database(f"sqlite:///{(home / 'lockgate.db').resolve()}")
    upgrade(db)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    with db.write() as conn:
        version = save_version(conn, parse_spec(LISTED_SPEC, "yaml"), base)
        for first in range(0, count, 5_000):
            rows, seeded = [], []
            for number in range(first + 1, min(first + 5_000, count) + 1):
                at = base + timedelta(seconds=number)
                status = _STATUSES[number % len(_STATUSES)]
                run_id = new_id()
                seeded += _steps_of(run_id, number, status)
                rows.append({"id": run_id, "pipeline_id": version.pipeline_id, "version_id": version.id,
                             "number": number, "status": status, "input": {"n": number},
                             "output": {"a": None} if status == "succeeded" else None, "error": None,
                             "last_seq": 0, "created_at": at, "started_at": at,
                             "finished_at": at + timedelta(milliseconds=number % 900), "updated_at": at})  # fmt: skip
            conn.execute(insert(runs), rows)
            conn.execute(insert(steps), seeded)
        conn.execute(update(pipelines).where(pipelines.c.id == version.pipeline_id).values(next_run_number=count + 1))
    db.dispose()
    return time.perf_counter() - started


def _percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"p50_ms": statistics.median(ordered) * 1000,
            "p99_ms": ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000}  # fmt: skip


def _latency(call: Callable[[], httpx.Response], samples: int) -> dict[str, float]:
    call().raise_for_status()  # warm
    return _percentiles(timings(call, samples))


def _deep_cursor(client: httpx.Client, pages: int) -> str:
    cursor: str | None = None
    for _ in range(pages):
        page = client.get(f"{API}/runs", params={"limit": 50, **({"cursor": cursor} if cursor else {})}).json()
        cursor = str(page["next_cursor"]) if page["next_cursor"] is not None else None
    assert cursor is not None, "the listing ended early"  # noqa: S101
    return cursor


async def _throughput(server: Server, path: str, params: dict[str, Any], options: ApiOptions) -> float:
    headers = {"Authorization": f"Bearer {server.keys['admin']}"}
    limits = httpx.Limits(max_connections=options.concurrency)
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60, limits=limits) as client:
        done = 0
        deadline = time.perf_counter() + options.seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                (await client.get(path, params=params)).raise_for_status()
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(options.concurrency)))
        return done / (time.perf_counter() - started)


def _listing(server: Server, options: ApiOptions) -> dict[str, Any]:
    with server.client("admin") as admin:
        cursor = _deep_cursor(admin, 20)
        latency = {
            "health": _latency(lambda: admin.get("/health"), options.samples),
            "first_page": _latency(lambda: admin.get(f"{API}/runs", params={"limit": 50}), options.samples),
            "page_21": _latency(lambda: admin.get(f"{API}/runs", params={"limit": 50, "cursor": cursor}),
                                options.samples),
            "by_status": _latency(lambda: admin.get(f"{API}/runs", params={"limit": 50, "status": "failed"}),
                                  options.samples),
            "by_pipeline": _latency(lambda: admin.get(f"{API}/runs", params={"limit": 50, "pipeline": LISTED}),
                                    options.samples),
        }  # fmt: skip
        assert len(admin.get(f"{API}/runs", params={"limit": 50}).json()["items"]) == 50  # noqa: S101
    rps = {
        "health": asyncio.run(_throughput(server, "/health", {}, options)),
        "first_page": asyncio.run(_throughput(server, f"{API}/runs", {"limit": 50}, options)),
    }
    return {"latency": latency, "rps": rps}


def _first_start_ms(client: httpx.Client, run_id: str, sent: datetime) -> float:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for event in client.get(f"{API}/runs/{run_id}/events", params={"limit": 100}).json()["items"]:
            if event["type"] == "timer_fired":  # a wait is the engine's timer: its firing is the step's start
                return (datetime.fromisoformat(event["at"]) - sent).total_seconds() * 1000
        time.sleep(0.002)
    raise RuntimeError(f"the first step of run {run_id} never started")


def _starts(server: Server, samples: int) -> dict[str, dict[str, float]]:
    with server.client("admin") as admin, httpx.Client(timeout=60) as anonymous:
        admin.post(f"{API}/pipelines", content=HOOKED, headers={"Content-Type": "application/yaml"}).raise_for_status()
        hook = admin.post(f"{API}/pipelines/bench-hook/webhooks", json={}).json()["url"]
        hooked, manual = [], []
        for index in range(samples):  # interleaved, so that drift on the machine hits both alike
            sent = datetime.now(UTC)
            accepted = anonymous.post(hook, json={"sample": index})
            accepted.raise_for_status()
            hooked.append(_first_start_ms(admin, accepted.json()["run_id"], sent) / 1000)
            sent = datetime.now(UTC)
            created = admin.post(f"{API}/pipelines/bench-hook/runs", json={})
            created.raise_for_status()
            manual.append(_first_start_ms(admin, created.json()["id"], sent) / 1000)
    return {"webhook": _percentiles(hooked), "manual": _percentiles(manual)}


def run_api_bench(options: ApiOptions) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=".bench-api-", dir=ROOT))
    try:
        seed_seconds = _seed(work, options.runs)
        server = Server(work, options.synchronous)
        try:
            listing = _listing(server, options)
            starts = _starts(server, options.hook_samples)
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"runs": options.runs, "seed_seconds": seed_seconds, "sqlite_synchronous": options.synchronous,
            "concurrency": options.concurrency, "listing": listing, "starts": starts}  # fmt: skip


def format_text(report: dict[str, Any]) -> str:
    latency, rps, starts = report["listing"]["latency"], report["listing"]["rps"], report["starts"]
    health = latency["health"]
    lines = [
        f"lockgate API benchmark: lockgate serve on SQLite (synchronous={report['sqlite_synchronous'].upper()}), "
        f"{report['runs']:,} runs in the database (seeded in {report['seed_seconds']:.1f}s)",
        f"  GET /health (the baseline)      p50 {health['p50_ms']:6.2f} ms   p99 {health['p99_ms']:6.2f} ms",
    ]
    for name, label in (("first_page", "GET /runs?limit=50"), ("page_21", "  … page 21 by cursor"),
                        ("by_status", "  … ?status=failed"), ("by_pipeline", "  … ?pipeline=…")):  # fmt: skip
        figures = latency[name]
        lines.append(f"  {label:<31} p50 {figures['p50_ms']:6.2f} ms   p99 {figures['p99_ms']:6.2f} ms"
                     f"   = {figures['p50_ms'] / health['p50_ms']:5.2f} x /health at p50")  # fmt: skip
    lines.append(f"  throughput, {report['concurrency']} clients: GET /runs?limit=50 {rps['first_page']:,.0f} req/s"
                 f" = {rps['first_page'] / rps['health']:.3f} x GET /health ({rps['health']:,.0f} req/s)")  # fmt: skip
    hook, manual = starts["webhook"], starts["manual"]
    lines += [
        "  webhook POST → first step started  "
        f"p50 {hook['p50_ms']:6.2f} ms   p99 {hook['p99_ms']:6.2f} ms"
        f"   = {hook['p50_ms'] / manual['p50_ms']:5.2f} x a manual start at p50",
        f"  POST /pipelines/…/runs → started  p50 {manual['p50_ms']:6.2f} ms   p99 {manual['p99_ms']:6.2f} ms",
    ]
    return "\n".join(lines)
