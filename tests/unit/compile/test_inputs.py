"""A run's input against the pipeline's declared fields: defaults filled, every problem named at once."""

from __future__ import annotations

from typing import Any

import pytest

from lockgate.compile import validate_input
from lockgate.errors import InvalidInputError
from lockgate.spec import PipelineSpec, spec_from_data


def spec_with(fields: dict[str, Any]) -> PipelineSpec:
    return spec_from_data({"name": "p", "input": fields, "nodes": [{"id": "a", "kind": "noop"}]})


SPEC = spec_with(
    {
        "topic": {"type": "string", "required": True},
        "limit": {"type": "integer", "default": 3},
        "ratio": {"type": "number"},
        "mode": {"type": "string", "enum": ["fast", "slow"], "default": "fast"},
        "dry": {"type": "boolean", "default": False},
    }
)


def test_without_declared_fields_any_input_passes() -> None:
    assert validate_input(spec_with({}), {"anything": [1, 2]}) == {"anything": [1, 2]}


def test_defaults_are_filled_in() -> None:
    assert validate_input(SPEC, {"topic": "otters"}) == {
        "topic": "otters",
        "limit": 3,
        "ratio": None,
        "mode": "fast",
        "dry": False,
    }


def test_integers_are_numbers_but_booleans_are_not() -> None:
    assert validate_input(SPEC, {"topic": "t", "ratio": 2})["ratio"] == 2

    with pytest.raises(InvalidInputError, match=r"input\.limit: expected integer"):
        validate_input(SPEC, {"topic": "t", "limit": True})


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InvalidInputError) as caught:
        validate_input(SPEC, {"limit": "3", "mode": "medium", "colour": "red"})

    assert sorted(caught.value.problems) == [
        "input.colour: not a declared input field",
        "input.limit: expected integer, got str",
        "input.mode: must be one of ['fast', 'slow']",
        "input.topic: required",
    ]
    assert caught.value.code == "invalid_input"
