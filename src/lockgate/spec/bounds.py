r"""The bounds a parsed document keeps, whatever door it came through (an API body, a YAML file, a webhook).

Python's ``json`` and YAML readers hand back values that Lockgate cannot keep: a lone UTF-16 surrogate
(``"\ud800"``) that neither SQLite nor PostgreSQL can store as UTF-8, a NUL character PostgreSQL refuses in
text and JSON (SQLite would keep it: refused on both, so both behave alike), ``NaN`` and ``Infinity``
(not JSON, and ``1e400`` reads as infinity), nesting thousands deep that exhausts the recursion of every
reader after them (pydantic, the store, Jinja2, the web UI), and YAML aliases that expand a short text
into millions of values. Each door runs ``find_flaw`` on what it parsed and refuses the request with
the place named.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass

__all__ = ["MAX_NESTING", "Flaw", "find_flaw", "format_path", "read_json"]

# Containers within containers, the outermost counted: a pipeline definition needs about 10, a run's input
# a few more. Far below Python's recursion limit (1000), which readers of a stored value must stay under.
MAX_NESTING = 64
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_MAX_KEY_SHOWN = 100


@dataclass(frozen=True, slots=True)
class Flaw:
    """What is wrong, and where: the keys and indexes from the document's root."""

    path: tuple[str | int, ...]
    message: str


def format_path(path: tuple[str | int, ...], root: str = "") -> str:
    """``body.nodes.0.config`` (pydantic's way of naming a place), safe to print: what cannot be kept is escaped."""
    parts = [root] if root else []
    for place in path:
        text = str(place)
        text = text if len(text) <= _MAX_KEY_SHOWN else text[:_MAX_KEY_SHOWN] + "…"
        parts.append(_UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))
    return ".".join(parts)


def _string_flaw(text: str) -> str | None:
    """What a string holds that cannot be kept (None: nothing)."""
    if text.isascii() and "\x00" not in text:  # the common case, without a regex
        return None
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return f"a NUL character (\\u0000) at position {found.start()}, which cannot be stored"
    code = ord(found.group())
    return f"a lone UTF-16 surrogate (\\u{code:04x}) at position {found.start()}, which is not Unicode text"


class _LongInteger(str):
    """An integer's digits, beyond what Python converts (``sys.get_int_max_str_digits``)."""

    __slots__ = ()


def _integer(digits: str) -> int | _LongInteger:
    return _LongInteger(digits) if len(digits.lstrip("-")) > sys.get_int_max_str_digits() else int(digits)


def read_json(text: str | bytes) -> object:
    """``json.loads``, except that an integer too long for Python is kept as its digits, for find_flaw to name.

    RecursionError and JSONDecodeError go to the caller.
    """
    try:
        return json.loads(text)
    except ValueError as exc:
        if "integer string conversion" not in str(exc):
            raise
    return json.loads(text, parse_int=_integer)  # again, slower, only for such bodies


def _scalar_flaw(value: object) -> str | None:
    if isinstance(value, _LongInteger):
        limit = sys.get_int_max_str_digits()
        return f"an integer of {len(value.lstrip('-')):,} digits is too long (at most {limit:,})"
    if isinstance(value, str):
        problem = _string_flaw(value)
        return None if problem is None else f"contains {problem}"
    if isinstance(value, float) and math.isnan(value):
        return "NaN is not a JSON number"
    if isinstance(value, float) and math.isinf(value):
        return "Infinity is not a JSON number (nor is a number beyond ±1.8e308, which reads as it)"
    return None


def _children(value: dict[object, object] | list[object] | tuple[object, ...]) -> list[tuple[str | int, object]]:
    if isinstance(value, dict):
        return [(key if isinstance(key, str | int) else repr(key), child) for key, child in value.items()]
    return list(enumerate(value))


def find_flaw(value: object, *, max_values: int | None = None) -> Flaw | None:
    """The first flaw found in ``value``, or None when it may be kept.

    Args:
        value: what ``json.loads`` or ``yaml.safe_load`` returned.
        max_values: how many values (containers and scalars) the document may hold once YAML aliases are
            expanded; None: no limit (JSON text cannot hold more values than it has characters).
    """
    # Iterative on purpose: the point is to refuse what would exhaust a recursive reader.
    stack: list[tuple[tuple[str | int, ...], object, int]] = [((), value, 0)]
    seen = 0
    while stack:
        path, current, depth = stack.pop()
        seen += 1
        if max_values is not None and seen > max_values:
            return Flaw(path, f"the document expands to more than {max_values:,} values (YAML aliases?)")
        if not isinstance(current, dict | list | tuple):
            message = _scalar_flaw(current)
            if message is not None:
                return Flaw(path, message)
            continue
        if depth >= MAX_NESTING:
            return Flaw(path, f"nested deeper than {MAX_NESTING} levels of objects and arrays")
        children = _children(current)
        for place, _ in children:
            if isinstance(place, str) and (problem := _string_flaw(place)) is not None:
                return Flaw((*path, place), f"the key contains {problem}")
        stack.extend(((*path, place), child, depth + 1) for place, child in reversed(children))
    return None
