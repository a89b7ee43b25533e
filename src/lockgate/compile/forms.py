"""The values a person submits for a form, checked field by field; every problem is reported at once."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from lockgate.errors import InvalidInputError
from lockgate.spec.forms import FieldType, FormField

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from pydantic import JsonValue

__all__ = ["FILE_KEYS", "validate_form"]

# A file field's value once the server has received the upload (the client sends the content).
FILE_KEYS = frozenset({"name", "size", "sha256", "media_type", "staged"})


def _missing(value: JsonValue, field: FormField) -> bool:
    if field.type is FieldType.JSON:  # "" and [] are values like any other there
        return value is None
    return value is None or value == "" or value == []


def _bounded(value: Any, field: FormField, unit: str) -> str | None:
    if field.min is not None and value < field.min:
        return f"must be at least {_show(field.min)}{unit}"
    if field.max is not None and value > field.max:
        return f"must be at most {_show(field.max)}{unit}"
    return None


def _show(bound: float | date) -> str:
    return f"{bound:g}" if isinstance(bound, float) else str(bound)


def _text(value: JsonValue, field: FormField) -> str | None:
    if not isinstance(value, str):
        return f"expected text, got {type(value).__name__}"
    if field.type is FieldType.TEXT and ("\n" in value or "\r" in value):
        return "must be a single line"
    problem = _bounded(len(value), field, " characters")
    if problem is None and field.pattern is not None and re.fullmatch(field.pattern, value) is None:
        problem = f"must match the pattern {field.pattern}"
    return problem


def _number(value: JsonValue, field: FormField) -> str | None:
    wanted = (int,) if field.type is FieldType.INTEGER else (int, float)
    if isinstance(value, bool) or not isinstance(value, wanted):
        return f"expected {'an integer' if field.type is FieldType.INTEGER else 'a number'}, got {value!r}"
    return _bounded(value, field, "")


def _boolean(value: JsonValue, field: FormField) -> str | None:  # noqa: ARG001 - one signature for all checks
    return None if isinstance(value, bool) else f"expected true or false, got {value!r}"


def _select(value: JsonValue, field: FormField) -> str | None:
    allowed = [o.value for o in field.options or ()]
    if not field.multiple:
        return None if isinstance(value, str) and value in allowed else f"must be one of {allowed}"
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return "expected a list of choices"
    unknown = [v for v in value if v not in allowed]
    if unknown:
        return f"{unknown} are not among {allowed}"
    if len(set(value)) != len(value):
        return "a choice is given twice"
    return _bounded(len(value), field, " choices")


def _date(value: JsonValue, field: FormField) -> str | None:
    if not isinstance(value, str) or len(value) != 10:
        return f"expected a date as YYYY-MM-DD, got {value!r}"
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return f"{value!r} is not a date (YYYY-MM-DD)"
    return _bounded(day, field, "")


def _file(value: JsonValue, field: FormField) -> str | None:
    if not isinstance(value, dict) or not value.keys() >= FILE_KEYS or not isinstance(value["size"], int):
        return "expected an uploaded file"
    return _bounded(value["size"], field, " bytes")


def _json(value: JsonValue, field: FormField) -> str | None:  # noqa: ARG001 - one signature for all checks
    return None


_CHECKS: dict[FieldType, Callable[[JsonValue, FormField], str | None]] = {
    FieldType.TEXT: _text,
    FieldType.MULTILINE: _text,
    FieldType.NUMBER: _number,
    FieldType.INTEGER: _number,
    FieldType.BOOLEAN: _boolean,
    FieldType.SELECT: _select,
    FieldType.DATE: _date,
    FieldType.FILE: _file,
    FieldType.JSON: _json,
}


def validate_form(fields: Sequence[FormField], values: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
    """Every field's value, or InvalidInputError naming each bad field (``values.<field>: <what is wrong>``).

    A field left out takes its default (which must then pass like a given value); one given empty is empty.
    """
    known = {f.name for f in fields}
    problems = [f"values.{name}: not a field of this form" for name in values if name not in known]
    result: dict[str, JsonValue] = {}
    for field in fields:
        value = values.get(field.name, field.default)
        if _missing(value, field):
            if field.required:
                problems.append(f"values.{field.name}: required")
            result[field.name] = None
            continue
        problem = _CHECKS[field.type](value, field)
        if problem is not None:
            problems.append(f"values.{field.name}: {problem}")
        result[field.name] = value
    if problems:
        raise InvalidInputError(problems)
    return result
