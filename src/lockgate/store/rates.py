"""Model profiles' rate limits: requests and tokens sent within a window, counted in the database.

Each admission first locks the profile's row (PostgreSQL; SQLite has one writer), so every server and worker
sharing the database counts the same requests.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from lockgate.store.flow_tables import model_requests, step_waits
from lockgate.store.tables import model_profiles

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Connection

__all__ = ["admit", "clear_wait", "record_wait"]

_SOON = timedelta(milliseconds=20)


def admit(
    conn: Connection, profile: str, limits: tuple[int | None, int | None], tokens: int, now: datetime, window: timedelta
) -> timedelta | None:
    """Count a request of ``tokens`` if it fits ``(requests, tokens)`` per ``window``; else how long to wait."""
    requests_limit, tokens_limit = limits
    if conn.dialect.name != "sqlite":
        conn.execute(select(model_profiles.c.id).where(model_profiles.c.name == profile).with_for_update())
    since = now - window
    conn.execute(delete(model_requests).where(model_requests.c.profile == profile, model_requests.c.at <= since))
    sent = list(conn.execute(select(model_requests.c.at, model_requests.c.tokens)
                             .where(model_requests.c.profile == profile).order_by(model_requests.c.at)))  # fmt: skip
    count, used = len(sent), sum(r.tokens for r in sent)
    for dropped in range(count + 1):  # the earliest moment enough of the oldest requests have left the window
        fits_requests = requests_limit is None or count - dropped < requests_limit
        # a request larger than the whole token limit goes alone
        fits_tokens = tokens_limit is None or used + tokens <= tokens_limit or count == dropped
        if fits_requests and fits_tokens:
            if dropped == 0:
                conn.execute(model_requests.insert().values(profile=profile, at=now, tokens=tokens))
                return None
            wait: timedelta = sent[dropped - 1].at + window - now
            return max(wait, _SOON)
        if dropped < count:
            used -= sent[dropped].tokens
    return _SOON  # not reached: with every request dropped it fits


def record_wait(conn: Connection, run_id: str, step_key: str, attempt: int, reason: str) -> None:
    conn.execute(delete(step_waits).where(step_waits.c.run_id == run_id, step_waits.c.step_key == step_key,
                                          step_waits.c.attempt == attempt))  # fmt: skip
    conn.execute(step_waits.insert().values(run_id=run_id, step_key=step_key, attempt=attempt, reason=reason))


def clear_wait(conn: Connection, run_id: str, step_key: str, attempt: int) -> None:
    conn.execute(delete(step_waits).where(step_waits.c.run_id == run_id, step_waits.c.step_key == step_key,
                                          step_waits.c.attempt == attempt))  # fmt: skip
