"""Prometheus metrics: gauges refreshed from the store on scrape, histograms fed by the runtime."""

from __future__ import annotations

from prometheus_client import Gauge, Histogram
from sqlalchemy import Connection, func, select

from lockgate.runtime import Applied, Runtime
from lockgate.store.tables import attempts, runs

__all__ = ["RUNS", "STEP_SECONDS", "observe", "refresh_metrics"]

RUNS = Gauge("lockgate_runs", "runs by status", ["status"])
QUEUE = Gauge("lockgate_queue_depth", "attempts queued, not yet started")
IN_FLIGHT = Gauge("lockgate_steps_in_flight", "attempts running in this process")
STEP_SECONDS = Histogram(
    "lockgate_step_duration_seconds",
    "duration of finished step attempts",
    ["kind", "status"],
    buckets=(0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 1800),
)


def _counts(conn: Connection) -> tuple[dict[str, int], int]:
    rows = conn.execute(select(runs.c.status, func.count()).group_by(runs.c.status))
    by_status = {str(status): int(count) for status, count in rows}
    queued = conn.execute(select(func.count()).select_from(attempts).where(attempts.c.status == "queued"))
    return by_status, int(queued.scalar_one())


async def refresh_metrics(runtime: Runtime) -> None:
    def read() -> tuple[dict[str, int], int]:
        with runtime.db.read() as conn:
            return _counts(conn)

    by_status, queued = await runtime.db_call(read)
    for status in ("pending", "running", "paused", "succeeded", "failed", "cancelled"):
        RUNS.labels(status).set(by_status.get(status, 0))
    QUEUE.set(queued)
    IN_FLIGHT.set(runtime.executor.in_flight)


def observe(applied: Applied) -> None:
    """A runtime listener: step durations as they finish."""
    transition = applied.transition
    if transition is None or applied.plan is None:
        return
    nodes = applied.plan.nodes
    for key in transition.changed:
        step = transition.state.steps[key]
        if step.terminal and step.started_at is not None and step.finished_at is not None and step.items is None:
            kind = nodes[step.node_id].node.kind
            STEP_SECONDS.labels(kind, step.status.value).observe((step.finished_at - step.started_at).total_seconds())
