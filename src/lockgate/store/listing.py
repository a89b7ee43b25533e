"""Queries behind the API's lists and details: pages by keyset cursor, versions, events, artifacts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, and_, func, or_, select, update

from lockgate.errors import NotFoundError
from lockgate.store.ids import run_ref, unique_prefix
from lockgate.store.tables import artifacts, attempts, events, pipeline_versions, pipelines, runs, steps

__all__ = [
    "PipelineSummary",
    "RunFilter",
    "RunSummary",
    "archive_pipeline",
    "count_pipelines",
    "count_runs",
    "find_artifact",
    "live_pipeline",
    "mark_template",
    "page_events",
    "page_pipelines",
    "page_runs",
    "run_artifacts",
    "run_summary",
    "step_attempts",
    "template_pipelines",
    "unarchive_pipeline",
    "version_by_number",
    "versions_of",
]


@dataclass(frozen=True, slots=True)
class PipelineSummary:
    name: str
    description: str | None
    latest_version: int
    created_at: datetime
    updated_at: datetime
    last_run_number: int | None
    last_run_status: str | None
    latest_run: int | None = None
    template: bool = False  # offered by New pipeline as a starting point


@dataclass(frozen=True, slots=True)
class RunSummary:
    id: str
    pipeline: str
    number: int
    version: int
    status: str
    input: Any
    output: Any
    error: Any
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    extends: int | None = None  # the number of the run this one extends
    start_at: str | None = None
    wait_reason: str | None = None  # why a queued run waits (flow control)
    draft: bool = False  # started from the editor's draft
    failed_steps: int = 0  # steps that failed (under on_error: continue a run may still succeed)


def _last_run(column: Any) -> Any:
    # The (pipeline_id, number) unique index answers this per pipeline without a scan.
    return (
        select(column)
        .where(runs.c.pipeline_id == pipelines.c.id, runs.c.draft.is_(False))  # a draft run is the editor's
        .order_by(runs.c.number.desc())
        .limit(1)
    ).scalar_subquery()


def _name_like(q: str) -> ColumnElement[bool]:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return pipelines.c.name.ilike(f"%{escaped}%", escape="\\")


def page_pipelines(conn: Connection, q: str | None, after: str | None, limit: int) -> list[PipelineSummary]:
    """Live pipelines by name, after the name ``after``; ``q`` matches part of the name."""
    stmt = select(
        pipelines, _last_run(runs.c.number).label("last_number"), _last_run(runs.c.status).label("last_status")
    ).where(pipelines.c.archived_at.is_(None))
    if q:
        stmt = stmt.where(_name_like(q))
    if after is not None:
        stmt = stmt.where(pipelines.c.name > after)
    rows = conn.execute(stmt.order_by(pipelines.c.name).limit(limit))
    return [
        PipelineSummary(
            r.name, r.description, r.latest_version, r.created_at, r.updated_at, r.last_number, r.last_status,
            r.latest_run, bool(r.template),
        )
        for r in rows
    ]  # fmt: skip


def count_pipelines(conn: Connection, q: str | None) -> int:
    """How many live pipelines ``page_pipelines`` pages through (the unique name index answers it)."""
    stmt = select(func.count()).select_from(pipelines).where(pipelines.c.archived_at.is_(None))
    if q:
        stmt = stmt.where(_name_like(q))
    return int(conn.execute(stmt).scalar_one())


def live_pipeline(conn: Connection, name: str) -> PipelineSummary:
    """A pipeline that is not archived, by name; NotFoundError otherwise."""
    stmt = select(
        pipelines, _last_run(runs.c.number).label("last_number"), _last_run(runs.c.status).label("last_status")
    ).where(pipelines.c.name == name, pipelines.c.archived_at.is_(None))
    r = conn.execute(stmt).first()
    if r is None:
        raise NotFoundError("pipeline", name)
    return PipelineSummary(r.name, r.description, r.latest_version, r.created_at, r.updated_at, r.last_number,
                           r.last_status, r.latest_run, bool(r.template))  # fmt: skip


def _pipeline_id(conn: Connection, name: str) -> str:
    row = conn.execute(
        select(pipelines.c.id).where(pipelines.c.name == name, pipelines.c.archived_at.is_(None))
    ).first()
    if row is None:
        raise NotFoundError("pipeline", name)
    return str(row.id)


def archive_pipeline(conn: Connection, name: str, now: datetime) -> None:
    pipeline_id = _pipeline_id(conn, name)
    conn.execute(update(pipelines).where(pipelines.c.id == pipeline_id).values(archived_at=now, updated_at=now))


def mark_template(conn: Connection, name: str, template: bool) -> None:
    pipeline_id = _pipeline_id(conn, name)
    conn.execute(update(pipelines).where(pipelines.c.id == pipeline_id).values(template=template))


def template_pipelines(conn: Connection) -> list[Row[Any]]:
    """Live pipelines marked as templates with a published version: name, description, latest definition."""
    stmt = (
        select(pipelines.c.name, pipelines.c.description, pipeline_versions.c.definition)
        .join(pipeline_versions, pipeline_versions.c.pipeline_id == pipelines.c.id)
        .where(
            pipelines.c.template.is_(True),
            pipelines.c.archived_at.is_(None),
            pipeline_versions.c.draft.is_(False),
            pipeline_versions.c.number == pipelines.c.latest_version,
        )
        .order_by(pipelines.c.name)
    )
    return list(conn.execute(stmt))


def unarchive_pipeline(conn: Connection, name: str) -> None:
    conn.execute(update(pipelines).where(pipelines.c.name == name).values(archived_at=None))


def versions_of(conn: Connection, name: str) -> list[Row[Any]]:
    pipeline_id = _pipeline_id(conn, name)
    stmt = (
        select(
            pipeline_versions.c.number,
            pipeline_versions.c.hash,
            pipeline_versions.c.created_at,
            pipeline_versions.c.author,
            pipeline_versions.c.message,
        )
        .where(pipeline_versions.c.pipeline_id == pipeline_id, pipeline_versions.c.draft.is_(False))
        .order_by(pipeline_versions.c.number.desc())
    )
    return list(conn.execute(stmt))


def version_by_number(conn: Connection, name: str, number: int | None) -> Row[Any]:
    """A version of a live pipeline (the latest when ``number`` is None)."""
    pipeline_id = _pipeline_id(conn, name)
    stmt = select(pipeline_versions).where(
        pipeline_versions.c.pipeline_id == pipeline_id, pipeline_versions.c.draft.is_(False)
    )
    if number is None:
        stmt = stmt.order_by(pipeline_versions.c.number.desc()).limit(1)
    else:
        stmt = stmt.where(pipeline_versions.c.number == number)
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFoundError("pipeline version", f"{name}/{number}")
    return row


_EXTENDED = runs.alias("extended")
_RUN = (
    select(
        runs,
        pipelines.c.name,
        pipeline_versions.c.number.label("version"),
        select(_EXTENDED.c.number).where(_EXTENDED.c.id == runs.c.extends_run_id).scalar_subquery().label("extends"),
        # per listed row (after the page's limit), through the partial index ix_steps_failed
        select(func.count())
        .where(steps.c.run_id == runs.c.id, steps.c.status == "failed")
        .scalar_subquery()
        .label("failed_steps"),
    )
    .join(pipelines, pipelines.c.id == runs.c.pipeline_id)
    .join(pipeline_versions, pipeline_versions.c.id == runs.c.version_id)
)


def _summary(r: Row[Any]) -> RunSummary:
    return RunSummary(r.id, r.name, r.number, r.version, r.status, r.input, r.output, r.error, r.created_at,
                      r.started_at, r.finished_at, r.extends, r.start_at,
                      r.wait_reason if r.status == "queued" else None, bool(r.draft), int(r.failed_steps))  # fmt: skip


def run_summary(conn: Connection, run_id: str) -> RunSummary:
    row = conn.execute(_RUN.where(runs.c.id == run_id)).first()
    if row is None:
        raise NotFoundError("run", run_id)
    return _summary(row)


@dataclass(frozen=True, slots=True)
class RunFilter:
    """What a run list keeps: one pipeline, one status, a search, created in [since, until)."""

    pipeline: str | None = None
    status: str | None = None
    q: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    drafts: bool | None = False  # False: draft runs (the editor's) left out; True: only them; None: both


_NUMBER = re.compile(r"^v?([0-9]{1,9})$")


def _search(q: str) -> ColumnElement[bool]:
    """A run number (``12``, ``v12``), a reference (``name/v12``), else part of the pipeline name or an id prefix."""
    if number := _NUMBER.match(q):
        return runs.c.number == int(number[1])
    # pipeline ids by subquery, not a join: the count then reads the runs table (and its indexes) alone
    if ref := run_ref(q):
        named = select(pipelines.c.id).where(pipelines.c.name == ref.pipeline).scalar_subquery()
        return and_(runs.c.pipeline_id == named, runs.c.number == ref.number)
    like = select(pipelines.c.id).where(_name_like(q))
    return or_(runs.c.pipeline_id.in_(like), runs.c.id.startswith(q.lower(), autoescape=True))


def _filtered_runs(conn: Connection, stmt: Select[Any], f: RunFilter) -> Select[Any] | None:
    """``stmt`` narrowed by ``f``; None when the named pipeline does not exist."""
    if f.drafts is not None:
        stmt = stmt.where(runs.c.draft.is_(f.drafts))
    if f.pipeline is not None:
        row = conn.execute(select(pipelines.c.id).where(pipelines.c.name == f.pipeline)).first()
        if row is None:
            return None
        stmt = stmt.where(runs.c.pipeline_id == row.id)
    if f.status is not None:
        stmt = stmt.where(runs.c.status == f.status)
    if f.q:
        stmt = stmt.where(_search(f.q))
    if f.since is not None:
        stmt = stmt.where(runs.c.created_at >= f.since)
    if f.until is not None:
        stmt = stmt.where(runs.c.created_at < f.until)
    return stmt


def page_runs(conn: Connection, f: RunFilter, after: tuple[datetime, str] | None, limit: int) -> list[RunSummary]:
    """Newest first by (created_at, id): keyset pages served by ix_runs_created / ix_runs_pipeline_created."""
    stmt = _filtered_runs(conn, _RUN, f)
    if stmt is None:
        return []
    if after is not None:
        at, run_id = after
        stmt = stmt.where(or_(runs.c.created_at < at, and_(runs.c.created_at == at, runs.c.id < run_id)))
    stmt = stmt.order_by(runs.c.created_at.desc(), runs.c.id.desc()).limit(limit)
    return [_summary(r) for r in conn.execute(stmt)]


def count_runs(conn: Connection, f: RunFilter) -> int:
    """How many runs ``page_runs`` pages through: a COUNT over the same indexed filters."""
    stmt = _filtered_runs(conn, select(func.count()).select_from(runs), f)
    return 0 if stmt is None else int(conn.execute(stmt).scalar_one())


def step_attempts(conn: Connection, run_id: str, step_key: str) -> tuple[Row[Any], list[Row[Any]]]:
    step = conn.execute(select(steps).where(steps.c.run_id == run_id, steps.c.key == step_key)).first()
    if step is None:
        raise NotFoundError("step", step_key)
    stmt = (
        select(attempts).where(attempts.c.run_id == run_id, attempts.c.step_key == step_key).order_by(attempts.c.number)
    )
    return step, list(conn.execute(stmt))


def page_events(conn: Connection, run_id: str, after: int, limit: int) -> list[Row[Any]]:
    stmt = (
        select(events.c.seq, events.c.type, events.c.data, events.c.at)
        .where(events.c.run_id == run_id, events.c.seq > after)
        .order_by(events.c.seq)
        .limit(limit)
    )
    return list(conn.execute(stmt))


def run_artifacts(
    conn: Connection,
    run_id: str,
    step: str | None,
    attempt: int | None = None,
    archived: bool | None = None,
    name: str | None = None,
) -> list[Row[Any]]:
    """A run's artifacts by step, newest attempt first, then by name."""
    stmt = select(artifacts).where(artifacts.c.run_id == run_id)
    if step is not None:
        stmt = stmt.where(or_(artifacts.c.step_key == step, artifacts.c.step_key.like(f"{step}[%")))
    if attempt is not None:
        stmt = stmt.where(artifacts.c.attempt == attempt)
    if archived is not None:
        stmt = stmt.where(artifacts.c.archived.is_(archived))
    if name is not None:
        stmt = stmt.where(artifacts.c.name == name)
    order = (artifacts.c.step_key, artifacts.c.attempt.desc(), artifacts.c.name, artifacts.c.created_at.desc())
    return list(conn.execute(stmt.order_by(*order)))


def find_artifact(conn: Connection, artifact_id: str) -> Row[Any]:
    """The artifact row with its pipeline's name and run number (where its run folder is); a unique prefix does."""
    stmt = (
        select(artifacts, pipelines.c.name.label("pipeline"), runs.c.number.label("run_number"))
        .join(runs, runs.c.id == artifacts.c.run_id)
        .join(pipelines, pipelines.c.id == runs.c.pipeline_id)
    )
    row = conn.execute(stmt.where(artifacts.c.id == artifact_id)).first()
    if row is None:
        whole = unique_prefix(conn, artifacts.c.id, "artifact", artifact_id)
        row = conn.execute(stmt.where(artifacts.c.id == whole)).first()
    if row is None:
        raise NotFoundError("artifact", artifact_id)
    return row
