"""Routes: a run's progress by node and its steps a window at a time (offsets: a virtual list jumps anywhere)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import Connection

from lockgate.api.deps import MAX_INT, StoreDep, Viewer
from lockgate.api.routes.runs import RUN, linked, run_id_of, run_read, step_fields
from lockgate.api.schemas.progress import NodeProgressRead, RunProgressRead, StepSliceRead, StepSummaryRead
from lockgate.engine import StepStatus
from lockgate.store import children as child_store
from lockgate.store import listing, progress

if TYPE_CHECKING:
    from sqlalchemy import Row

__all__ = ["router"]

router = APIRouter(tags=["runs"])
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such run"}}


def _progress(conn: Connection, ref: str) -> RunProgressRead:
    run_id = run_id_of(conn, ref)
    # the cursor is read before the rows: an event committed in between is streamed again, never missed
    last = progress.last_event_id(conn, run_id)
    nodes = progress.node_progress(conn, run_id)
    reads = [NodeProgressRead(node_id=n.node_id, status=StepStatus(n.status) if n.status else None, items=n.items,
                              counts=n.counts, attempts=n.attempts, started_at=n.started_at,
                              finished_at=n.finished_at) for n in nodes]  # fmt: skip
    total = sum(n.items + (1 if n.status is not None else 0) for n in nodes)
    summary = run_read(listing.run_summary(conn, run_id))
    parent = child_store.parent_ref(conn, run_id)
    return RunProgressRead(run=summary, parent=linked(parent) if parent is not None else None, steps=total,
                           nodes=reads, last_event_id=last)  # fmt: skip


@router.get(f"/runs/{RUN}/progress", summary="The run and, per node, its steps counted by status", responses=_NOT_FOUND)
async def run_progress(run: str, store: StoreDep, _: Viewer) -> RunProgressRead:
    return await store.read(_progress, run)


def _summary(step: Row[Any], tries: list[Row[Any]]) -> StepSummaryRead:
    fields = step_fields(step, tries)
    return StepSummaryRead(**{k: v for k, v in fields.items() if k in StepSummaryRead.model_fields})


@router.get(f"/runs/{RUN}/steps", summary="The run's steps in queue order, a window at a time", responses=_NOT_FOUND)
async def list_steps(
    run: str,
    store: StoreDep,
    _: Viewer,
    node: Annotated[str | None, Query(max_length=63, description="only this node's steps")] = None,
    status: Annotated[StepStatus | None, Query()] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> StepSliceRead:
    def read(conn: Connection) -> StepSliceRead:
        total, rows, tries = progress.step_slice(conn, run_id_of(conn, run), node, status.value if status else None,
                                                 offset, limit)  # fmt: skip
        by_step: dict[str, list[Row[Any]]] = {}
        for attempt in tries:
            by_step.setdefault(attempt.step_key, []).append(attempt)
        return StepSliceRead(total=total, offset=offset, items=[_summary(r, by_step.get(r.key, [])) for r in rows])

    return await store.read(read)
