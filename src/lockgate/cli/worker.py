"""``lockgate worker``: a headless process that starts pending runs, recovers lost work and advances runs."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer
from sqlalchemy import func, select

from lockgate.cli.options import console, exit_on_errors, settings
from lockgate.runtime import Runtime
from lockgate.settings import Settings
from lockgate.store.tables import runs

__all__ = ["worker"]


def worker(
    ctx: typer.Context,
    exit_when_idle: Annotated[bool, typer.Option(help="exit once no run is open and nothing runs here")] = False,
) -> None:
    """Advance runs from the shared database alongside any other process."""
    with exit_on_errors():
        asyncio.run(_work(settings(ctx), exit_when_idle))


async def _work(cfg: Settings, exit_when_idle: bool) -> None:
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
    with runtime.db.read() as conn:
        stmt = (
            select(func.count()).select_from(runs).where(runs.c.status.in_(("queued", "pending", "running", "paused")))
        )
        return int(conn.execute(stmt).scalar_one())
