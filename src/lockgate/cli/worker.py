"""``lockgate worker``: a headless process that starts pending runs, recovers lost work and advances runs.

With ``LOCKGATE_EXECUTOR=celery`` it is a Celery worker for Lockgate's app: it runs the steps servers publish.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING, Annotated

import typer

from lockgate.cli.code_tasks import TasksOption, with_tasks
from lockgate.cli.options import console, exit_on_errors, settings

if TYPE_CHECKING:  # the runtime is imported when the worker starts, not by every command
    from lockgate.runtime import Runtime
    from lockgate.settings import Settings

__all__ = ["worker"]


def worker(
    ctx: typer.Context,
    exit_when_idle: Annotated[bool, typer.Option(help="exit once no run is open and nothing runs here")] = False,
    queues: Annotated[
        str, typer.Option(help="celery: the queues to serve, comma-separated (nodes' queue)")
    ] = "lockgate",
    concurrency: Annotated[
        int | None, typer.Option(help="celery: steps run at once (default LOCKGATE_MAX_CONCURRENCY)", min=1)
    ] = None,
    pool: Annotated[str, typer.Option(help="celery: threads, prefork or solo")] = "threads",
    tasks: TasksOption = None,
) -> None:
    """Advance runs from the shared database alongside any other process (with celery: run their steps)."""
    import asyncio

    from lockgate.settings import ExecutorKind

    with exit_on_errors():
        cfg = with_tasks(settings(ctx), tasks)
        if cfg.executor is ExecutorKind.CELERY:
            _celery_worker(cfg, queues, concurrency or cfg.max_concurrency, pool)
            return
        asyncio.run(_work(cfg, exit_when_idle))


def _celery_worker(cfg: Settings, queues: str, concurrency: int, pool: str) -> None:
    from lockgate.cli.celery_host import worker_app  # the celery extra only when it is used

    app = worker_app(cfg)
    app.worker_main(["worker", f"--queues={queues}", f"--concurrency={concurrency}", f"--pool={pool}",
                     "--loglevel=INFO", "--without-gossip", "--without-mingle"])  # fmt: skip


async def _work(cfg: Settings, exit_when_idle: bool) -> None:
    import asyncio

    from lockgate.runtime import Runtime

    runtime = Runtime(cfg, kind="worker")
    await runtime.start()
    console.print(f"worker {runtime.worker} on {cfg.db_url.split('@')[-1]}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=cfg.maintenance_interval.total_seconds())
            except TimeoutError:
                if (
                    exit_when_idle
                    and runtime.executor.in_flight == 0
                    and await runtime.db_call(_open_runs, runtime) == 0
                ):
                    break
    finally:
        await runtime.stop()


def _open_runs(runtime: Runtime) -> int:
    from sqlalchemy import func, select

    from lockgate.store.tables import runs

    with runtime.db.read() as conn:
        stmt = (
            select(func.count()).select_from(runs).where(runs.c.status.in_(("queued", "pending", "running", "paused")))
        )
        return int(conn.execute(stmt).scalar_one())
