"""Plain references read without Jinja: ``{{ input.x }}``, ``{{ nodes.a.output.b[0] }}``, ``text {{ item }}``.

Most templates only name a value. Jinja would compile each (a parse, Python code generated, ``compile()``) and
run it to do what a few dictionary lookups do. Here such a template is recognised by its text, and read by the
same steps Jinja's sandbox takes (``_DataEnvironment.getattr``: a mapping's key before anything else). Anything
else — a missing key, a name that is not there, a value that is not a dict or a list — is *not* decided here:
``lookup`` answers ``MISS`` and the caller runs Jinja, so every error and every odd case is Jinja's own.
Budgets stay where they are: the caller converts or prints the value exactly as it does Jinja's.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from typing import Any, Final

from lockgate.expressions.filters import GLOBALS

__all__ = ["MISS", "Interpolation", "Path", "lookup", "plain_reference", "plain_text"]

MISS: Final = object()  # only Jinja can say what this template gives

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_KEY = r"[^\"'\\{}%#\r\n]*"  # a quoted key: no escapes, nothing a Jinja lexer might read as a delimiter
_STEP = re.compile(rf"\.({_NAME})|\[(?:(0|[1-9][0-9]{{0,8}})|\"({_KEY})\"|'({_KEY})')\]")
_REFERENCE = re.compile(rf"({_NAME})((?:{_STEP.pattern})*)")
_SINGLE = re.compile(rf"\s*{_REFERENCE.pattern}\s*")
_HOLE = re.compile(rf"\{{\{{ ({_REFERENCE.pattern}) \}}\}}")  # ``{{ ref }}`` in text: one space inside, as written
# Names Jinja reads as constants, operators or statements, and the globals (range, dict…): left to Jinja.
_NOT_ROOTS = frozenset(
    {*keyword.kwlist, "true", "false", "none", "not", "and", "or", "in", "is", "if", "else", "for", "block",
     "extends", "print", "macro", "include", "from", "import", "set", "with", "without", "context", "ignore",
     "missing", "scoped", "required", "recursive", "call", "filter", "raw", "trans", "pluralize", "endif",
     "self", "loop", "super", "caller", "varargs", "kwargs"}  # names Jinja's code generator gives a meaning
) | frozenset(GLOBALS) | {"lipsum", "cycler", "joiner", "namespace", "range", "dict"}  # fmt: skip


# A name and the keys (str: ``.key`` or ``["key"]``) and list indexes (int: ``[0]``) read from it. Plain tuples,
# not objects: a plan holds thousands, and the garbage collector stops tracking tuples of strings and numbers.
Path = tuple[str, tuple[str | int, ...]]
# Text with plain references in it: literal parts (str) and references (Path), in order.
Interpolation = tuple[str | Path, ...]


def _path(match: re.Match[str]) -> Path | None:
    root, rest = match.group(1), match.group(2)
    if root in _NOT_ROOTS:
        return None
    steps: list[str | int] = []
    for step in _STEP.finditer(rest):
        attr, index, double, single = step.groups()
        if index is not None:
            steps.append(int(index))
        else:
            steps.append(attr if attr is not None else double if double is not None else single)
    return root, tuple(steps)


def plain_reference(expr: str) -> Path | None:
    """The path an expression (the inside of one ``{{ … }}``) reads, if it is a plain reference."""
    match = _SINGLE.fullmatch(expr)
    return _path(match) if match is not None and "\r" not in expr else None


def plain_text(source: str) -> Interpolation | None:
    """Text whose only templating is ``{{ ref }}`` holes: its parts, else None (Jinja renders it)."""
    parts: list[str | Path] = []
    end = 0
    for hole in _HOLE.finditer(source):
        parts.append(source[end : hole.start()])
        path = _path(_REFERENCE.fullmatch(hole.group(1)))  # type: ignore[arg-type]  # the hole matched it
        if path is None:
            return None
        parts.append(path)
        end = hole.end()
    parts.append(source[end:])
    literal = [p for p in parts if isinstance(p, str)]
    if any(c in text for text in literal for c in "{}\r"):  # another tag, a comment, a stray brace: Jinja's
        return None
    return tuple(p for p in parts if p != "")


def lookup(path: Path, context: Mapping[str, Any]) -> Any:
    """The value Jinja's sandbox reads for ``path``, or MISS wherever it would do anything but a plain lookup."""
    root, steps = path
    value = context.get(root, MISS)
    if value is MISS:
        return MISS
    for step in steps:
        if type(step) is int:
            if type(value) is not list or step >= len(value):
                return MISS
            value = value[step]
        elif (type(value) is dict or isinstance(value, Mapping)) and step in value:
            value = value[step]
        else:
            return MISS
    return value
