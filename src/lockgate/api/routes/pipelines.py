"""Routes: pipelines — definitions saved as content-hashed versions, listed, diffed, validated, archived."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

import yaml
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import JsonValue
from sqlalchemy import Connection

from lockgate.api.cursors import NameCursor
from lockgate.api.deps import MAX_INT, Editor, StoreDep, Viewer
from lockgate.api.openapi import DEFINITION_BODY
from lockgate.api.schemas.pipelines import (
    PipelineDiffRead,
    PipelinePage,
    PipelineRead,
    PipelineValidationRead,
    PipelineVersionDetail,
    PipelineVersionRead,
)
from lockgate.compile import compile_text
from lockgate.errors import DefinitionError, DefinitionErrors
from lockgate.spec import PipelineSpec
from lockgate.store import listing
from lockgate.store import triggers as trigger_store
from lockgate.store.pipelines import save_version
from lockgate.triggers.schedule import next_fire_time, parse_timezone

__all__ = ["router"]

router = APIRouter(prefix="/pipelines", tags=["pipelines"])

_ERRORS: dict[int | str, dict[str, Any]] = {422: {"description": "the definition has problems, each listed"}}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such pipeline (or version)"}}
_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")


def _definition_body() -> dict[str, Any]:
    # Titled so that api/openapi.py moves it (and its $defs) into the document's components; filled there.
    schema = DEFINITION_BODY
    text = {"schema": {"type": "string", "description": "the definition as YAML (or JSON) text"}}
    return {
        "requestBody": {
            "required": True,
            "description": "a pipeline definition: a JSON object, or YAML/JSON text",
            "content": {"application/json": {"schema": schema}, **dict.fromkeys(_YAML_TYPES, text)},
        }
    }


async def _read_spec(request: Request, store: StoreDep) -> PipelineSpec:
    """The definition in the body: JSON by default, YAML when the content type says so.

    Checked as this server would run it: a script's ``config.file`` must lie in a folder its settings allow.
    """
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    raw = await request.body()
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise DefinitionErrors([DefinitionError("the body is not UTF-8 text")]) from None
    fmt = "yaml" if content_type in _YAML_TYPES else "json"
    return compile_text(text, fmt, script_dirs=store.runtime.settings.script_dirs).spec


def _version_read(record: Any, author: str | None, message: str | None) -> PipelineVersionRead:
    return PipelineVersionRead(pipeline=record.pipeline, number=record.number, hash=record.hash,
                               created_at=record.created_at, created=record.created, author=author,
                               message=message)  # fmt: skip


Message = Annotated[
    str | None, Query(max_length=2000, description="what this version changes, kept with it (as a commit message)")
]


async def _save(
    store: StoreDep, spec: PipelineSpec, response: Response, author: str, message: str | None
) -> PipelineVersionRead:
    def save(conn: Connection) -> PipelineVersionRead:
        problems = store.runtime.check_credentials(conn, spec)  # an editor names only what an admin granted
        problems += store.runtime.check_subpipelines(conn, spec)
        if problems:
            raise DefinitionErrors(problems)
        record = save_version(conn, spec, store.runtime.clock.now(), author=author, message=message or None)
        listing.unarchive_pipeline(conn, spec.name)
        if not record.created:  # an identical version exists: its author and message stand
            row = listing.version_by_number(conn, spec.name, record.number)
            return _version_read(record, row.author, row.message)
        return _version_read(record, author, message or None)

    version = await store.write(save)
    response.status_code = 201 if version.created else 200
    return version


@router.post(
    "",
    summary="Save a definition as a new version (200 with created=false when identical content exists)",
    status_code=201,
    openapi_extra=_definition_body(),
    responses={200: {"model": PipelineVersionRead, "description": "an identical version exists"}, **_ERRORS},
)
async def create_pipeline(
    request: Request, response: Response, store: StoreDep, principal: Editor, message: Message = None
) -> PipelineVersionRead:
    return await _save(store, await _read_spec(request, store), response, principal.user, message)


@router.post(
    "/validate",
    summary="Check a definition without saving it",
    openapi_extra=_definition_body(),
    responses=_ERRORS,
)
async def validate_pipeline(request: Request, store: StoreDep, _: Viewer) -> PipelineValidationRead:
    """Also checks agent steps' models, credentials' grants, and the pipelines sub-pipeline steps call.

    A model is a model profile or LOCKGATE_MODEL; a called pipeline must exist, take the input given, close no
    cycle and nest within LOCKGATE_SUBPIPELINE_MAX_DEPTH.
    """
    spec = await _read_spec(request, store)
    problems = await store.read(store.runtime.check_models, spec)
    problems += await store.read(store.runtime.check_credentials, spec)
    problems += await store.read(store.runtime.check_subpipelines, spec)
    if problems:
        raise DefinitionErrors(problems)
    return PipelineValidationRead(valid=True, nodes=len(spec.nodes), edges=len(spec.edges))


def _pipeline_read(s: listing.PipelineSummary, next_run_at: dict[str, datetime]) -> PipelineRead:
    return PipelineRead(name=s.name, description=s.description, latest_version=s.latest_version,
                        created_at=s.created_at, updated_at=s.updated_at, last_run_number=s.last_run_number,
                        last_run_status=s.last_run_status, latest_run=s.latest_run,
                        next_run_at=next_run_at.get(s.name), template=s.template)  # fmt: skip


def _next_runs(conn: Connection, now: datetime) -> dict[str, datetime]:
    """The next firing per pipeline over its enabled schedules (few: one read of them all)."""
    soonest: dict[str, datetime] = {}
    for schedule in trigger_store.enabled_schedules(conn):
        at = next_fire_time(schedule.cron, parse_timezone(schedule.timezone), now)
        if schedule.pipeline not in soonest or at < soonest[schedule.pipeline]:
            soonest[schedule.pipeline] = at
    return soonest


@router.get("", summary="Pipelines by name, a page at a time")
async def list_pipelines(
    store: StoreDep,
    _: Viewer,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: NameCursor = None,
    q: Annotated[str | None, Query(max_length=63, description="part of the name")] = None,
) -> PipelinePage:
    rows = await store.read(listing.page_pipelines, q, cursor, limit + 1)
    next_runs = await store.read(_next_runs, store.runtime.clock.now())
    total = await store.read(listing.count_pipelines, q)
    items = [_pipeline_read(r, next_runs) for r in rows[:limit]]
    return PipelinePage(items=items, next_cursor=items[-1].name if len(rows) > limit else None, total=total)


@router.get("/{name}", summary="One pipeline", responses=_NOT_FOUND)
async def get_pipeline(name: str, store: StoreDep, _: Viewer) -> PipelineRead:
    summary = await store.read(listing.live_pipeline, name)
    return _pipeline_read(summary, await store.read(_next_runs, store.runtime.clock.now()))


@router.put(
    "/{name}",
    summary="Save a new version of this pipeline (the name in the body must match)",
    status_code=201,
    openapi_extra=_definition_body(),
    responses={200: {"model": PipelineVersionRead, "description": "an identical version exists"}, **_ERRORS},
)
async def update_pipeline(
    name: str, request: Request, response: Response, store: StoreDep, principal: Editor, message: Message = None
) -> PipelineVersionRead:
    spec = await _read_spec(request, store)
    if spec.name != name:
        raise DefinitionErrors([DefinitionError(f"the name {spec.name!r} does not match the URL's {name!r}",
                                                field="name")])  # fmt: skip
    await store.read(listing.live_pipeline, name)
    return await _save(store, spec, response, principal.user, message)


@router.delete("/{name}", summary="Archive: hidden from the list, its runs kept", status_code=204,
               responses=_NOT_FOUND)  # fmt: skip
async def archive_pipeline(name: str, store: StoreDep, _: Editor) -> Response:
    await store.write(listing.archive_pipeline, name, store.runtime.clock.now())
    return Response(status_code=204)


@router.get("/{name}/versions", summary="Versions, newest first", responses=_NOT_FOUND)
async def list_versions(name: str, store: StoreDep, _: Viewer) -> list[PipelineVersionRead]:
    rows = await store.read(listing.versions_of, name)
    return [PipelineVersionRead(pipeline=name, number=r.number, hash=r.hash, created_at=r.created_at, author=r.author,
                                message=r.message) for r in rows]  # fmt: skip


def _detail(name: str, row: Any) -> PipelineVersionDetail:
    return PipelineVersionDetail(pipeline=name, number=row.number, hash=row.hash, created_at=row.created_at,
                                 author=row.author, message=row.message, definition=row.definition)  # fmt: skip


@router.get("/{name}/versions/{number}", summary="One version with its definition", responses=_NOT_FOUND)
async def get_version(
    name: str, number: Annotated[int, Path(ge=1, le=MAX_INT)], store: StoreDep, _: Viewer
) -> PipelineVersionDetail:
    return _detail(name, await store.read(listing.version_by_number, name, number))


@router.get("/{name}/diff", summary="What changed between two versions", responses=_NOT_FOUND)
async def diff_versions(
    name: str,
    store: StoreDep,
    _: Viewer,
    from_: Annotated[int, Query(alias="from", ge=1, le=MAX_INT)],
    to: Annotated[int, Query(ge=1, le=MAX_INT)],
) -> PipelineDiffRead:
    old = await store.read(listing.version_by_number, name, from_)
    new = await store.read(listing.version_by_number, name, to)
    return PipelineDiffRead.between(name, (from_, to), old.definition, new.definition)


@router.get(
    "/{name}/export",
    summary="The latest definition as YAML or JSON text",
    response_class=Response,
    responses={200: {"content": {"application/yaml": {}, "application/json": {}}}, **_NOT_FOUND},
)
async def export_pipeline(
    name: str,
    store: StoreDep,
    _: Viewer,
    format: Annotated[Literal["yaml", "json"], Query()] = "yaml",
    version: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
) -> Response:
    row = await store.read(listing.version_by_number, name, version)
    definition: JsonValue = row.definition
    if format == "json":
        return Response(json.dumps(definition, indent=2), media_type="application/json")
    return Response(yaml.safe_dump(definition, sort_keys=False), media_type="application/yaml")
