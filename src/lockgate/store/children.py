"""Child runs: the links written with the transition that starts a step's child, and the queries over them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import JsonValue
from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import aliased

from lockgate.errors import ConflictError
from lockgate.store.child_tables import child_runs
from lockgate.store.tables import pipelines, runs, steps

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Connection

    from lockgate.engine.commands import StartChildRun

__all__ = [
    "ChildLink",
    "ChildRef",
    "ChildWrites",
    "Ended",
    "Pending",
    "child_of",
    "children_of",
    "depth_of",
    "descendants",
    "link_child",
    "parent_of",
    "parent_ref",
    "pending",
]

_TERMINAL = ("succeeded", "failed", "cancelled")


@dataclass(frozen=True, slots=True)
class ChildLink:
    """A step's attempt and the child run it asked for (``child_run_id`` None: not started yet)."""

    parent_run_id: str
    step_key: str
    attempt: int
    node_id: str
    pipeline: str
    version: int | None
    input: dict[str, JsonValue]
    depth: int
    child_run_id: str | None


@dataclass(frozen=True, slots=True)
class ChildRef:
    """A linked run as the other end's views show it: the child of a step, or the parent whose step started it."""

    step_key: str
    attempt: int
    run_id: str
    pipeline: str
    number: int
    status: str


@dataclass(frozen=True, slots=True)
class Ended:
    """A child run that ended while its step still runs that attempt: the step has not been told."""

    link: ChildLink
    child: str  # ``pipeline vN``
    status: str
    output: JsonValue
    error: dict[str, JsonValue] | None


@dataclass(frozen=True, slots=True)
class Pending:
    """What recovery finishes: children never started, and ends never told."""

    unstarted: list[ChildLink]
    untold: list[Ended]
    orphans: list[str] = field(default_factory=list)  # children still going whose step no longer runs their attempt


