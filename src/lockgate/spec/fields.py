"""Field types shared by definitions: durations, templated strings, ids."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer

__all__ = ["Duration", "Identifier", "Template", "Templated", "is_templated", "parse_duration"]

_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*(ms|s|m|h|d))+\s*$")
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: Any) -> Any:
    """Accept ``"90s"``, ``"1h30m"``, ``"250ms"`` or a number of seconds; leave anything else to pydantic."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    if isinstance(value, str) and _DURATION.match(value):
        return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in _PART.findall(value)))
    return value


def _format_duration(value: timedelta) -> str:
    seconds = value.total_seconds()
    return f"{int(seconds)}s" if seconds == int(seconds) else f"{int(seconds * 1000)}ms"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(_format_duration, return_type=str, when_used="json"),
    Field(json_schema_extra={"type": "string", "format": "duration", "examples": ["30s", "5m", "1h30m"]}),
]


class Templated:
    """Marker: a config field whose strings are Jinja2 templates rendered before the handler runs."""

    def __repr__(self) -> str:
        """Show the marker in annotations."""
        return "Templated()"


TEMPLATED = Templated()

# A string that may hold ``{{ … }}``: rendered with the step's context; a lone expression keeps its type.
Template = Annotated[str, TEMPLATED]

Identifier = Annotated[
    str,
    Field(pattern=r"^[a-z][a-z0-9_-]{0,62}$", description="lowercase slug: letters, digits, _ and -"),
]


def is_templated(metadata: list[Any]) -> bool:
    """Whether a field's annotation metadata carries the ``Templated`` marker."""
    return any(isinstance(m, Templated) for m in metadata)
