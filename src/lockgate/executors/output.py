"""The size of a step's output: what every step result is checked against before it becomes an event."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from lockgate.expressions.budget import weigh
from lockgate.spec.bounds import find_flaw, format_path

if TYPE_CHECKING:
    from pydantic import JsonValue

__all__ = ["INVALID_OUTPUT", "OUTPUT_TOO_LARGE", "fits_cheaply", "output_flaw", "output_problem"]

OUTPUT_TOO_LARGE = "output_too_large"
INVALID_OUTPUT = "invalid_output"
# JSON is at most about this many times what ``weigh`` counts (a control character becomes \u0000), so an
# output weighing under limit / _SLACK fits without being serialised: the common case costs one bounded walk.
_SLACK = 8


def fits_cheaply(output: JsonValue, limit: int) -> bool:
    """True when the output surely fits; False: measure it (``output_problem``, off the event loop if large)."""
    return weigh(output, limit // _SLACK) <= limit // _SLACK


def output_problem(output: JsonValue, limit: int) -> str | None:
    """Why ``output`` may not be recorded (too many bytes of JSON), or None."""
    if fits_cheaply(output, limit):
        return None
    size = len(json.dumps(output, ensure_ascii=False, separators=(",", ":")).encode())
    if size <= limit:
        return None
    return (
        f"the step's output is {size:,} bytes of JSON, more than the limit of {limit:,} (LOCKGATE_MAX_OUTPUT_BYTES); "
        "write a large result to a file in the step's workspace instead: it becomes an artifact"
    )


def output_flaw(output: JsonValue) -> str | None:
    """What no database can keep in an output (a lone surrogate, NUL, NaN, nesting past the limit), or None.

    SQLite would store it and every later read of the run would fail; PostgreSQL refuses the write.
    """
    flaw = find_flaw(output)
    if flaw is None:
        return None
    return f"the step's output cannot be stored: {format_path(flaw.path, 'output')}: {flaw.message}"
