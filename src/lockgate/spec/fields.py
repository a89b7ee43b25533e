"""Field types shared by definitions: durations, templated strings, ids."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, GetJsonSchemaHandler, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

from lockgate.errors import SLUG_PATTERN

if TYPE_CHECKING:
    from pydantic.json_schema import JsonSchemaValue

__all__ = ["JSON_INTEGER", "Duration", "Identifier", "Template", "Templated", "is_templated", "parse_duration"]

_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*(ms|s|m|h|d))+\s*$")
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)")
# pydantic also reads ISO 8601 and writes schema defaults that way (PT1S)
_ISO_DURATION = r"^P(?!$)(?:\d+(?:\.\d+)?[WD])*(?:T(?=\d)(?:\d+(?:\.\d+)?[HMS])+)?$"
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: Any) -> Any:
    """Accept ``"90s"``, ``"1h30m"``, ``"250ms"`` or a number of seconds; leave anything else to pydantic."""
    if isinstance(value, bool):  # YAML reads `yes` as true; pydantic would take it for one second
        raise ValueError("a duration is a number of seconds or text such as 90s, not a boolean")
    try:
        if isinstance(value, int | float):
            return timedelta(seconds=value)
        if isinstance(value, str) and _DURATION.match(value):
            return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in _PART.findall(value)))
    except OverflowError:
        raise ValueError("the duration is too long (at most 999,999,999 days)") from None
    return value


def _not_negative(value: timedelta) -> timedelta:
    if value < timedelta(0):
        raise ValueError("a duration may not be negative")
    return value


def _format_duration(value: timedelta) -> str:
    # In whole microseconds: float seconds made 1.001 s "1000ms" (1.001 * 1000 is 1000.999…), which reads back 1 s.
    micros = value // timedelta(microseconds=1)
    if micros % 1_000_000 == 0:
        return f"{micros // 1_000_000}s"
    if micros % 1000 == 0:
        return f"{micros // 1000}ms"
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}s"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    AfterValidator(_not_negative),
    PlainSerializer(_format_duration, return_type=str, when_used="json"),
    # Not JSON Schema's ``format: duration`` (ISO 8601): what the parser above accepts.
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": _DURATION.pattern},
                {"type": "string", "pattern": _ISO_DURATION},
                {"type": "number", "minimum": 0},
            ],
            "description": "seconds, or text such as 250ms, 90s, 5m, 1h30m, 2d (or ISO 8601: PT1H30M)",
            "examples": ["30s", "5m", "1h30m"],
        }
    ),
]


class Templated:
    """Marker: a config field whose strings are Jinja2 templates rendered before the handler runs.

    In the JSON Schema the field carries ``"x-template": true``, so that editors (the web UI) offer
    expression completion there and nowhere else.
    """

    def __repr__(self) -> str:
        """Show the marker in annotations."""
        return "Templated()"

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        """Mark the field's schema as a template."""
        schema = handler(core_schema)
        return {**schema, "x-template": True}


TEMPLATED = Templated()

# A string that may hold ``{{ … }}``: rendered with the step's context; a lone expression keeps its type.
Template = Annotated[str, TEMPLATED]

Identifier = Annotated[
    str,
    Field(pattern=SLUG_PATTERN, description="lowercase slug: letters, digits, _ and -"),
]


def is_templated(metadata: list[Any]) -> bool:
    """Whether a field's annotation metadata carries the ``Templated`` marker."""
    return any(isinstance(m, Templated) for m in metadata)


def _json_integer(value: Any) -> Any:
    """JSON Schema's integers: 3, and 3.0 (a whole number); not true, nor "3" (pydantic's lax mode takes both)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


# An int as JSON means it: ``Annotated[int, Field(ge=…, le=…), JSON_INTEGER]``. StrictInt would refuse 3.0,
# which JSON Schema (and so the OpenAPI document) calls an integer; pydantic's own int takes true and "3".
# The bounds go before it: after it, pydantic writes them into the JSON Schema as `ge`/`le`, not
# `minimum`/`maximum`. Floats and booleans are StrictFloat and StrictBool (they refuse nothing JSON allows).
JSON_INTEGER = BeforeValidator(_json_integer)
