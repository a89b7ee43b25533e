"""``python -m bench scale``: steps through the local executor and through 1, 2 and 4 Celery workers.

Every configuration runs on the same PostgreSQL and Redis (started here, see ``bench.cluster``), in the same
invocation, on a fresh database: the local executor (steps run in the driving process), then ``lockgate
worker`` processes (Celery, thread pool) with the driving process only dispatching. Two workloads each:

- **no-op steps**: the items of a ``noop`` node's ``for_each``. The engine folds a pure kind such as ``noop``
  inline into the transaction that dispatches it, so that it never reaches an executor; the driving process
  turns that fold off (as ``bench engine``'s executor scenarios do), so every item is a real dispatch: an
  attempt queued in the database, carried by the executor (with Celery: published to Redis, claimed by a
  worker), run, and its result committed. Items are dispatched by the run's start, in the driving process;
  workers only run them and apply their results.
- **script steps**: the items of a ``script`` node (``output = n * 2``) in the product's sandbox (bubblewrap
  when it works here).

Runs of ``PER_RUN`` items are kept ``window`` at a time. Dispatch latency is ``attempts.queued_at`` (the commit
that dispatched the attempt) to ``attempts.started_at`` (the commit that recorded it running), read from the
database: under load it includes the wait for a free slot. A probe then runs single-step no-op runs one after
another: the latency of one dispatch on an idle deployment. Figures, never a gate; ratios are to the local
executor measured in the same run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from bench.cluster import fresh_database, services, worker_processes
from bench.scenarios import _registry
from lockgate.handlers.context import SandboxMode
from lockgate.runtime import Runtime
from lockgate.settings import ExecutorKind, Settings
from lockgate.spec import PipelineSpec, spec_from_data
from lockgate.store.tables import attempts, runs, workers

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["ScaleOptions", "format_text", "run_scale_bench"]

ROOT = Path(__file__).resolve().parent.parent
PER_RUN = 10  # items per run
SCRIPT = "output = n * 2\n"
_POLL = 0.01


@dataclass(frozen=True, slots=True)
class ScaleOptions:
    steps: int = 10_000
    scripts: int = 1_000
    workers: tuple[int, ...] = (1, 2, 4)
    concurrency: int = 2  # steps one process runs at once: the local executor's and each worker's
    window: int = 4  # runs open at once
    probes: int = 100
    postgres: str | None = None  # an admin URL of a running server instead of starting one
    redis: str | None = None


def _fan_out(name: str, kind: str, config: dict[str, Any]) -> PipelineSpec:
    return spec_from_data({
        "name": name,
        "input": {"items": {"type": "array", "required": True}},
        "nodes": [{"id": "each", "kind": kind, "for_each": "{{ input.items }}", "inputs": {"n": "{{ item }}"},
                   "config": config}],
    })  # fmt: skip


PROBE = spec_from_data({"name": "bench-scale-probe", "nodes": [{"id": "one", "kind": "noop", "inputs": {"n": 1}}]})


def _percentiles(seconds: Sequence[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {"p50_ms": statistics.median(ordered) * 1000,
            "p99_ms": ordered[max(0, -(-len(ordered) * 99 // 100) - 1)] * 1000}  # fmt: skip


class _Rows:
    """Reads of the configuration's database from the driving process (off its event loop)."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url, pool_size=2)

    def terminal(self, run_ids: set[str]) -> dict[str, str]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(runs.c.id, runs.c.status).where(runs.c.id.in_(run_ids)))
            return {r.id: r.status for r in rows if r.status in {"succeeded", "failed", "cancelled"}}

    def latencies(self, run_ids: list[str], worker_kind: str | None) -> tuple[list[float], int]:
        """Queued → running of every attempt of these runs, and how many ran in processes of ``worker_kind``."""
        seconds, elsewhere = [], 0
        with self.engine.connect() as conn:
            kinds = dict(conn.execute(sa.select(workers.c.id, workers.c.kind)).tuples().all())
            for first in range(0, len(run_ids), 500):
                chunk = run_ids[first : first + 500]
                query = sa.select(attempts.c.queued_at, attempts.c.started_at, attempts.c.worker, attempts.c.status)
                for row in conn.execute(query.where(attempts.c.run_id.in_(chunk))):
                    if row.status != "succeeded" or row.started_at is None:
                        raise RuntimeError(f"an attempt ended {row.status} (started {row.started_at})")
                    seconds.append((row.started_at - row.queued_at).total_seconds())
                    elsewhere += worker_kind is not None and kinds.get(row.worker) == worker_kind
        return seconds, elsewhere

    def dispose(self) -> None:
        self.engine.dispose()


