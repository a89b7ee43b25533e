"""The rate-limit ledger of model profiles on a real database, its clock driven by the test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from lockgate.runtime.clock import SystemClock
from lockgate.store.database import Database
from lockgate.store.migrate import upgrade
from lockgate.store.profiles import create_model_profile
from lockgate.store.rates import admit

if TYPE_CHECKING:
    from collections.abc import Iterator

import pytest

MINUTE = timedelta(minutes=1)
T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    upgrade(database)
    with database.write() as conn:
        create_model_profile(conn, {"name": "m", "provider": "openai_compatible", "model_id": "x",
                                    "input_price": 0.0, "output_price": 0.0}, SystemClock().now())  # fmt: skip
    yield database
    database.dispose()


def _admit(db: Database, limits: tuple[int | None, int | None], tokens: int, at: datetime) -> timedelta | None:
    with db.write() as conn:
        return admit(conn, "m", limits, tokens, at, MINUTE)


def test_requests_per_minute_are_never_exceeded_in_any_minute(db: Database) -> None:
    limits = (3, None)
    assert [_admit(db, limits, 10, T0 + timedelta(seconds=s)) for s in (0, 10, 20)] == [None, None, None]
    assert _admit(db, limits, 10, T0 + timedelta(seconds=30)) == timedelta(seconds=30)  # when the first leaves
    assert _admit(db, limits, 10, T0 + timedelta(seconds=59)) == timedelta(seconds=1)
    assert _admit(db, limits, 10, T0 + timedelta(seconds=60)) is None
    assert _admit(db, limits, 10, T0 + timedelta(seconds=61)) == timedelta(seconds=9)


def test_tokens_per_minute_wait_for_enough_room_and_a_huge_request_goes_alone(db: Database) -> None:
    limits = (None, 100)
    assert _admit(db, limits, 60, T0) is None
    assert _admit(db, limits, 30, T0 + timedelta(seconds=5)) is None
    assert _admit(db, limits, 50, T0 + timedelta(seconds=10)) == timedelta(seconds=50)  # once the 60 have left
    assert _admit(db, limits, 10, T0 + timedelta(seconds=10)) is None  # 100 in all: it fits
    assert _admit(db, limits, 500, T0 + timedelta(seconds=20)) == timedelta(seconds=50)  # after all of them
    assert _admit(db, limits, 500, T0 + timedelta(seconds=70)) is None  # alone in its minute
