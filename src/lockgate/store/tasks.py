"""Human tasks: rows written with the transition that opens or closes them, and the inbox queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, Select, and_, bindparam, exists, func, or_, select, update

from lockgate.engine.commands import CloseHumanTask, OpenHumanTask, TaskOutcome
from lockgate.store.ids import new_id, unique_prefix
from lockgate.store.tables import human_interactions, human_task_assignees, human_tasks, pipelines, runs

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

__all__ = [
    "ANY_OPERATOR",
    "TaskFilter",
    "TaskWrites",
    "count_tasks",
    "get_task",
    "interactions",
    "page_tasks",
    "principals_of",
    "task_principals",
]

ANY_OPERATOR = "*"  # a task without assignees: any operator (or higher) may answer
_ACTION = {TaskOutcome.APPROVED: "approve", TaskOutcome.SUBMITTED: "submit",
           TaskOutcome.REVISION_REQUESTED: "revise", TaskOutcome.REJECTED: "reject"}  # fmt: skip


def task_principals(assignees: Iterable[str]) -> list[str]:
    """``alice`` → ``user:alice``; ``role:editor`` stays; none at all → ``*``."""
    out = [a if a.startswith("role:") else f"user:{a}" for a in assignees]
    return sorted(set(out)) or [ANY_OPERATOR]


def principals_of(user: str, roles: Sequence[str]) -> list[str]:
    """What a caller matches: their name, each role they hold or outrank, and ``*``."""
    return [ANY_OPERATOR, f"user:{user}", *(f"role:{r}" for r in roles)]


@dataclass
class TaskWrites:
    """What a batch of transitions writes about human tasks, in the order tasks open, close and are answered."""

    opened: list[dict[str, Any]] = field(default_factory=list)
    assignees: list[dict[str, Any]] = field(default_factory=list)
    closed: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)

    def open(self, command: OpenHumanTask) -> None:
        self.opened.append({
            "id": command.task, "run_id": command.run_id, "step_key": command.step, "node_id": command.node_id,
            "item_index": command.item_index, "attempt": command.attempt, "number": command.number,
            "purpose": command.purpose.value, "status": "open", "title": command.title,
            "instructions": command.instructions, "context": command.context, "form": command.form,
            "prefill": command.values, "revision_feedback": command.feedback,
            "actions": [a.value for a in command.actions], "revisions": command.revisions,
            "max_revisions": command.max_revisions, "assignees": command.assignees, "created_at": command.opened_at,
            "deadline_at": command.deadline_at,
        })  # fmt: skip
        self.assignees += [{"task_id": command.task, "principal": p} for p in task_principals(command.assignees)]

    def close(self, command: CloseHumanTask, at: datetime) -> None:
        self.closed.append({"b_id": command.task, "status": command.outcome.value, "closed_at": at,
                            "closed_by": command.by, "answer": command.values,
                            "comment": command.feedback})  # fmt: skip
        action = _ACTION.get(command.outcome)
        if action is not None:  # a cancellation is nobody's answer
            self.answers.append({"id": new_id(), "task_id": command.task, "run_id": command.run_id,
                                 "step_key": command.step, "attempt": command.attempt, "action": action,
                                 "by": command.by, "values": command.values, "feedback": command.feedback,
                                 "at": at})  # fmt: skip

    def flush(self, conn: Connection) -> None:
        if self.opened:
            conn.execute(human_tasks.insert(), self.opened)
            conn.execute(human_task_assignees.insert(), self.assignees)
        if self.closed:
            stmt = update(human_tasks).where(human_tasks.c.id == bindparam("b_id"), human_tasks.c.status == "open")
            conn.execute(stmt, self.closed)
        if self.answers:
            conn.execute(human_interactions.insert(), self.answers)


# ---- reading -----------------------------------------------------------------------------------------------

_TASK = (
    select(
        human_tasks,
        pipelines.c.name.label("pipeline"),
        runs.c.number.label("run_number"),
        runs.c.status.label("run_status"),
    )
    .join(runs, runs.c.id == human_tasks.c.run_id)
    .join(pipelines, pipelines.c.id == runs.c.pipeline_id)
)


@dataclass(frozen=True, slots=True)
class TaskFilter:
    status: str | None = "open"  # None: every status
    pipeline: str | None = None
    run_id: str | None = None
    step: str | None = None
    purpose: str | None = None
    principals: Sequence[str] | None = None  # None: every task (an admin, or a read-only listing)


def _filtered(f: TaskFilter) -> Select[Any]:
    stmt = _TASK
    if f.status is not None:
        stmt = stmt.where(human_tasks.c.status == f.status)
    if f.pipeline is not None:
        stmt = stmt.where(pipelines.c.name == f.pipeline)
    if f.run_id is not None:
        stmt = stmt.where(human_tasks.c.run_id == f.run_id)
    if f.step is not None:
        stmt = stmt.where(or_(human_tasks.c.step_key == f.step, human_tasks.c.step_key.like(f"{f.step}[%")))
    if f.purpose is not None:
        stmt = stmt.where(human_tasks.c.purpose == f.purpose)
    if f.principals is not None:
        stmt = stmt.where(
            exists().where(
                human_task_assignees.c.task_id == human_tasks.c.id,
                human_task_assignees.c.principal.in_(list(f.principals)),
            )
        )
    return stmt


def page_tasks(conn: Connection, f: TaskFilter, after: tuple[datetime, str] | None, limit: int) -> list[Row[Any]]:
    """Oldest first (the inbox is a queue), a page at a time by (created_at, id)."""
    stmt = _filtered(f)
    if after is not None:
        at, task = after
        stmt = stmt.where(
            or_(human_tasks.c.created_at > at, and_(human_tasks.c.created_at == at, human_tasks.c.id > task))
        )
    return list(conn.execute(stmt.order_by(human_tasks.c.created_at, human_tasks.c.id).limit(limit)))


def count_tasks(conn: Connection, f: TaskFilter) -> int:
    """How many tasks ``page_tasks`` pages through (the inbox badge shows this, not a page's length)."""
    return int(conn.execute(select(func.count()).select_from(_filtered(f).subquery())).scalar_one())


def get_task(conn: Connection, task_id: str) -> Row[Any]:
    """A task by its id or a unique prefix of it (``row.id`` is the whole id)."""
    row = conn.execute(_TASK.where(human_tasks.c.id == task_id)).first()
    if row is None:
        whole = unique_prefix(conn, human_tasks.c.id, "human task", task_id)
        row = conn.execute(_TASK.where(human_tasks.c.id == whole)).one()
    return row


def interactions(conn: Connection, run_id: str, step: str | None = None) -> list[Row[Any]]:
    stmt = select(human_interactions).where(human_interactions.c.run_id == run_id)
    if step is not None:
        stmt = stmt.where(human_interactions.c.step_key == step)
    return list(conn.execute(stmt.order_by(human_interactions.c.at, human_interactions.c.id)))
