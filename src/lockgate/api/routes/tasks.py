"""Routes: human tasks — the inbox, one task to review, and the answers (approve, submit, revise, reject).

Reading needs the viewer role. Answering needs the operator role and being among the task's assignees
(user names or ``role:<role>``, that role or a higher one; no assignees: any operator); admins may answer
any task. Every answer is applied as a ``human_task_answered`` event and recorded in ``human_interactions``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Query
from sqlalchemy import Connection

from lockgate.api.cursors import PositionCursor, decode_position, encode_position
from lockgate.api.deps import Operator, RuntimeDep, StoreDep, Viewer
from lockgate.api.routes.artifacts import artifact_read
from lockgate.api.routes.runs import RUN, run_id_of, step_fields
from lockgate.api.schemas.runs import StepRead
from lockgate.api.schemas.tasks import (
    InteractionRead,
    TaskApprove,
    TaskDetail,
    TaskPage,
    TaskRead,
    TaskReject,
    TaskRevise,
    TaskStatus,
    TaskSubmit,
)
from lockgate.api.uploads import stage_uploads
from lockgate.engine import HumanTaskAnswered, TaskAction, TaskPurpose
from lockgate.engine.tasks import refused_answer
from lockgate.errors import NotFoundError, PermissionDeniedError, TaskAnswerError, TaskClosedError
from lockgate.security.api_keys import Role
from lockgate.spec.forms import FormField
from lockgate.spec.policies import ASSIGNEE_ROLES
from lockgate.store import listing
from lockgate.store import tasks as task_store

if TYPE_CHECKING:
    from sqlalchemy import Row

    from lockgate.store.auth import Principal

__all__ = ["may_answer", "router"]

router = APIRouter(tags=["human tasks"])
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such human task"}}
_ANSWER: dict[int | str, dict[str, Any]] = {
    403: {"description": "the caller is not among the task's assignees (or is a viewer)"},
    409: {"description": "the task is not open any more, or does not take this answer now"},
    **_NOT_FOUND,
}


def _principals(principal: Principal) -> list[str] | None:
    """What the caller matches among assignees; None for an admin (every task)."""
    if principal.role is Role.ADMIN:
        return None
    if not principal.role.allows(Role.OPERATOR):
        return []  # a viewer answers nothing
    return task_store.principals_of(principal.user, [r for r in ASSIGNEE_ROLES if principal.role.allows(Role(r))])


def may_answer(principal: Principal, assignees: list[str]) -> bool:
    mine = _principals(principal)
    return mine is None or bool(set(mine) & set(task_store.task_principals(assignees)))


def _read(row: Row[Any], principal: Principal) -> dict[str, Any]:
    return {"id": row.id, "status": TaskStatus(row.status), "purpose": TaskPurpose(row.purpose), "title": row.title,
            "pipeline": row.pipeline, "run_id": row.run_id, "run": f"{row.pipeline}/v{row.run_number}",
            "step": row.step_key, "node_id": row.node_id, "item_index": row.item_index, "attempt": row.attempt,
            "actions": [TaskAction(a) for a in row.actions] if row.status == "open" else [],
            "revisions": row.revisions, "max_revisions": row.max_revisions, "assignees": row.assignees,
            "can_answer": row.status == "open" and may_answer(principal, row.assignees),
            "run_paused": row.status == "open" and row.run_status == "paused",
            "created_at": row.created_at, "deadline_at": row.deadline_at, "closed_at": row.closed_at,
            "closed_by": row.closed_by}  # fmt: skip


def _interaction(r: Row[Any]) -> InteractionRead:
    return InteractionRead(id=r.id, task_id=r.task_id, step=r.step_key, attempt=r.attempt, action=TaskAction(r.action),
                           by=r.by, at=r.at, values=r.values, feedback=r.feedback)  # fmt: skip


@router.get(
    "/tasks",
    summary="The inbox: human tasks, oldest first, a page at a time",
    responses={404: {"description": "the run or pipeline the filter names does not exist"}},
)
async def list_tasks(
    store: StoreDep,
    who: Viewer,
    status: Annotated[TaskStatus | Literal["any"], Query(description="default: open")] = TaskStatus.OPEN,
    assigned: Annotated[
        Literal["me", "any"], Query(description="me: only tasks the caller may answer; any: every task (read)")
    ] = "me",
    pipeline: Annotated[str | None, Query(max_length=63)] = None,
    run: Annotated[str | None, Query(max_length=100, description="a run id or pipeline/vN")] = None,
    step: Annotated[str | None, Query(max_length=200, description="a step (and its map items)")] = None,
    purpose: Annotated[TaskPurpose | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: PositionCursor = None,
) -> TaskPage:
    after = decode_position(cursor) if cursor else None
    principals = _principals(who) if assigned == "me" else None

    def read(conn: Connection) -> tuple[list[Row[Any]], int]:
        run_id = run_id_of(conn, run) if run is not None else None
        found = task_store.TaskFilter(status=None if status == "any" else status, pipeline=pipeline, run_id=run_id,
                                      step=step, purpose=purpose, principals=principals)  # fmt: skip
        return task_store.page_tasks(conn, found, after, limit + 1), task_store.count_tasks(conn, found)

    rows, total = ([], 0) if principals == [] else await store.read(read)
    items = [TaskRead(**_read(r, who)) for r in rows[:limit]]
    last = encode_position(items[-1].created_at, items[-1].id) if len(rows) > limit else None
    return TaskPage(items=items, next_cursor=last, total=total)


def _detail(conn: Connection, task_id: str, who: Principal) -> TaskDetail:
    row = task_store.get_task(conn, task_id)
    try:
        step, attempts = listing.step_attempts(conn, row.run_id, row.step_key)
        open_task = row.id if row.status == "open" else None
        step_detail: StepRead | None = StepRead(**step_fields(step, attempts, open_task))
    except NotFoundError:  # a rollback took the step out; the task stays on record
        step_detail = None
    artifacts = [artifact_read(a) for a in listing.run_artifacts(conn, row.run_id, row.step_key)]
    interactions = [_interaction(i) for i in task_store.interactions(conn, row.run_id, row.step_key)]
    output = step_detail.output if step_detail and row.purpose == TaskPurpose.APPROVE_COMPLETE.value else None
    form = [FormField.model_validate(f) for f in row.form] if row.form is not None else None
    return TaskDetail(**_read(row, who), instructions=row.instructions, context=row.context, form=form,
                      values=row.prefill, revision_feedback=row.revision_feedback, answer=row.answer,
                      comment=row.comment, output=output, step_detail=step_detail, artifacts=artifacts,
                      interactions=interactions)  # fmt: skip


@router.get(
    "/tasks/{task_id}", summary="One task: what it asks, the output and artifacts to review", responses=_NOT_FOUND
)
async def get_task(task_id: str, store: StoreDep, who: Viewer) -> TaskDetail:
    return await store.read(_detail, task_id, who)


def _may_answer(row: Row[Any], who: Principal, action: TaskAction) -> None:
    if not may_answer(who, row.assignees):
        raise PermissionDeniedError(f"{who.user} is not among the assignees of task {row.id}: {row.assignees}")
    if row.status != "open":
        raise TaskClosedError(row.id)
    if action.value not in row.actions:
        fields = [str(f["name"]) for f in row.form or []]
        raise TaskAnswerError(refused_answer(row.id, action, TaskPurpose(row.purpose), row.actions, fields))


async def _answer(
    store: StoreDep,
    runtime: RuntimeDep,
    who: Principal,
    task_id: str,
    action: TaskAction,
    values: dict[str, Any] | None = None,
    feedback: str | None = None,
) -> TaskDetail:
    row = await store.read(task_store.get_task, task_id)  # the id may be a unique prefix: row.id is the whole one
    _may_answer(row, who, action)
    event = HumanTaskAnswered(task=row.id, step=row.step_key, action=action, by=who.user, values=values,
                              feedback=feedback)  # fmt: skip
    await runtime.apply(row.run_id, event)
    return await store.read(_detail, row.id, who)


@router.post("/tasks/{task_id}/approve", summary="Approve: the step starts, or its attempt counts as done",
             responses=_ANSWER)  # fmt: skip
async def approve_task(
    task_id: str, store: StoreDep, runtime: RuntimeDep, who: Operator, body: TaskApprove | None = None
) -> TaskDetail:
    return await _answer(store, runtime, who, task_id, TaskAction.APPROVE, feedback=body.comment if body else None)


@router.post("/tasks/{task_id}/revise", summary="Request a revision: the step runs again and sees the feedback",
             responses=_ANSWER)  # fmt: skip
async def revise_task(
    task_id: str, body: TaskRevise, store: StoreDep, runtime: RuntimeDep, who: Operator
) -> TaskDetail:
    return await _answer(store, runtime, who, task_id, TaskAction.REVISE, feedback=body.feedback)


@router.post("/tasks/{task_id}/reject", summary="Reject: the step fails (error kind rejected); on_error decides",
             responses=_ANSWER)  # fmt: skip
async def reject_task(
    task_id: str, store: StoreDep, runtime: RuntimeDep, who: Operator, body: TaskReject | None = None
) -> TaskDetail:
    return await _answer(store, runtime, who, task_id, TaskAction.REJECT, feedback=body.reason if body else None)


@router.post(
    "/tasks/{task_id}/submit",
    summary="Submit a form: the values are checked field by field (422 names each bad field; nothing changes)",
    responses={422: {"description": "field-level errors: errors[].field is values.<name>"}, **_ANSWER},
)
async def submit_task(
    task_id: str, body: TaskSubmit, store: StoreDep, runtime: RuntimeDep, who: Operator
) -> TaskDetail:
    row = await store.read(task_store.get_task, task_id)
    _may_answer(row, who, TaskAction.SUBMIT)  # before the values are checked against a form it may not have
    form = [FormField.model_validate(f) for f in row.form or []]
    folder = store.runtime.layout.pipeline_dir(row.pipeline)
    async with stage_uploads(folder, row.id, form, body.values) as values:
        return await _answer(store, runtime, who, row.id, TaskAction.SUBMIT, values=values, feedback=body.comment)


@router.get(f"/runs/{RUN}/interactions", summary="Every answer given on the run's tasks: who, when, what",
            responses={404: {"description": "no such run"}})  # fmt: skip
async def list_interactions(
    run: str,
    store: StoreDep,
    _: Viewer,
    step: Annotated[str | None, Query(max_length=200)] = None,
) -> list[InteractionRead]:
    def read(conn: Connection) -> list[Row[Any]]:
        return task_store.interactions(conn, run_id_of(conn, run), step)

    return [_interaction(r) for r in await store.read(read)]
