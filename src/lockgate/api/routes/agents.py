"""Routes: what agents said (a step's conversation, attempt by attempt) and what they cost (run, pipeline)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import Connection

from lockgate.api.deps import MAX_INT, StoreDep, Viewer
from lockgate.api.routes.runs import RUN
from lockgate.api.schemas.conversations import (
    AttemptConversationRead,
    AttemptCostRead,
    CostTotals,
    PipelineCostRead,
    RunCostRead,
    RunCostSummary,
    StepConversationRead,
    StepCostRead,
    TurnRead,
)
from lockgate.spec.agent import Budget
from lockgate.store import conversations as store
from lockgate.store import listing
from lockgate.store.runs import find_run

if TYPE_CHECKING:
    from sqlalchemy import Row

__all__ = ["pipeline_costs", "router", "run_costs", "step_conversation"]

router = APIRouter(tags=["agents"])
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such run, step or pipeline"}}


def _turn(row: Row[Any]) -> TurnRead:
    return TurnRead(position=row.position, member=row.member, role=row.role, round=row.round, messages=row.messages,
                    output=row.output, input_tokens=row.input_tokens, output_tokens=row.output_tokens,
                    requests=row.requests, tool_calls=row.tool_calls, cost=row.cost, error=row.error,
                    estimated=row.estimated, created_at=row.created_at)  # fmt: skip


def _sum(turns: list[TurnRead]) -> CostTotals:
    return CostTotals(
        input_tokens=sum(t.input_tokens for t in turns),
        output_tokens=sum(t.output_tokens for t in turns),
        requests=sum(t.requests for t in turns),
        cost=sum(t.cost for t in turns),
        estimated=sum(1 for t in turns if t.estimated),
    )


def step_conversation(conn: Connection, ref: str, step: str, attempt: int | None) -> StepConversationRead:
    """Each attempt's turns of a step, with their totals (the API's and ``lockgate runs conversation``'s)."""
    head = find_run(conn, ref)
    listing.step_attempts(conn, head.id, step)  # 404 for an unknown step
    by_attempt: dict[int, list[TurnRead]] = {}
    for row in store.attempt_turns(conn, head.id, step, attempt):
        by_attempt.setdefault(row.attempt, []).append(_turn(row))
    attempts = [AttemptConversationRead(attempt=n, turns=turns, totals=_sum(turns)) for n, turns in by_attempt.items()]
    return StepConversationRead(run_id=head.id, step=step, attempts=attempts)


@router.get(
    f"/runs/{RUN}/steps/{{step}}/conversation",
    responses=_NOT_FOUND,
    summary="An agent step's conversation: each attempt's turns with messages, tool calls and usage",
)
async def get_conversation(
    run: str, step: str, store_: StoreDep, _: Viewer,
    attempt: Annotated[int | None, Query(ge=1, le=MAX_INT, description="one attempt; default: all")] = None,
) -> StepConversationRead:  # fmt: skip
    return await store_.read(step_conversation, run, step, attempt)


def _totals(row: Any, replayed: int = 0) -> dict[str, Any]:
    return {"input_tokens": int(row[-4]), "output_tokens": int(row[-3]), "requests": int(row[-2]),
            "cost": float(row[-1]), "replayed": replayed, "estimated": int(row.estimated)}  # fmt: skip


def run_costs(conn: Connection, ref: str) -> RunCostRead:
    """Per step and attempt, in all, and the run's budget (the API's and ``lockgate runs costs --json``'s)."""
    head = find_run(conn, ref)
    steps: dict[str, StepCostRead] = {}
    for row in store.step_totals(conn, head.id):
        cost = AttemptCostRead(attempt=row.attempt, **_totals(row, int(row.replayed or 0)))
        previous = steps.get(row.step_key)
        attempts = [*(previous.attempts if previous else []), cost]
        totals = CostTotals(**{k: sum(getattr(a, k) for a in attempts) for k in CostTotals.model_fields})
        steps[row.step_key] = StepCostRead(step=row.step_key, node_id=row.node_id, totals=totals, attempts=attempts)
    items = list(steps.values())
    totals = CostTotals(**{k: sum(getattr(s.totals, k) for s in items) for k in CostTotals.model_fields})
    budget = store.run_options_of(conn, head.id).budget
    return RunCostRead(run_id=head.id, ref=f"{head.pipeline}/v{head.number}", totals=totals,
                       budget=Budget.model_validate(budget) if budget else None, steps=items)  # fmt: skip


@router.get(f"/runs/{RUN}/costs", summary="What a run's agents cost: per step and attempt, and in all",
            responses=_NOT_FOUND)  # fmt: skip
async def get_run_costs(run: str, store_: StoreDep, _: Viewer) -> RunCostRead:
    return await store_.read(run_costs, run)


def pipeline_costs(conn: Connection, name: str) -> PipelineCostRead:
    listing.live_pipeline(conn, name)
    runs = [RunCostSummary(run_id=r.id, number=r.number, **_totals(r)) for r in store.pipeline_totals(conn, name)]
    totals = CostTotals(**{k: sum(getattr(r, k) for r in runs) for k in CostTotals.model_fields})
    return PipelineCostRead(pipeline=name, totals=totals, runs=runs)


@router.get("/pipelines/{name}/costs", summary="What a pipeline's agents cost: per run, and in all",
            responses=_NOT_FOUND)  # fmt: skip
async def get_pipeline_costs(name: str, store_: StoreDep, _: Viewer) -> PipelineCostRead:
    return await store_.read(pipeline_costs, name)
