"""Identifiers: 32 hex characters, time-ordered so that ids sort like their creation; and short ids, as git's."""

from __future__ import annotations

import os
import re
import time
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import select

from lockgate.errors import AmbiguousIdError, NotFoundError

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import InstrumentedAttribute
    from sqlalchemy.sql.elements import ColumnElement

__all__ = ["ID_LENGTH", "MIN_PREFIX", "RunRef", "new_id", "run_ref", "unique_prefix"]

ID_LENGTH = 32
MIN_PREFIX = 4  # as git: shorter is more likely a slip than a choice
_PREFIX = re.compile(rf"[0-9a-f]{{{MIN_PREFIX},{ID_LENGTH - 1}}}")
_CANDIDATES = 5  # shown in the error when a prefix starts several ids


# ``name/v12`` as the CLI and the API print it; ``name:12`` and ``name@v12`` too (what people type).
_RUN_REF = re.compile(r"^(?P<pipeline>[a-z][a-z0-9_-]{0,62})[/:@]v?(?P<number>[0-9]{1,9})$")


class RunRef(NamedTuple):
    pipeline: str
    number: int


def run_ref(text: str) -> RunRef | None:
    """A run named by its pipeline and number, or None when ``text`` is not written that way."""
    match = _RUN_REF.match(text)
    return None if match is None else RunRef(match["pipeline"], int(match["number"]))


def new_id() -> str:
    # 48 bits of milliseconds, then 80 random bits (UUIDv7's idea) as plain hex.
    return f"{int(time.time() * 1000):012x}{os.urandom(10).hex()}"


def unique_prefix(
    conn: Connection, column: ColumnElement[str] | InstrumentedAttribute[str], kind: str, prefix: str
) -> str:
    """The one id in ``column`` that starts with ``prefix``, for a caller whose exact lookup found none.

    Raises:
        NotFoundError: ``prefix`` is not 4 to 31 lowercase hex characters, or starts no id.
        AmbiguousIdError: it starts several ids (a few of them listed).
    """
    if _PREFIX.fullmatch(prefix) is None:
        raise NotFoundError(kind, prefix)
    # ids are lowercase hex, so every id starting with the prefix sorts below prefix + "g": a range the primary
    # key's index serves on both dialects; the LIKE (no wildcard can be in hex) keeps any collation exact.
    stmt = (
        select(column)
        .where(column >= prefix, column < prefix + "g", column.startswith(prefix))
        .order_by(column)
        .limit(_CANDIDATES + 1)
    )
    found = list(conn.execute(stmt).scalars())
    if not found:
        raise NotFoundError(kind, prefix)
    if len(found) > 1:
        raise AmbiguousIdError(kind, prefix, found[:_CANDIDATES], more=len(found) > _CANDIDATES)
    return found[0]
