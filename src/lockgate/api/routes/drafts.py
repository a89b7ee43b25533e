"""Routes: the editor's draft — saved with its problems and pinned outputs, run (whole, from a node, one node)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import JsonValue
from sqlalchemy import Connection

from lockgate.api.deps import Editor, RuntimeDep, StoreDep
from lockgate.api.routes.runs import run_read
from lockgate.api.schemas.drafts import DraftRead, DraftRunCreate, DraftWrite, ProblemRead
from lockgate.api.schemas.runs import RunRead
from lockgate.compile import Plan, compile_loaded
from lockgate.compile.upstream import upstream_spec
from lockgate.errors import SLUG_PATTERN, DefinitionError, DefinitionErrors, InvalidInputError
from lockgate.runtime.starting import ExtendRequest
from lockgate.spec.loading import spec_from_data
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store import listing
from lockgate.store.drafts import DraftRecord, get_draft, save_draft

__all__ = ["router"]

router = APIRouter(prefix="/pipelines", tags=["drafts"])

# A draft may exist before its pipeline: its name is checked as a pipeline's would be
PipelineName = Annotated[str, Path(pattern=SLUG_PATTERN, description="the pipeline's name")]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no draft of this pipeline"}}


def _compile(store: StoreDep, conn: Connection, draft: DraftRecord) -> Plan:
    """The draft as a plan, checked as publishing would check it (credentials granted included)."""
    dirs = store.runtime.settings.script_dirs
    plan = compile_loaded(lambda: spec_from_data(draft.definition), script_dirs=dirs)
    problems = store.runtime.check_credentials(conn, plan.spec)
    if problems:
        raise DefinitionErrors(problems)
    return plan


def _problems(store: StoreDep, conn: Connection, draft: DraftRecord) -> list[DefinitionError]:
    try:
        plan = _compile(store, conn, draft)
    except DefinitionErrors as exc:
        return exc.errors
    return [DefinitionError(f"a pin for {node_id!r}, which is not a node of the draft", node_id, "pin")
            for node_id in draft.pins if node_id not in plan.nodes]  # fmt: skip


def _read(store: StoreDep, conn: Connection, draft: DraftRecord) -> DraftRead:
    problems = [ProblemRead(node_id=p.node_id, field=p.field, message=p.detail) for p in _problems(store, conn, draft)]
    return DraftRead(pipeline=draft.name, definition=draft.definition, pins=draft.pins, author=draft.author,
                     updated_at=draft.updated_at, problems=problems)  # fmt: skip


@router.get("/{name}/draft", summary="The editor's draft, its pins and its problems", responses=_NOT_FOUND)
async def read_draft(name: str, store: StoreDep, _: Editor) -> DraftRead:
    def read(conn: Connection) -> DraftRead:
        return _read(store, conn, get_draft(conn, name))

    return await store.read(read)


@router.put("/{name}/draft", summary="Save the editor's draft: kept even with problems, which are listed")
async def write_draft(name: PipelineName, body: DraftWrite, store: StoreDep, principal: Editor) -> DraftRead:
    named = body.definition.get("name")
    if named is not None and named != name:
        raise InvalidInputError([f"definition.name: {named!r} does not match the URL's {name!r}"])

    def write(conn: Connection) -> DraftRead:
        draft = save_draft(conn, name, body.definition, body.pins, principal.user, store.runtime.clock.now())
        return _read(store, conn, draft)

    return await store.write(write)


@dataclass(frozen=True, slots=True)
class _DraftStart:
    spec: PipelineSpec
    extend: ExtendRequest | None
    pins: dict[str, JsonValue]


def _draft_start(conn: Connection, store: StoreDep, name: str, body: DraftRunCreate) -> _DraftStart:
    """What a draft run runs: the draft (or the part a node needs), extending the last run to take steps over."""
    draft = get_draft(conn, name)
    plan = _compile(store, conn, draft)
    node = body.only or body.start_at
    field = "only" if body.only else "start_at"
    if node is not None and node not in plan.nodes:
        raise InvalidInputError([f"{field}: {node!r} is not a node of the draft"])
    spec = upstream_spec(plan, body.only, "only") if body.only else plan.spec
    last = listing.page_runs(conn, listing.RunFilter(name, drafts=None), None, 1) if node is not None else []
    if body.start_at is not None and not last:
        raise InvalidInputError([f"start_at: {name} has no earlier run to take the steps before {node!r} from"])
    extend = ExtendRequest(last[0].id, node) if last else None
    return _DraftStart(spec, extend, draft.pins)


@router.post(
    "/{name}/draft/runs",
    summary="Run the saved draft (all of it, from a node, or one node alone) as a draft run",
    status_code=201,
    responses={**_NOT_FOUND, 422: {"description": "the draft has problems, or the input is not valid"}},
)
async def run_draft(name: str, store: StoreDep, runtime: RuntimeDep, _: Editor, body: DraftRunCreate) -> RunRead:
    if body.only is not None and body.start_at is not None:
        raise InvalidInputError(["only: give only or start_at, not both"])
    start = await store.read(_draft_start, store, name, body)
    head = await runtime.start_run(start.spec, None, body.input, None, start.extend, draft=True, pins=start.pins)
    return run_read(await store.read(listing.run_summary, head.id))