async def _drive(runtime: Runtime, rows: _Rows, spec: PipelineSpec, steps: int, window: int) -> tuple[float, list[str]]:
    """Seconds to run ``steps`` items as runs of ``PER_RUN``, ``window`` runs open at once; the runs' ids."""
    sizes = [PER_RUN] * (steps // PER_RUN) + ([steps % PER_RUN] if steps % PER_RUN else [])
    started, open_ids, done = time.perf_counter(), set[str](), list[str]()
    while sizes or open_ids:
        while sizes and len(open_ids) < window:
            head = await runtime.create_run(spec, {"items": list(range(sizes.pop()))})
            open_ids.add(head.id)
        await asyncio.sleep(_POLL)
        for run_id, status in (await asyncio.to_thread(rows.terminal, open_ids)).items():
            if status != "succeeded":
                raise RuntimeError(f"run {run_id} {status}")
            open_ids.discard(run_id)
            done.append(run_id)
    return time.perf_counter() - started, done


async def _probe(runtime: Runtime, rows: _Rows, count: int) -> list[str]:
    done = []
    for _ in range(count):
        head = await runtime.create_run(PROBE, {})
        while True:  # another process may finish it: the database says when
            if await asyncio.to_thread(rows.terminal, {head.id}):
                break
            await asyncio.sleep(_POLL)
        done.append(head.id)
    return done


async def _workloads(settings: Settings, url: str, options: ScaleOptions, celery: bool) -> dict[str, Any]:
    runtime = Runtime(settings, registry=_registry(inline=False))  # the noop fold off where runs are dispatched
    await runtime.start()
    rows = _Rows(url)
    kind = "worker" if celery else None
    report: dict[str, Any] = {}
    try:
        noop, script = (
            _fan_out("bench-scale-noop", "noop", {}),
            _fan_out("bench-scale-script", "script", {"code": SCRIPT}),
        )
        for name, spec, steps in (("noop", noop, options.steps), ("script", script, options.scripts)):
            seconds, run_ids = await _drive(runtime, rows, spec, steps, options.window)
            latencies, in_workers = await asyncio.to_thread(rows.latencies, run_ids, kind)
            report[name] = {"steps": len(latencies), "seconds": seconds, "steps_per_second": len(latencies) / seconds,
                            "in_workers": in_workers, **_percentiles(latencies)}  # fmt: skip
        latencies, in_workers = await asyncio.to_thread(rows.latencies, await _probe(runtime, rows, options.probes),
                                                        kind)  # fmt: skip
        report["probe"] = {"steps": len(latencies), "in_workers": in_workers, **_percentiles(latencies)}
    finally:
        await runtime.stop(grace=10)
        rows.dispose()
    return report


def _environment(home: Path, url: str, broker: str, options: ScaleOptions) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKGATE_") and k != "DATABASE_URL"}
    env.update({"LOCKGATE_HOME": str(home), "DATABASE_URL": url, "LOCKGATE_EXECUTOR": "celery",
                "LOCKGATE_BROKER_URL": broker, "LOCKGATE_SANDBOX": SandboxMode.AUTO.value,
                "LOCKGATE_ALLOW_UNCONFINED_SCRIPTS": "true", "LOCKGATE_MAX_CONCURRENCY": str(options.concurrency),
                "LOCKGATE_LOG_FORMAT": "text"})  # fmt: skip
    return env


def _configuration(work: Path, admin: str, broker: str, options: ScaleOptions, count: int) -> dict[str, Any]:
    home = work / (f"celery-{count}" if count else "local")
    home.mkdir()
    executor = ExecutorKind.CELERY if count else ExecutorKind.LOCAL
    with fresh_database(admin, broker) as url:
        settings = Settings(home=home, database_url=url, executor=executor, broker_url=broker if count else None,
                            max_concurrency=options.concurrency, sandbox=SandboxMode.AUTO,
                            allow_unconfined_scripts=True)  # fmt: skip
        if not count:
            figures = asyncio.run(_workloads(settings, url, options, celery=False))
        else:
            env = _environment(home, url, broker, options)
            with worker_processes(count, home, url, env, options.concurrency):
                figures = asyncio.run(_workloads(settings, url, options, celery=True))
    return {"name": f"celery, {count} worker{'s' if count > 1 else ''}" if count else "local executor",
            "workers": count, **figures}  # fmt: skip


def _ratios(configurations: list[dict[str, Any]]) -> None:
    local = configurations[0]
    for configuration in configurations:
        for workload in ("noop", "script", "probe"):
            figures, base = configuration[workload], local[workload]
            figures["ratio"] = {key: figures[key] / base[key] if base[key] else None
                                for key in ("steps_per_second", "p50_ms", "p99_ms") if key in figures}  # fmt: skip


def run_scale_bench(options: ScaleOptions) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=".bench-scale-", dir=ROOT))
    try:
        with services(options.postgres, options.redis) as servers:
            configurations = [_configuration(work, servers.postgres, servers.redis, options, count)
                              for count in (0, *options.workers)]  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _ratios(configurations)
    return {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "steps": options.steps,
            "scripts": options.scripts, "concurrency": options.concurrency, "window": options.window,
            "per_run": PER_RUN, "probes": options.probes, "bubblewrap": shutil.which("bwrap") is not None,
            "configurations": configurations}  # fmt: skip


