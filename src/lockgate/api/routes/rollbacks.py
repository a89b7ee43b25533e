"""Routes: rollbacks — within a run to a node (archive, reset, run again from there), and of ``latest``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from sqlalchemy import Connection

from lockgate.api.deps import Operator, RuntimeDep, StoreDep, Viewer
from lockgate.api.routes.runs import RUN, run_id_of
from lockgate.api.schemas.rollbacks import (
    ArchivedArtifactRead,
    ArchivedStepRead,
    LatestUpdate,
    RollbackCreate,
    RollbackRead,
)
from lockgate.engine import RunMadeLatest, RunRolledBack
from lockgate.errors import InvalidInputError
from lockgate.runtime.extend import resolve_reference
from lockgate.store import archives, listing
from lockgate.store import pipelines as pipeline_store
from lockgate.store.ids import new_id

if TYPE_CHECKING:
    from sqlalchemy import Row

__all__ = ["rollback_read", "router"]

router = APIRouter(tags=["rollbacks"])
_CONFLICT: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such run (or node)"},
    409: {"description": "not possible in the run's state (e.g. the node never ran, or the run is not succeeded)"},
}


def rollback_read(row: Row[Any]) -> RollbackRead:
    """A ``rollbacks`` row as the API (and ``lockgate runs rollbacks --json``) shows it."""
    return RollbackRead(
        id=row.id, kind=row.kind, pipeline=row.pipeline, run_id=row.run_id, run=f"{row.pipeline}/v{row.run_number}",
        node=row.node_id, by=row.by, reason=row.reason, at=row.at, folder=row.folder,
        steps=[ArchivedStepRead(**s) for s in row.steps], cancelled=row.cancelled,
        artifacts=[ArchivedArtifactRead(id=a["id"], step_key=a["step_key"], attempt=a["attempt"], name=a["name"],
                                        moved_from=a["from"], moved_to=a["to"]) for a in row.artifacts],
        previous_latest=row.previous_latest,
    )  # fmt: skip


def _one(conn: Connection, run_id: str, rollback: str) -> RollbackRead:
    return rollback_read(next(r for r in archives.list_rollbacks(conn, run_id=run_id) if r.id == rollback))


@router.post(
    f"/runs/{RUN}/rollback",
    status_code=201,
    summary="Roll back to a node: its and every downstream step's outputs and artifacts are archived, the steps "
    "reset (running ones cancelled first), and the run goes on from that node",
    responses=_CONFLICT,
)
async def rollback_run(
    run: str, body: RollbackCreate, store: StoreDep, runtime: RuntimeDep, who: Operator
) -> RollbackRead:
    run_id = await store.read(run_id_of, run)
    rollback = new_id()
    await runtime.apply(run_id, RunRolledBack(rollback=rollback, node=body.node, by=who.user, reason=body.reason))
    return await store.read(_one, run_id, rollback)


@router.get(f"/runs/{RUN}/rollbacks", summary="A run's rollbacks, newest first, with what each archived",
            responses={404: {"description": "no such run"}})  # fmt: skip
async def list_run_rollbacks(run: str, store: StoreDep, _: Viewer) -> list[RollbackRead]:
    def read(conn: Connection) -> list[Row[Any]]:
        return archives.list_rollbacks(conn, run_id=run_id_of(conn, run))

    return [rollback_read(r) for r in await store.read(read)]


@router.get("/pipelines/{name}/rollbacks", summary="Every rollback of the pipeline's runs and of its latest run",
            responses={404: {"description": "no such pipeline"}})  # fmt: skip
async def list_pipeline_rollbacks(name: str, store: StoreDep, _: Viewer) -> list[RollbackRead]:
    def read(conn: Connection) -> list[Row[Any]]:
        listing.live_pipeline(conn, name)
        return archives.list_rollbacks(conn, pipeline_id=pipeline_store.get_pipeline(conn, name).id)

    return [rollback_read(r) for r in await store.read(read)]


@router.post(
    "/pipelines/{name}/latest",
    status_code=201,
    summary="Roll back across runs: runs/latest points at an earlier succeeded run (recorded as a rollback)",
    responses=_CONFLICT | {422: {"description": "the run is of another pipeline"}},
)
async def point_latest(
    name: str, body: LatestUpdate, store: StoreDep, runtime: RuntimeDep, who: Operator
) -> RollbackRead:
    def find(conn: Connection) -> str:
        listing.live_pipeline(conn, name)
        head = resolve_reference(conn, name, body.run)
        if head.pipeline != name:
            raise InvalidInputError([f"run: {body.run} is of pipeline {head.pipeline}, not {name}"])
        return head.id

    run_id = await store.read(find)
    rollback = new_id()
    await runtime.apply(run_id, RunMadeLatest(rollback=rollback, by=who.user, reason=body.reason))
    return await store.read(_one, run_id, rollback)
