"""Cron schedules: fire times in a time zone (DST-correct) and which firings are due after a pause.

A *slot* is a fire time of the cron expression in the schedule's zone (croniter; a 6th field is seconds).
A slot ``t`` is **on time** while ``now - t <= grace(t)``, where ``grace(t)`` is the slot's period (the gap
to the slot after it) clamped to [``MIN_GRACE``, ``MAX_GRACE``]: a scheduler that ticks every second and a
process restarting quickly still fire every slot, while a slot older than that was **missed** (downtime).

Given the last slot already considered (``last_fire_at``, or the schedule's creation time) and ``now``:

- on-time slots always fire, each once (the store's primary key enforces once across processes);
- ``skip``: missed slots fire nothing; the schedule resumes at its next slot;
- ``catch_up``: exactly one run stands for all the missed slots (the latest missed one), then it resumes.

Either way the new ``last_fire_at`` is the newest slot at or before ``now``, so nothing is considered twice.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "MAX_GRACE",
    "MIN_GRACE",
    "Due",
    "MissedPolicy",
    "due_firings",
    "fire_times",
    "next_fire_time",
    "parse_timezone",
    "previous_fire_time",
    "validate_cron",
]

MIN_GRACE = timedelta(seconds=5)
MAX_GRACE = timedelta(seconds=60)
_TICK = timedelta(microseconds=1)


class MissedPolicy(StrEnum):
    SKIP = "skip"
    CATCH_UP = "catch_up"


@dataclass(frozen=True, slots=True)
class Due:
    fire: tuple[datetime, ...]  # slots to fire now, oldest first (UTC)
    last: datetime | None  # the new last_fire_at (None: nothing new)


def validate_cron(expression: str) -> str:
    """The expression, or ValueError: 5 fields (minute … weekday) or 6 (… seconds last)."""
    from croniter import croniter  # imported with the first schedule, not by every server start

    fields = expression.split()
    if len(fields) not in (5, 6) or not croniter.is_valid(expression):
        raise ValueError(f"not a valid cron expression (5 fields, or 6 with seconds last): {expression!r}")
    try:
        croniter(expression).get_next(datetime)
    except ValueError:
        raise ValueError(f"this cron expression never fires: {expression!r}") from None
    return " ".join(fields)


def parse_timezone(name: str) -> ZoneInfo:
    """An IANA zone, or ValueError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"not an IANA time zone: {name!r}") from None


def _slots(cron: str, tz: ZoneInfo, start: datetime, *, forward: bool) -> Iterator[datetime]:
    """Slots from ``start`` (exclusive) onward or backward, in UTC.

    DST: a wall time that falls in a spring-forward gap fires at the first instant after the gap (croniter's
    rule); when clocks fall back, a schedule with a fixed hour fires in the first of the two repeated hours
    only, while one whose hour field is ``*`` fires in every real hour.
    """
    from croniter import croniter

    it = croniter(cron, start.astimezone(tz))
    fixed_hour = cron.split()[1] != "*"
    while True:
        local: datetime = it.get_next(datetime) if forward else it.get_prev(datetime)
        if fixed_hour and local.astimezone(UTC).astimezone(tz).fold == 1:
            continue  # the repeated hour after falling back: this wall time already fired
        yield local.astimezone(UTC)


def next_fire_time(cron: str, tz: ZoneInfo, after: datetime) -> datetime:
    """The first slot strictly after ``after`` (UTC)."""
    return next(_slots(cron, tz, after, forward=True))


def previous_fire_time(cron: str, tz: ZoneInfo, at: datetime) -> datetime:
    """The last slot at or before ``at`` (UTC)."""
    return next(_slots(cron, tz, at + _TICK, forward=False))


def fire_times(cron: str, tz: ZoneInfo, after: datetime, until: datetime) -> list[datetime]:
    """Every slot in (``after``, ``until``], oldest first (UTC)."""
    return list(itertools.takewhile(lambda t: t <= until, _slots(cron, tz, after, forward=True)))


def _grace(cron: str, tz: ZoneInfo, slot: datetime) -> timedelta:
    period = next_fire_time(cron, tz, slot) - slot
    return max(MIN_GRACE, min(period, MAX_GRACE))


def due_firings(cron: str, tz: ZoneInfo, since: datetime, now: datetime, missed: MissedPolicy) -> Due:
    """What to fire at ``now`` when every slot up to ``since`` was already considered (module docstring)."""
    latest = previous_fire_time(cron, tz, now)
    if latest <= since:
        return Due((), None)
    # only slots in the last MAX_GRACE can be on time: a long pause never makes this walk long
    horizon = now - MAX_GRACE - _TICK
    window = fire_times(cron, tz, max(since, horizon), now)
    on_time = [t for t in window if now - t <= _grace(cron, tz, t)]
    late = [t for t in window if t not in on_time]
    if not late and since < horizon:
        older = previous_fire_time(cron, tz, horizon)
        if older > since:
            late = [older]
    fire = on_time
    if missed is MissedPolicy.CATCH_UP and late:
        fire = sorted([late[-1], *on_time])
    return Due(tuple(fire), latest)
