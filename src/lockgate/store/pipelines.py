"""Pipelines and their immutable, content-hashed versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select, update

from lockgate.errors import NotFoundError
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.ids import new_id
from lockgate.store.tables import pipeline_versions, pipelines

__all__ = ["PipelineRecord", "VersionRecord", "get_pipeline", "get_version", "list_pipelines", "save_version"]


@dataclass(frozen=True, slots=True)
class VersionRecord:
    id: str
    pipeline_id: str
    pipeline: str
    number: int
    hash: str
    definition: dict[str, Any]
    created_at: datetime
    created: bool  # False when an identical version already existed

    def spec(self) -> PipelineSpec:
        return PipelineSpec.model_validate(self.definition)


@dataclass(frozen=True, slots=True)
class PipelineRecord:
    id: str
    name: str
    description: str | None
    latest_version: int
    created_at: datetime
    updated_at: datetime


def _pipeline(row: Row[Any]) -> PipelineRecord:
    return PipelineRecord(row.id, row.name, row.description, row.latest_version, row.created_at, row.updated_at)


def save_version(
    conn: Connection,
    spec: PipelineSpec,
    now: datetime,
    *,
    author: str | None = None,
    message: str | None = None,
    draft: bool = False,
) -> VersionRecord:
    """The version for this definition: the existing one with the same hash, else a new number.

    A ``draft`` version (what a draft run ran) is numbered apart and never moves the pipeline's latest version.
    """
    digest = spec.content_hash()
    row = conn.execute(select(pipelines).where(pipelines.c.name == spec.name)).first()
    if row is None:
        pipeline_id = new_id()
        conn.execute(
            pipelines.insert().values(id=pipeline_id, name=spec.name, description=spec.description,
                                      latest_version=0, next_run_number=1, created_at=now, updated_at=now)
        )  # fmt: skip
        latest = 0
    else:
        pipeline_id, latest = row.id, row.latest_version
        existing = conn.execute(
            select(pipeline_versions).where(
                pipeline_versions.c.pipeline_id == pipeline_id,
                pipeline_versions.c.draft.is_(draft),
                pipeline_versions.c.hash == digest,
            )
        ).first()
        if existing is not None:
            return _version(existing, spec.name, created=False)
    version_id = new_id()
    definition = spec.model_dump(mode="json", exclude_defaults=True)
    if draft:
        number = _last_draft_number(conn, pipeline_id) + 1
        conn.execute(
            pipeline_versions.insert().values(id=version_id, pipeline_id=pipeline_id, number=number, hash=digest,
                                              definition=definition, created_at=now, draft=True, author=author)
        )  # fmt: skip
        return VersionRecord(version_id, pipeline_id, spec.name, number, digest, definition, now, created=True)
    conn.execute(
        pipeline_versions.insert().values(id=version_id, pipeline_id=pipeline_id, number=latest + 1, hash=digest,
                                          definition=definition, created_at=now, author=author, message=message)
    )  # fmt: skip
    conn.execute(
        update(pipelines)
        .where(pipelines.c.id == pipeline_id)
        .values(latest_version=latest + 1, updated_at=now, description=spec.description, archived_at=None)
    )
    return VersionRecord(version_id, pipeline_id, spec.name, latest + 1, digest, definition, now, created=True)


def _last_draft_number(conn: Connection, pipeline_id: str) -> int:
    last = conn.execute(
        select(func.max(pipeline_versions.c.number)).where(
            pipeline_versions.c.pipeline_id == pipeline_id, pipeline_versions.c.draft.is_(True)
        )
    ).scalar()
    return int(last or 0)


def _version(row: Row[Any], name: str, *, created: bool) -> VersionRecord:
    return VersionRecord(row.id, row.pipeline_id, name, row.number, row.hash, row.definition, row.created_at, created)


def get_version(conn: Connection, version_id: str) -> VersionRecord:
    row = conn.execute(
        select(pipeline_versions, pipelines.c.name)
        .join(pipelines, pipelines.c.id == pipeline_versions.c.pipeline_id)
        .where(pipeline_versions.c.id == version_id)
    ).first()
    if row is None:
        raise NotFoundError("pipeline version", version_id)
    return _version(row, row.name, created=False)


def get_pipeline(conn: Connection, name_or_id: str) -> PipelineRecord:
    row = conn.execute(
        select(pipelines).where((pipelines.c.name == name_or_id) | (pipelines.c.id == name_or_id))
    ).first()
    if row is None:
        raise NotFoundError("pipeline", name_or_id)
    return _pipeline(row)


def list_pipelines(conn: Connection) -> list[PipelineRecord]:
    rows = conn.execute(select(pipelines).where(pipelines.c.archived_at.is_(None)).order_by(pipelines.c.name))
    return [_pipeline(r) for r in rows]
