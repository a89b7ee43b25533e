"""Routes: runs — start, list, read (with steps, attempts, logs, events), pause, resume, cancel, retry a step."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse
from pydantic import BeforeValidator
from sqlalchemy import Connection
from starlette.convertors import Convertor, register_url_convertor

from lockgate.api.cursors import PositionCursor, decode_position, encode_position
from lockgate.api.deps import MAX_INT, Operator, RuntimeDep, StoreDep, Viewer
from lockgate.api.schemas.runs import (
    AttemptRead,
    ChildRunRef,
    RunCancel,
    RunCreate,
    RunDetail,
    RunEventPage,
    RunEventRead,
    RunPage,
    RunRead,
    StepDetail,
    StepRead,
)
from lockgate.engine import Event, RunCancelled, RunPaused, RunResumed, RunStatus, StepRetryRequested
from lockgate.errors import InvalidInputError, NotFoundError
from lockgate.runtime.starting import ExtendRequest
from lockgate.security.safe_files import open_regular
from lockgate.store import children as child_store
from lockgate.store import listing
from lockgate.store import runs as run_store
from lockgate.store import slots as slot_store
from lockgate.store import tasks as task_store
from lockgate.store.conversations import RunOptions

if TYPE_CHECKING:
    from sqlalchemy import Row

__all__ = ["RUN", "linked", "router", "run_id_of", "run_read", "step_fields"]


class RunRefConvertor(Convertor[str]):
    """A run id, or ``pipeline/vN`` (its one slash is part of the reference)."""

    regex = r"[^/]+(?:/v[0-9]+)?"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("runref", RunRefConvertor())
RUN = "{run:runref}"

router = APIRouter(tags=["runs"])
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_only(value: object) -> object:
    """An ISO 8601 date or date and time: pydantic would also read a number as seconds since 1970 (``until=0.5``)."""
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise ValueError("expected an ISO 8601 date or date and time, such as 2026-12-07 or 2026-12-07T10:00:00Z")
    return value


_ISO_ONLY = BeforeValidator(_iso_only)
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such run (or step)"}}
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "not allowed in the run's current status"},
    **_NOT_FOUND,
}


def _duration(start: datetime | None, end: datetime | None) -> Any:
    return end - start if start is not None and end is not None else None


def run_read(s: listing.RunSummary) -> RunRead:
    extends = f"{s.pipeline}/v{s.extends}" if s.extends is not None else None
    return RunRead(id=s.id, pipeline=s.pipeline, number=s.number, ref=f"{s.pipeline}/v{s.number}", version=s.version,
                   status=RunStatus(s.status), input=s.input, output=s.output, error=s.error, created_at=s.created_at,
                   started_at=s.started_at, finished_at=s.finished_at,
                   duration=_duration(s.started_at, s.finished_at), extends=extends,
                   start_at=s.start_at, wait_reason=s.wait_reason, draft=s.draft,
                   failed_steps=s.failed_steps)  # fmt: skip


def _attempt_read(a: Row[Any]) -> AttemptRead:
    return AttemptRead(number=a.number, status=a.status, worker=a.worker, error=a.error, output=a.output,
                       feedback=a.feedback, code_hash=a.code_hash, archived=a.archived,
                       queued_at=a.queued_at, started_at=a.started_at,
                       finished_at=a.finished_at, duration=_duration(a.started_at, a.finished_at))  # fmt: skip


def step_fields(s: Row[Any], attempts: list[Row[Any]], open_task: str | None = None) -> dict[str, Any]:
    return {"key": s.key, "node_id": s.node_id, "item_index": s.item_index, "status": s.status, "attempt": s.attempt,
            "output": s.output, "error": s.error, "branches": s.branches, "next": s.next,
            "queued_at": s.queued_at, "started_at": s.started_at, "finished_at": s.finished_at,
            "duration": _duration(s.started_at, s.finished_at), "open_task": open_task,
            "attempts": [_attempt_read(a) for a in attempts]}  # fmt: skip


def run_id_of(conn: Connection, ref: str) -> str:
    return run_store.find_run(conn, ref).id


def _detail(conn: Connection, ref: str) -> RunDetail:
    run = listing.run_summary(conn, run_id_of(conn, ref))
    by_step: dict[str, list[Row[Any]]] = {}
    for a in run_store.run_attempts(conn, run.id):
        by_step.setdefault(a.step_key, []).append(a)
    waiting = {
        t.step_key: t.id for t in task_store.page_tasks(conn, task_store.TaskFilter(run_id=run.id), None, 10_000)
    }
    reasons = slot_store.waiting_reasons(conn, run.id)
    children = {c.step_key: linked(c) for c in child_store.children_of(conn, run.id)}  # the latest attempt's last
    steps = [StepRead(**step_fields(s, by_step.get(s.key, []), waiting.get(s.key)), wait_reason=reasons.get(s.key),
                      child_run=children.get(s.key))
             for s in run_store.run_steps(conn, run.id)]  # fmt: skip
    parent = child_store.parent_ref(conn, run.id)
    return RunDetail(**run_read(run).model_dump(), steps=steps, parent=linked(parent) if parent else None)


def linked(ref: child_store.ChildRef) -> ChildRunRef:
    return ChildRunRef(id=ref.run_id, ref=f"{ref.pipeline}/v{ref.number}", status=RunStatus(ref.status),
                       step=ref.step_key, attempt=ref.attempt)  # fmt: skip


@router.post(
    "/pipelines/{name}/runs",
    summary="Start a run of the latest (or a given) version",
    status_code=201,
    responses={404: {"description": "no such pipeline or version"}, 422: {"description": "the input is not valid"}},
)
async def create_run(
    name: str, store: StoreDep, runtime: RuntimeDep, _: Operator, body: RunCreate | None = None
) -> RunRead:
    body = body or RunCreate()
    if body.start_at is not None and body.extend is None:
        raise InvalidInputError(["start_at: only with extend (the run whose steps before it are reused)"])
    options = RunOptions(budget=body.budget.model_dump(exclude_none=True) if body.budget else None,
                         replay_from=await store.read(_replay_source, name, body.replay_from),
                         replay_steps=body.replay_steps)  # fmt: skip
    extend = ExtendRequest(body.extend, body.start_at) if body.extend is not None else None
    head = await runtime.start_run(name, body.version, body.input, options, extend)  # checks the input
    return run_read(await store.read(listing.run_summary, head.id))


def _replay_source(conn: Connection, pipeline: str, ref: str | None) -> str | None:
    return None if ref is None else run_store.replay_source(conn, pipeline, ref, "replay_from")


@router.get("/runs", summary="Runs, newest first, a page at a time", responses={422: {"description": "a bad filter"}})
async def list_runs(
    store: StoreDep,
    _: Viewer,
    pipeline: Annotated[str | None, Query(max_length=63)] = None,
    status: Annotated[RunStatus | None, Query()] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=100, description="a run number (12 or v12), name/v12, part of the pipeline name, an id prefix"
        ),
    ] = None,
    since: Annotated[
        datetime | None, Query(description="created at or after (ISO 8601; no zone: UTC)"), _ISO_ONLY
    ] = None,
    until: Annotated[datetime | None, Query(description="created before (ISO 8601; no zone: UTC)"), _ISO_ONLY] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: PositionCursor = None,
    drafts: Annotated[bool, Query(description="true: only draft runs (from the editor); default: the others")] = False,
) -> RunPage:
    since, until = _utc("since", since), _utc("until", until)
    if since is not None and until is not None and until <= since:
        raise InvalidInputError([f"until: must be later than since ({since:%Y-%m-%d %H:%M:%S} UTC)"])
    found = listing.RunFilter(
        pipeline, status.value if status else None, q.strip() if q else None, since, until, drafts
    )
    after = decode_position(cursor) if cursor else None
    rows = await store.read(listing.page_runs, found, after, limit + 1)
    total = await store.read(listing.count_runs, found)
    items = [run_read(r) for r in rows[:limit]]
    last = encode_position(items[-1].created_at, items[-1].id) if len(rows) > limit else None
    return RunPage(items=items, next_cursor=last, total=total)


def _utc(field: str, at: datetime | None) -> datetime | None:
    """An instant in UTC (no zone given: UTC); one outside the years 1-9999 once in UTC is a 422, not a 500."""
    if at is None:
        return None
    try:
        return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    except OverflowError:
        raise InvalidInputError([f"{field}: {at.isoformat()} is out of range"]) from None


def _step(conn: Connection, ref: str, key: str) -> StepDetail:
    run_id = run_id_of(conn, ref)
    step, attempts = listing.step_attempts(conn, run_id, key)
    reason = slot_store.waiting_reasons(conn, run_id).get(key)
    child = child_store.child_of(conn, run_id, key, step.attempt)
    found = None
    if child is not None and child.child_run_id is not None:
        found = next((c for c in child_store.children_of(conn, run_id) if c.run_id == child.child_run_id), None)
    return StepDetail(run_id=run_id, **step_fields(step, attempts), wait_reason=reason,
                      child_run=linked(found) if found is not None else None)  # fmt: skip


@router.get(f"/runs/{RUN}/steps/{{step}}", summary="One step with its attempts", responses=_NOT_FOUND)
async def get_step(run: str, step: str, store: StoreDep, _: Viewer) -> StepDetail:
    return await store.read(_step, run, step)


def _log_path(conn: Connection, ref: str, key: str, attempt: int | None) -> tuple[str, int, int, str | None]:
    head = run_store.find_run(conn, ref)
    step, attempts = listing.step_attempts(conn, head.id, key)
    number = attempt if attempt is not None else step.attempt
    match = next((a for a in attempts if a.number == number), None)
    if match is None:
        raise NotFoundError("attempt", f"{key}#{number}")
    return head.pipeline, head.number, number, match.log_path


@router.get(
    f"/runs/{RUN}/steps/{{step}}/logs",
    summary="The log of one attempt (default: the latest) as text",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}, **_NOT_FOUND},
)
async def get_step_logs(
    run: str,
    step: str,
    store: StoreDep,
    _: Viewer,
    attempt: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
) -> PlainTextResponse:
    pipeline, number, attempt_number, stored = await store.read(_log_path, run, step, attempt)
    path = Path(stored) if stored else store.runtime.layout.log_path(pipeline, number, step, attempt_number)
    text = _log_text(path)
    # Redacted as written; again as served, of every known secret (a log written before a value was stored).
    return PlainTextResponse((await store.runtime.known_secrets()).text(text) if text else text)


def _log_text(path: Path) -> str:
    """The log, or "" when there is none; a link or FIFO at its name is not followed (read as none)."""
    try:
        with open_regular(path.parent, path.name, one_name=False) as file:
            return file.read().decode(errors="replace")
    except OSError:
        return ""


@router.get(f"/runs/{RUN}/events", summary="The run's history, by sequence number", responses=_NOT_FOUND)
async def list_events(
    run: str,
    store: StoreDep,
    _: Viewer,
    after: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> RunEventPage:
    def read(conn: Connection) -> list[Row[Any]]:
        return listing.page_events(conn, run_id_of(conn, run), after, limit + 1)

    rows = await store.read(read)
    items = [RunEventRead(seq=r.seq, type=r.type, data=r.data, at=r.at) for r in rows[:limit]]
    return RunEventPage(items=items, next_after=items[-1].seq if len(rows) > limit else None)


async def _apply(store: StoreDep, runtime: RuntimeDep, ref: str, event: Event) -> RunRead:
    run_id = await store.read(run_id_of, ref)
    await runtime.apply(run_id, event)
    return run_read(await store.read(listing.run_summary, run_id))


@router.post(f"/runs/{RUN}/pause", summary="Stop dispatching (running steps finish)", responses=_CONFLICT)
async def pause_run(run: str, store: StoreDep, runtime: RuntimeDep, who: Operator) -> RunRead:
    return await _apply(store, runtime, run, RunPaused(by=who.user))


@router.post(f"/runs/{RUN}/resume", summary="Go on after a pause", responses=_CONFLICT)
async def resume_run(run: str, store: StoreDep, runtime: RuntimeDep, who: Operator) -> RunRead:
    return await _apply(store, runtime, run, RunResumed(by=who.user))


@router.post(f"/runs/{RUN}/cancel", summary="Stop running steps and end the run", responses=_CONFLICT)
async def cancel_run(
    run: str, store: StoreDep, runtime: RuntimeDep, who: Operator, body: RunCancel | None = None
) -> RunRead:
    return await _apply(store, runtime, run, RunCancelled(by=who.user, reason=body.reason if body else None))


@router.post(
    f"/runs/{RUN}/steps/{{step}}/retry",
    summary="Run a failed step again (reopens a failed run)",
    responses=_CONFLICT,
)
async def retry_step(run: str, step: str, store: StoreDep, runtime: RuntimeDep, who: Operator) -> RunRead:
    await store.read(_step, run, step)
    return await _apply(store, runtime, run, StepRetryRequested(step=step, by=who.user))


@router.get(f"/runs/{RUN}", summary="One run (id or pipeline/vN) with its steps and attempts", responses=_NOT_FOUND)
async def get_run(run: str, store: StoreDep, _: Viewer) -> RunDetail:
    return await store.read(_detail, run)
