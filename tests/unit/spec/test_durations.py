"""Durations as people write them: "90s", "1h30m", "250ms" or a number of seconds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import BaseModel, ValidationError

from lockgate.spec import Duration, RetryPolicy


class Timed(BaseModel):
    value: Duration


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("250ms", timedelta(milliseconds=250)),
        ("2d", timedelta(days=2)),
        ("1m30s", timedelta(seconds=90)),
        ("1.5h", timedelta(minutes=90)),
        (" 5 m ", timedelta(minutes=5)),
        (45, timedelta(seconds=45)),
        (0.5, timedelta(milliseconds=500)),
        (0, timedelta(0)),
    ],
)
def test_durations_parse(written: object, expected: timedelta) -> None:
    assert Timed.model_validate({"value": written}).value == expected


@pytest.mark.parametrize("written", ["soon", "5 minutes", "1h30x", "", "ms", True, -5, "-5s"])
def test_bad_durations_are_rejected(written: object) -> None:
    with pytest.raises(ValidationError):
        Timed.model_validate({"value": written})


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (timedelta(seconds=90), "90s"),
        (timedelta(hours=1, minutes=30), "5400s"),
        (timedelta(milliseconds=250), "250ms"),
    ],
)
def test_durations_serialise_to_json_as_text_that_parses_back(value: timedelta, written: str) -> None:
    dumped = Timed(value=value).model_dump(mode="json")

    assert dumped == {"value": written}
    assert Timed.model_validate(dumped).value == value


def test_policies_take_durations() -> None:
    policy = RetryPolicy.model_validate({"max_attempts": 5, "initial_delay": "250ms", "max_delay": "10m"})

    assert policy.initial_delay == timedelta(milliseconds=250)
    assert policy.max_delay == timedelta(minutes=10)
