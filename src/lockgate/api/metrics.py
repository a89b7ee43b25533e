"""Prometheus metrics: gauges refreshed from the store on scrape, histograms fed by the runtime."""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import Connection, Row, func, select

from lockgate.engine import StepFailed
from lockgate.runtime import Applied, Runtime
from lockgate.store.tables import agent_exchanges, attempts, pipelines, runs

__all__ = ["AGENT_COST", "AGENT_TOKENS", "BUDGET_REFUSALS", "RUNS", "STEP_SECONDS", "observe", "refresh_metrics"]

RUNS = Gauge("lockgate_runs", "runs by status", ["status"])
QUEUE = Gauge("lockgate_queue_depth", "attempts queued, not yet started")
IN_FLIGHT = Gauge("lockgate_steps_in_flight", "attempts running in this process")
STEP_SECONDS = Histogram(
    "lockgate_step_duration_seconds",
    "duration of finished step attempts",
    ["kind", "status"],
    buckets=(0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 1800),
)


# What agents spent, from the store (so every process's spend counts), by pipeline and model profile.
AGENT_TOKENS = Gauge("lockgate_agent_tokens", "tokens agents used (replayed answers excluded)",
                     ["pipeline", "model", "direction"])  # fmt: skip
AGENT_COST = Gauge("lockgate_agent_cost_usd", "US dollars agents spent, at the model profiles' prices",
                   ["pipeline", "model"])  # fmt: skip
AGENT_REQUESTS = Gauge("lockgate_agent_requests", "model requests agents made (replayed ones excluded)",
                       ["pipeline", "model"])  # fmt: skip
BUDGET_REFUSALS = Counter("lockgate_agent_budget_refusals", "agent steps stopped by a budget (this process)")


def _agent_spend(conn: Connection) -> list[Row[Any]]:
    stmt = (
        select(pipelines.c.name, agent_exchanges.c.model, func.sum(agent_exchanges.c.input_tokens),
               func.sum(agent_exchanges.c.output_tokens), func.count(), func.sum(agent_exchanges.c.cost))
        .select_from(agent_exchanges.join(runs, runs.c.id == agent_exchanges.c.run_id)
                     .join(pipelines, pipelines.c.id == runs.c.pipeline_id))
        .where(agent_exchanges.c.replayed.is_(False))
        .group_by(pipelines.c.name, agent_exchanges.c.model)
    )  # fmt: skip
    return list(conn.execute(stmt))


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
    for status in ("queued", "pending", "running", "paused", "succeeded", "failed", "cancelled"):
        RUNS.labels(status).set(by_status.get(status, 0))
    QUEUE.set(queued)
    IN_FLIGHT.set(runtime.executor.in_flight)

    def spend() -> list[Row[Any]]:
        with runtime.db.read() as conn:
            return _agent_spend(conn)

    for row in await runtime.db_call(spend):
        pipeline, model, tokens_in, tokens_out, requests, cost = tuple(row)
        AGENT_TOKENS.labels(pipeline, model, "input").set(tokens_in or 0)
        AGENT_TOKENS.labels(pipeline, model, "output").set(tokens_out or 0)
        AGENT_REQUESTS.labels(pipeline, model).set(requests)
        AGENT_COST.labels(pipeline, model).set(cost or 0.0)


def observe(applied: Applied) -> None:
    """A runtime listener: step durations as they finish."""
    transition = applied.transition
    if transition is None or applied.plan is None:
        return
    if isinstance(applied.event, StepFailed) and applied.event.error.kind == "budget_exceeded":
        BUDGET_REFUSALS.inc()
    nodes = applied.plan.nodes
    for key in transition.changed:
        step = transition.state.steps[key]
        if step.terminal and step.started_at is not None and step.finished_at is not None and step.items is None:
            kind = nodes[step.node_id].node.kind
            STEP_SECONDS.labels(kind, step.status.value).observe((step.finished_at - step.started_at).total_seconds())
