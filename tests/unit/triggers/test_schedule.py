"""Cron slots in a zone (DST) and the missed-slot policies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lockgate.triggers.schedule import (
    MAX_GRACE,
    MissedPolicy,
    due_firings,
    fire_times,
    next_fire_time,
    parse_timezone,
    previous_fire_time,
    validate_cron,
)

UTC_ZONE = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
T0 = datetime(2026, 1, 1, tzinfo=UTC)

instants = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime(2030, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
crons = st.sampled_from(["* * * * *", "*/5 * * * *", "30 2 * * *", "0 9 * * 1-5", "* * * * * */7", "0 0 1 * *"])
zones = st.sampled_from([UTC_ZONE, BERLIN, NEW_YORK, ZoneInfo("Australia/Lord_Howe")])


def test_validate_cron() -> None:
    assert validate_cron("*/5  *  * * *") == "*/5 * * * *"
    assert validate_cron("* * * * * *") == "* * * * * *"
    for bad in ["61 * * * *", "bad", "* * * *", "* * * * * * * *", "0 0 30 2 *"]:
        with pytest.raises(ValueError, match="cron"):
            validate_cron(bad)


def test_parse_timezone() -> None:
    assert parse_timezone("Europe/Berlin") == BERLIN
    for bad in ["Mars/Base", "", "../etc"]:
        with pytest.raises(ValueError, match="time zone"):
            parse_timezone(bad)


def test_spring_forward_skips_the_missing_hour_and_fall_back_fires_once() -> None:
    # 02:30 does not exist in Berlin on 2026-03-29; it exists twice on 2026-10-25.
    spring = fire_times("30 2 * * *", BERLIN, datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC))
    # the 29th's 02:30 is in the gap: it fires at the first instant after it (03:00 CEST)
    assert [t.astimezone(BERLIN).strftime("%d %H:%M") for t in spring] == ["27 02:30", "28 02:30", "29 03:00",
                                                                           "30 02:30"]  # fmt: skip
    fall = fire_times("30 2 * * *", BERLIN, datetime(2026, 10, 24, tzinfo=UTC), datetime(2026, 10, 26, tzinfo=UTC))
    assert fall == [datetime(2026, 10, 24, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)]  # once
    hourly = fire_times(
        "0 * * * *", BERLIN, datetime(2026, 10, 24, 22, tzinfo=UTC), datetime(2026, 10, 25, 3, tzinfo=UTC)
    )
    # the fall-back day has 25 hours: every UTC hour in the span is a slot, each once
    assert hourly == [datetime(2026, 10, 24, 22, tzinfo=UTC) + timedelta(hours=h) for h in range(1, 6)]
    nine = next_fire_time("0 9 * * *", NEW_YORK, datetime(2026, 3, 8, 0, tzinfo=UTC))
    assert nine == datetime(2026, 3, 8, 13, tzinfo=UTC)  # EDT already: 09:00 local is 13:00 UTC


@given(crons, zones, instants)
def test_next_and_previous_bracket_the_instant(cron: str, tz: ZoneInfo, at: datetime) -> None:
    nxt, prev = next_fire_time(cron, tz, at), previous_fire_time(cron, tz, at)
    assert prev <= at < nxt
    assert fire_times(cron, tz, prev, nxt) == [nxt]
    assert previous_fire_time(cron, tz, nxt) == nxt


@given(crons, zones, instants, st.integers(min_value=0, max_value=3 * 86400))
def test_due_firings_are_slots_and_never_repeat(cron: str, tz: ZoneInfo, since: datetime, gap: int) -> None:
    now = since + timedelta(seconds=gap)
    for policy in MissedPolicy:
        due = due_firings(cron, tz, since, now, policy)
        assert list(due.fire) == sorted(set(due.fire))
        assert all(since < t <= now and previous_fire_time(cron, tz, t) == t for t in due.fire)
        if due.last is None:
            assert due.fire == ()
            assert previous_fire_time(cron, tz, now) <= since
        else:
            assert due.last == previous_fire_time(cron, tz, now)
            # considered up to `last`: asking again at the same instant fires nothing
            assert due_firings(cron, tz, due.last, now, policy).fire == ()
    skip = due_firings(cron, tz, since, now, MissedPolicy.SKIP).fire
    catch_up = due_firings(cron, tz, since, now, MissedPolicy.CATCH_UP).fire
    assert set(skip) <= set(catch_up)
    assert len(catch_up) - len(skip) <= 1


def test_every_second_fires_each_slot_with_a_jittery_tick() -> None:
    fired: list[datetime] = []
    last = T0
    now = T0
    for step in [1.02, 0.97, 1.4, 0.6, 1.0, 2.1, 4.0]:  # ticks late, early, stalled
        now += timedelta(seconds=step)
        due = due_firings("* * * * * *", UTC_ZONE, last, now, MissedPolicy.SKIP)
        fired.extend(due.fire)
        last = due.last or last
    assert fired == [T0 + timedelta(seconds=s) for s in range(1, 12)]


def test_after_downtime_skip_fires_nothing_and_catch_up_fires_the_latest_missed_once() -> None:
    since = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)  # the 10:00 slot was considered
    now = datetime(2026, 1, 1, 13, 30, 20, tzinfo=UTC)  # down for three and a half hours
    skip = due_firings("0 * * * *", UTC_ZONE, since, now, MissedPolicy.SKIP)
    assert skip.fire == ()
    assert skip.last == datetime(2026, 1, 1, 13, tzinfo=UTC)
    catch_up = due_firings("0 * * * *", UTC_ZONE, since, now, MissedPolicy.CATCH_UP)
    assert catch_up.fire == (datetime(2026, 1, 1, 13, tzinfo=UTC),)
    # resumes: the next slot fires normally under either policy
    later = datetime(2026, 1, 1, 14, 0, 1, tzinfo=UTC)
    for policy in MissedPolicy:
        assert due_firings("0 * * * *", UTC_ZONE, catch_up.last or since, later, policy).fire == (
            datetime(2026, 1, 1, 14, tzinfo=UTC),
        )


def test_catch_up_with_an_on_time_slot_fires_the_latest_missed_and_the_on_time_one() -> None:
    since = T0
    now = T0 + timedelta(minutes=10, seconds=1)
    skip = due_firings("* * * * *", UTC_ZONE, since, now, MissedPolicy.SKIP)
    assert skip.fire == (T0 + timedelta(minutes=10),)
    catch_up = due_firings("* * * * *", UTC_ZONE, since, now, MissedPolicy.CATCH_UP)
    assert catch_up.fire == (T0 + timedelta(minutes=9), T0 + timedelta(minutes=10))


def test_a_slot_is_on_time_for_its_period_at_most_a_minute() -> None:
    slot = datetime(2026, 1, 1, 13, tzinfo=UTC)
    hourly = "0 * * * *"
    assert due_firings(hourly, UTC_ZONE, slot - timedelta(hours=1), slot + MAX_GRACE, MissedPolicy.SKIP).fire == (slot,)
    late = slot + MAX_GRACE + timedelta(seconds=1)
    assert due_firings(hourly, UTC_ZONE, slot - timedelta(hours=1), late, MissedPolicy.SKIP).fire == ()
