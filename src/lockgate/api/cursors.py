"""Page cursors: every string their documented pattern admits is a place in the order, so none is refused.

A page ends on a row; the next page starts after it. For pipelines (by name) the cursor is the last name;
for runs and tasks (by creation, then id) it is ``<microseconds since 1970>-<id>``. A cursor the API did
not give is still a place (an empty page, or the rows after it): no cursor the OpenAPI document allows
is answered with 422.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Query

from lockgate.errors import SLUG_PATTERN

__all__ = ["NameCursor", "PositionCursor", "decode_position", "encode_position"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# 16 digits reach the year 2286; ids are lowercase hex (store/ids.py).
_POSITION = r"^([0-9]{1,16})-([0-9a-f]{1,64})$"
_NAME = SLUG_PATTERN

NameCursor = Annotated[str | None, Query(description="next_cursor of the previous page", pattern=_NAME)]
PositionCursor = Annotated[str | None, Query(description="next_cursor of the previous page", pattern=_POSITION)]


def encode_position(at: datetime, row_id: str) -> str:
    return f"{(at - _EPOCH) // _MICROSECOND}-{row_id}"


def decode_position(cursor: str) -> tuple[datetime, str]:
    """(created at, id) of a cursor that matched the pattern (FastAPI checked it)."""
    match = re.match(_POSITION, cursor)
    if match is None:  # FastAPI checked the pattern: only a direct call gets here
        raise ValueError(f"not a cursor: {cursor!r}")
    return _EPOCH + int(match[1]) * _MICROSECOND, match[2]
