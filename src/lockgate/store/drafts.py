"""The editor's draft of a pipeline: its definition as last saved (problems and all) and its pinned outputs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import JsonValue
from sqlalchemy import select

from lockgate.errors import NotFoundError
from lockgate.store.tables import pipeline_drafts
from lockgate.store.upsert import upsert

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = ["DraftRecord", "get_draft", "save_draft"]


@dataclass(frozen=True, slots=True)
class DraftRecord:
    name: str
    definition: dict[str, Any]  # as the editor sent it: not necessarily a valid pipeline
    pins: dict[str, JsonValue]  # node id -> the output a draft run takes instead of running the node
    author: str | None
    updated_at: datetime


def save_draft(
    conn: Connection,
    name: str,
    definition: dict[str, Any],
    pins: dict[str, JsonValue],
    author: str | None,
    now: datetime,
) -> DraftRecord:
    """Replace the draft of ``name`` (one per pipeline: the editor's working copy)."""
    row = {"name": name, "definition": definition, "pins": pins, "author": author, "updated_at": now}
    upsert(conn, pipeline_drafts, [row], ["name"])
    return DraftRecord(name, definition, pins, author, now)


def get_draft(conn: Connection, name: str) -> DraftRecord:
    row = conn.execute(select(pipeline_drafts).where(pipeline_drafts.c.name == name)).first()
    if row is None:
        raise NotFoundError("draft", name)
    return DraftRecord(row.name, row.definition, row.pins, row.author, row.updated_at)
