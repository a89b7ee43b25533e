"""Event schemas: one stored event as the API, the SSE stream and the WebSocket show it, and a page of them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue

__all__ = ["EventPage", "EventRead"]


class EventRead(BaseModel):
    """One row of the append-only event log."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int = Field(description="global, increasing; the resume token (`Last-Event-ID`, `?after=`)")
    run_id: str
    seq: int = Field(description="1, 2, … within the run")
    type: str
    at: datetime
    data: dict[str, JsonValue]


class EventPage(BaseModel):
    """Events after a cursor, in id order; ask again with ``after=next_after`` for more."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    items: list[EventRead]
    next_after: int = Field(description="the id to pass as `after` next time (unchanged when the page is empty)")