def _row(configuration: dict[str, Any], workload: str) -> str:
    figures, ratio = configuration[workload], configuration[workload]["ratio"]
    rate = f"{figures['steps_per_second']:8.1f}/s x{ratio['steps_per_second']:4.2f}  " if workload != "probe" else ""
    return (f"  {configuration['name']:<20} {rate}p50 {figures['p50_ms']:7.1f} ms x{ratio['p50_ms'] or 0:5.2f}"
            f"   p99 {figures['p99_ms']:7.1f} ms x{ratio['p99_ms'] or 0:5.2f}")  # fmt: skip


def format_text(report: dict[str, Any]) -> str:
    load = ", ".join(f"{x:.2f}" for x in report["load_average"])
    lines = [
        f"lockgate scale benchmark: PostgreSQL + Redis on this machine ({report['cpus']} CPUs, load {load}); "
        f"{report['concurrency']} steps at once per process; runs of {report['per_run']} items, "
        f"{report['window']} runs open at once",
        "  no-op step: an item of a noop for_each, dispatched through the executor (the inline fold of pure",
        "  kinds is off where runs are dispatched); dispatch latency: queued (the commit that dispatched it)",
        "  -> running (the commit that recorded it running), from the attempts table; x: ratio to the local executor",
    ]
    titles = (("noop", f"{report['steps']:,} no-op steps"),
              ("script", f"{report['scripts']:,} script steps (sandbox: "
                         f"{'bubblewrap' if report['bubblewrap'] else 'none'})"),
              ("probe", f"{report['probes']} single no-op steps one after another (an idle deployment)"))  # fmt: skip
    for workload, title in titles:
        lines.append(title)
        lines.extend(_row(c, workload) for c in report["configurations"])
    return "\n".join(lines)
