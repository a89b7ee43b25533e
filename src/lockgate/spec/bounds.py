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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

_Container = dict[Any, Any] | list[Any] | tuple[Any, ...]

__all__ = ["MAX_NESTING", "Flaw", "find_flaw", "format_path", "read_json", "surely_sound"]

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


def _own_flaw(place: object, child: object) -> str | None:
    """A flaw of a key, or of a value that is not a container (those are walked in their turn)."""
    if type(place) is str and not (place.isascii() and "\x00" not in place):
        problem = _string_flaw(place)
        if problem is not None:
            return f"the key contains {problem}"
    if child is None or type(child) is int or type(child) is bool or isinstance(child, dict | list | tuple):
        return None
    if type(child) is str and child.isascii() and "\x00" not in child:
        return None
    return _scalar_flaw(child)


def find_flaw(value: object, *, max_values: int | None = None) -> Flaw | None:
    """A flaw of ``value`` (the first one met), or None when it may be kept.

    Args:
        value: what ``json.loads`` or ``yaml.safe_load`` returned.
        max_values: how many values (containers and scalars) the document may hold once YAML aliases are
            expanded; None: no limit (JSON text cannot hold more values than it has characters).
    """
    if not isinstance(value, dict | list | tuple):
        message = _scalar_flaw(value)
        return None if message is None else Flaw((), message)
    # Iterative on purpose: the point is to refuse what would exhaust a recursive reader. Only containers
    # go on the stack, and a place is built only for a flaw.
    stack: list[tuple[tuple[str | int, ...], _Container, int]] = [((), value, 1)]
    seen = 1
    while stack:
        path, container, depth = stack.pop()
        if depth > MAX_NESTING:
            return Flaw(path, f"nested deeper than {MAX_NESTING} levels of objects and arrays")
        seen += len(container)
        if max_values is not None and seen > max_values:
            return Flaw(path, f"the document expands to more than {max_values:,} values (YAML aliases?)")
        places: Iterable[tuple[object, object]] = (
            container.items() if isinstance(container, dict) else enumerate(container)
        )
        nested = []
        for place, child in places:
            message = _own_flaw(place, child)
            if message is not None:
                return Flaw((*path, _place(place)), message)
            if isinstance(child, dict | list | tuple):
                nested.append(((*path, _place(place)), child, depth + 1))
        stack.extend(reversed(nested))
    return None


def _place(key: object) -> str | int:
    return key if isinstance(key, str | int) else repr(key)  # YAML keys may be anything hashable


# What JSON text must contain for find_flaw to find anything in it: the escape or the bytes of a surrogate
# (json.loads reads bytes with surrogatepass), an escaped NUL, NaN or Infinity, and for a number that reads
# as infinity or exceeds Python's int conversion an exponent of 3 digits or a run of 300 digits.
_MARKS = (b"\\ud", b"\\uD", b"\\u0000", b"NaN", b"Infinity")
_SURROGATE_BYTES = re.compile(rb"\xed[\xa0-\xbf]")  # Hangul is \xed[\x80-\x9f]: fine
_NUMBERS = bytes.maketrans(b"0123456789Ee-", b"0000000000ee+")
_NUMBER_MARKS = (b"e000", b"e+000", b"0" * 300)
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_INNERMOST = re.compile(rb"\[\]|\{\}")  # one level per pass: what a pass uncovers waits for the next


def _nesting_at_most(raw: bytes, levels: int) -> bool:
    if raw.count(b"[") + raw.count(b"{") <= levels:
        return True
    # Brackets inside strings do not count: drop escaped backslashes and quotes, then what is between quotes.
    structure = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    brackets = b"".join(structure.split(b'"')[::2])
    for _ in range(levels):
        if not brackets:
            return True
        peeled = _INNERMOST.sub(b"", brackets)
        if peeled == brackets:  # unbalanced: not JSON
            return False
        brackets = peeled
    return not brackets


def surely_sound(raw: bytes) -> bool:
    """Whether JSON text cannot hold a flaw, judged without reading it (searches and translations, in C).

    False means "read and walk it" (it may still be fine): every flaw leaves a mark in the text, and nesting
    is measured on the brackets outside strings, peeled one level per pass.
    """
    if any(mark in raw for mark in _MARKS) or _SURROGATE_BYTES.search(raw):
        return False
    digits = raw.translate(_NUMBERS)
    if any(mark in digits for mark in _NUMBER_MARKS):
        return False
    return _nesting_at_most(raw, MAX_NESTING)
