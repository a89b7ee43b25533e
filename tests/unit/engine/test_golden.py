"""Golden event logs (Temporal's replay idea): stored histories must still end the way they ended.

A failure here means the engine now decides differently on a recorded history. If that is intended,
regenerate with ``.venv/bin/python -m tests.unit.engine.golden_scenarios`` and review the diff.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from tests.unit.engine.golden_scenarios import GOLDEN, SCENARIOS, read_log, replay_log

from lockgate.engine import RunStatus

if TYPE_CHECKING:
    from pathlib import Path

FILES = sorted(GOLDEN.glob("*.jsonl"))


def test_every_scenario_has_a_golden_file() -> None:
    assert sorted(p.stem for p in FILES) == sorted(SCENARIOS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_replaying_a_golden_log_gives_the_recorded_summary(path: Path) -> None:
    plan, run, events, expected = read_log(path)
    assert replay_log(plan, run, events) == expected


def test_the_golden_logs_cover_what_they_are_named_after() -> None:
    ends = {p.stem: read_log(p)[3] for p in FILES}
    retry_steps = ends["retry"]["steps"]
    assert isinstance(retry_steps, dict)
    assert retry_steps["flaky"] == {
        "status": "succeeded",
        "attempt": 3,
        "failures": 2,
        "output": "ok on 3",
        "error": None,
    }
    assert ends["for_each"]["output"] == {"join": {"all": "ABCD"}}
    assert ends["pause_cancel"]["status"] == RunStatus.CANCELLED.value


def test_the_review_log_revises_submits_and_rolls_back() -> None:
    plan, run, events, expected = read_log(GOLDEN / "review.jsonl")
    commands = expected["commands"]
    assert isinstance(commands, list)
    assert "close draft revision_requested by ed (shorter)" in commands
    assert any(str(c).startswith("archive .archived/rollback_rb1_") for c in commands)
    assert expected["output"] == {"publish": {"headline": "Hello"}}
    assert replay_log(plan, run, events) == expected
