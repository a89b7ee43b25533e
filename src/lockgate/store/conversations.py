"""Agent conversations: turns (histories), exchanges (answers: spend and recording), budget holds, run options.

An exchange is one model answer: its tokens and price are what the run spent, its response is what a replay
answers with. A hold is what a request in flight may still spend. Run options set a run's budget and the run
it replays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, case, delete, func, or_, select

from lockgate.store.budget_tables import budget_holds, run_options
from lockgate.store.ids import new_id
from lockgate.store.tables import agent_exchanges, agent_turns, attempts, pipelines, runs, steps

if TYPE_CHECKING:
    from datetime import datetime

    from pydantic import JsonValue
    from sqlalchemy import Row

__all__ = [
    "RunOptions",
    "Totals",
    "add_exchange",
    "add_hold",
    "add_turn",
    "attempt_turns",
    "held",
    "latest_turns_before",
    "pipeline_totals",
    "recorded_responses",
    "release_hold",
    "run_options_of",
    "save_run_options",
    "spent",
    "step_totals",
    "usage_breakdown",
]


@dataclass(frozen=True, slots=True)
class Totals:
    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0
    cost: float = 0.0

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, slots=True)
class RunOptions:
    budget: dict[str, Any] | None = None
    replay_from: str | None = None
    replay_steps: list[str] | None = None
    pins: dict[str, Any] | None = None  # a draft run's pinned outputs by node id


def save_run_options(conn: Connection, run_id: str, options: RunOptions) -> None:
    conn.execute(run_options.insert().values(run_id=run_id, budget=options.budget, replay_from=options.replay_from,
                                             replay_steps=options.replay_steps, pins=options.pins))  # fmt: skip


def run_options_of(conn: Connection, run_id: str) -> RunOptions:
    row = conn.execute(select(run_options).where(run_options.c.run_id == run_id)).first()
    if row is None:
        return RunOptions()
    return RunOptions(row.budget, row.replay_from, row.replay_steps, row.pins)


def add_turn(conn: Connection, values: dict[str, Any], now: datetime) -> None:
    conn.execute(agent_turns.insert().values(id=new_id(), **values, created_at=now))


def add_exchange(conn: Connection, values: dict[str, Any], now: datetime) -> None:
    conn.execute(agent_exchanges.insert().values(id=new_id(), **values, created_at=now))


def add_hold(conn: Connection, values: dict[str, Any], now: datetime) -> str:
    hold_id = new_id()
    conn.execute(budget_holds.insert().values(id=hold_id, **values, created_at=now))
    return hold_id


def release_hold(conn: Connection, hold_id: str) -> None:
    conn.execute(delete(budget_holds).where(budget_holds.c.id == hold_id))


_SUMS = (
    func.coalesce(func.sum(agent_exchanges.c.input_tokens), 0),
    func.coalesce(func.sum(agent_exchanges.c.output_tokens), 0),
    func.count(),
    func.coalesce(func.sum(agent_exchanges.c.cost), 0.0),
)


_ESTIMATED = func.coalesce(func.sum(case((agent_exchanges.c.estimated, 1), else_=0)), 0).label("estimated")


def spent(conn: Connection, run_id: str, node_id: str | None = None) -> Totals:
    """What the run's (or one node's) model requests cost; replayed answers cost nothing."""
    stmt = select(*_SUMS).where(agent_exchanges.c.run_id == run_id, agent_exchanges.c.replayed.is_(False))
    if node_id is not None:
        stmt = stmt.where(agent_exchanges.c.node_id == node_id)
    row = conn.execute(stmt).one()
    return Totals(int(row[0]), int(row[1]), int(row[2]), float(row[3]))


def held(conn: Connection, run_id: str, node_id: str | None = None) -> Totals:
    """What requests in flight may still spend: holds of attempts still open (a dead attempt's holds lapse)."""
    open_attempt = and_(
        attempts.c.run_id == budget_holds.c.run_id,
        attempts.c.step_key == budget_holds.c.step_key,
        attempts.c.number == budget_holds.c.attempt,
        or_(attempts.c.status == "queued", attempts.c.status == "running"),
    )
    stmt = (
        select(func.coalesce(func.sum(budget_holds.c.tokens), 0), func.count(),
               func.coalesce(func.sum(budget_holds.c.cost), 0.0))
        .select_from(budget_holds.join(attempts, open_attempt))
        .where(budget_holds.c.run_id == run_id)
    )  # fmt: skip
    if node_id is not None:
        stmt = stmt.where(budget_holds.c.node_id == node_id)
    row = conn.execute(stmt).one()
    return Totals(int(row[0]), 0, int(row[1]), float(row[2]))


def recorded_responses(conn: Connection, run_id: str, step_key: str, member: str) -> list[JsonValue]:
    """The member's answers in the final attempt of the step in ``run_id``, in order (what a replay answers)."""
    final = select(steps.c.attempt).where(steps.c.run_id == run_id, steps.c.key == step_key).scalar_subquery()
    rows = conn.execute(
        select(agent_exchanges.c.response)
        .where(agent_exchanges.c.run_id == run_id, agent_exchanges.c.step_key == step_key,
               agent_exchanges.c.attempt == final, agent_exchanges.c.member == member)
        .order_by(agent_exchanges.c.number)
    )  # fmt: skip
    return [r.response for r in rows]


def recorded_histories(conn: Connection, run_id: str, step_key: str, member: str) -> list[JsonValue]:
    """The member's turn histories in the final attempt of the step in ``run_id`` (the tool answers a replay gives)."""
    final = select(steps.c.attempt).where(steps.c.run_id == run_id, steps.c.key == step_key).scalar_subquery()
    rows = conn.execute(
        select(agent_turns.c.messages)
        .where(agent_turns.c.run_id == run_id, agent_turns.c.step_key == step_key, agent_turns.c.attempt == final,
               agent_turns.c.member == member)
        .order_by(agent_turns.c.position)
    )  # fmt: skip
    return [r.messages for r in rows]


def attempt_turns(conn: Connection, run_id: str, step_key: str, attempt: int | None = None) -> list[Row[Any]]:
    """Turns of a step (one attempt, or all), in attempt and position order."""
    stmt = select(agent_turns).where(agent_turns.c.run_id == run_id, agent_turns.c.step_key == step_key)
    if attempt is not None:
        stmt = stmt.where(agent_turns.c.attempt == attempt)
    return list(conn.execute(stmt.order_by(agent_turns.c.attempt, agent_turns.c.position)))


def latest_turns_before(conn: Connection, run_id: str, step_key: str, attempt: int) -> list[Row[Any]]:
    """The turns of the latest attempt before ``attempt`` that has any."""
    latest = conn.execute(
        select(func.max(agent_turns.c.attempt)).where(agent_turns.c.run_id == run_id,
                                                      agent_turns.c.step_key == step_key,
                                                      agent_turns.c.attempt < attempt)
    ).scalar()  # fmt: skip
    return attempt_turns(conn, run_id, step_key, int(latest)) if latest is not None else []


def step_totals(conn: Connection, run_id: str) -> list[Row[Any]]:
    """Per step and attempt: tokens, requests and cost (what the run spent, attempt by attempt)."""
    stmt = (
        select(agent_exchanges.c.step_key, agent_exchanges.c.node_id, agent_exchanges.c.attempt, _ESTIMATED,
               func.sum(case((agent_exchanges.c.replayed, 1), else_=0)).label("replayed"), *_SUMS)
        .where(agent_exchanges.c.run_id == run_id)
        .group_by(agent_exchanges.c.step_key, agent_exchanges.c.node_id, agent_exchanges.c.attempt)
        .order_by(agent_exchanges.c.step_key, agent_exchanges.c.attempt)
    )  # fmt: skip
    return list(conn.execute(stmt))


def usage_breakdown(conn: Connection, run_id: str) -> list[Row[Any]]:
    """Per step, member, model and whether replayed: tokens, requests and cost (every attempt together)."""
    ex = agent_exchanges.c
    stmt = (
        select(ex.step_key, ex.node_id, ex.member, ex.model, ex.replayed, _ESTIMATED, *_SUMS)
        .where(ex.run_id == run_id)
        .group_by(ex.step_key, ex.node_id, ex.member, ex.model, ex.replayed)
        .order_by(ex.step_key, ex.member, ex.model)
    )
    return list(conn.execute(stmt))


def pipeline_totals(conn: Connection, pipeline: str) -> list[Row[Any]]:
    """Per run of a pipeline: its number and what its agents spent (replayed answers excluded)."""
    stmt = (
        select(runs.c.id, runs.c.number, _ESTIMATED, *_SUMS)
        .select_from(agent_exchanges.join(runs, runs.c.id == agent_exchanges.c.run_id)
                     .join(pipelines, pipelines.c.id == runs.c.pipeline_id))
        .where(pipelines.c.name == pipeline, agent_exchanges.c.replayed.is_(False))
        .group_by(runs.c.id, runs.c.number)
        .order_by(runs.c.number)
    )  # fmt: skip
    return list(conn.execute(stmt))