@dataclass
class ChildWrites:
    """The links a batch of transitions asks for, inserted with it."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, command: StartChildRun) -> None:
        self.rows.append(
            {
                "parent_run_id": command.run_id,
                "step_key": command.step,
                "attempt": command.attempt,
                "node_id": command.node_id,
                "pipeline": command.pipeline,
                "version": command.version,
                "input": command.input,
                "child_run_id": None,
                "created_at": command.at,
            }
        )

    def flush(self, conn: Connection) -> None:
        if not self.rows:
            return
        depths: dict[str, int] = {}
        for row in self.rows:
            parent = row["parent_run_id"]
            if parent not in depths:
                depths[parent] = depth_of(conn, parent)
            row["depth"] = depths[parent] + 1
        conn.execute(child_runs.insert(), self.rows)


def _link(row: Any) -> ChildLink:
    return ChildLink(
        row.parent_run_id,
        row.step_key,
        row.attempt,
        row.node_id,
        row.pipeline,
        row.version,
        dict(row.input or {}),
        row.depth,
        row.child_run_id,
    )


def depth_of(conn: Connection, run_id: str) -> int:
    """How deep the run is nested: 0 for a run no step started, 1 for its children, and so on."""
    depth = conn.execute(select(child_runs.c.depth).where(child_runs.c.child_run_id == run_id)).scalar()
    return int(depth or 0)


def link_child(conn: Connection, link: ChildLink, child_run_id: str) -> None:
    """In the transaction creating the child: claim the link, or raise (it has its child) and undo the child."""
    claimed = conn.execute(
        update(child_runs)
        .where(
            child_runs.c.parent_run_id == link.parent_run_id,
            child_runs.c.step_key == link.step_key,
            child_runs.c.attempt == link.attempt,
            child_runs.c.child_run_id.is_(None),
        )
        .values(child_run_id=child_run_id)
    ).rowcount
    if claimed != 1:
        raise ConflictError(
            f"step {link.step_key!r} of run {link.parent_run_id} attempt {link.attempt} already has its child run"
        )


def parent_of(conn: Connection, child_run_id: str) -> ChildLink | None:
    """The link that started this run, if a step started it."""
    row = conn.execute(select(child_runs).where(child_runs.c.child_run_id == child_run_id)).first()
    return None if row is None else _link(row)


def child_of(conn: Connection, run_id: str, step_key: str, attempt: int) -> ChildLink | None:
    row = conn.execute(
        select(child_runs).where(
            child_runs.c.parent_run_id == run_id, child_runs.c.step_key == step_key, child_runs.c.attempt == attempt
        )
    ).first()
    return None if row is None else _link(row)


def _running_step() -> Any:
    return and_(
        steps.c.run_id == child_runs.c.parent_run_id,
        steps.c.key == child_runs.c.step_key,
        steps.c.attempt == child_runs.c.attempt,
        steps.c.status == "running",
    )


def pending(conn: Connection, now: datetime, grace_seconds: float) -> Pending:
    """What recovery finishes for links whose step still runs their attempt.

    Children never started (older than the grace: their starter may still be at it), and children that ended
    without their step being told (an end deferred past its transaction, then lost with its process).
    """
    unstarted = (
        select(child_runs)
        .join(steps, _running_step())
        .where(child_runs.c.child_run_id.is_(None), child_runs.c.created_at < now - timedelta(seconds=grace_seconds))
    )
    child = aliased(runs)
    untold = (
        select(
            child_runs,
            pipelines.c.name.label("child_pipeline"),
            child.c.number.label("child_number"),
            child.c.status.label("child_status"),
            child.c.output.label("child_output"),
            child.c.error.label("child_error"),
        )
        .join(steps, _running_step())
        .join(child, child.c.id == child_runs.c.child_run_id)
        .join(pipelines, pipelines.c.id == child.c.pipeline_id)
        .where(child.c.status.in_(_TERMINAL))
    )
    running_step = select(steps.c.key).where(_running_step())
    orphans = (
        select(child_runs.c.child_run_id)
        .join(runs, runs.c.id == child_runs.c.child_run_id)
        .where(runs.c.status.not_in(_TERMINAL), ~exists(running_step))
    )
    return Pending(
        [_link(row) for row in conn.execute(unstarted.limit(1000))],
        [
            Ended(_link(r), f"{r.child_pipeline} v{r.child_number}", r.child_status, r.child_output, r.child_error)
            for r in conn.execute(untold.limit(1000))
        ],
        [r[0] for r in conn.execute(orphans.limit(1000))],
    )


def descendants(conn: Connection, run_ids: set[str]) -> set[str]:
    """The runs started by these runs' steps, and by theirs, and so on."""
    found: set[str] = set()
    frontier = set(run_ids)
    while frontier:
        rows = conn.execute(
            select(child_runs.c.child_run_id).where(
                child_runs.c.parent_run_id.in_(sorted(frontier)), child_runs.c.child_run_id.is_not(None)
            )
        )
        frontier = {r[0] for r in rows} - found - run_ids
        found |= frontier
    return found


def children_of(conn: Connection, run_id: str) -> list[ChildRef]:
    """The runs this run's steps started, by step and attempt."""
    stmt = (
        select(child_runs.c.step_key, child_runs.c.attempt, runs.c.id, pipelines.c.name, runs.c.number, runs.c.status)
        .join(runs, runs.c.id == child_runs.c.child_run_id)
        .join(pipelines, pipelines.c.id == runs.c.pipeline_id)
        .where(child_runs.c.parent_run_id == run_id)
        .order_by(child_runs.c.created_at, child_runs.c.step_key, child_runs.c.attempt)
    )
    return [ChildRef(*row) for row in conn.execute(stmt)]


def parent_ref(conn: Connection, run_id: str) -> ChildRef | None:
    """The run (and step, attempt) that started this run, if a step did."""
    stmt = (
        select(child_runs.c.step_key, child_runs.c.attempt, runs.c.id, pipelines.c.name, runs.c.number, runs.c.status)
        .join(runs, runs.c.id == child_runs.c.parent_run_id)
        .join(pipelines, pipelines.c.id == runs.c.pipeline_id)
        .where(child_runs.c.child_run_id == run_id)
    )
    row = conn.execute(stmt).first()
    return None if row is None else ChildRef(*row)
