"""A run's input checked against the pipeline's declared fields; defaults filled in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockgate.errors import InvalidInputError
from lockgate.spec.pipeline import InputField, InputType, PipelineSpec

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pydantic import JsonValue

__all__ = ["field_problem", "validate_input"]

_CHECKS: dict[InputType, tuple[type, ...]] = {
    InputType.STRING: (str,),
    InputType.NUMBER: (int, float),
    InputType.INTEGER: (int,),
    InputType.BOOLEAN: (bool,),
    InputType.OBJECT: (dict,),
    InputType.ARRAY: (list,),
}


def field_problem(name: str, field: InputField, value: JsonValue) -> str | None:
    """Why ``value`` does not fit the declared input field ``name``, or None."""
    types = _CHECKS[field.type]
    is_bool = isinstance(value, bool)
    if not isinstance(value, types) or (is_bool and field.type is not InputType.BOOLEAN):
        return f"input.{name}: expected {field.type.value}, got {type(value).__name__}"
    if field.enum is not None and value not in field.enum:
        return f"input.{name}: must be one of {field.enum}"
    return None


def validate_input(spec: PipelineSpec, given: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
    """With no declared fields, any input passes; else unknown, missing and mistyped fields are refused."""
    if not spec.input:
        return dict(given)
    problems = [f"input.{name}: not a declared input field" for name in given if name not in spec.input]
    result: dict[str, JsonValue] = {}
    for name, field in spec.input.items():
        if name in given:
            problem = field_problem(name, field, given[name])
            if problem:
                problems.append(problem)
            result[name] = given[name]
        elif field.required:
            problems.append(f"input.{name}: required")
        else:
            result[name] = field.default
    if problems:
        raise InvalidInputError(problems)
    return result
