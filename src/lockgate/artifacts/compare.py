"""Two versions of an artifact side by side: a unified text diff, and for JSON the changes path by path."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["ChangeOp", "JsonChange", "json_changes", "text_diff"]

ChangeOp = Literal["added", "removed", "changed"]

_MAX_CHANGES = 1000


@dataclass(frozen=True, slots=True)
class JsonChange:
    path: str  # $.a.b[2]
    op: ChangeOp
    left: Any = None
    right: Any = None


def text_diff(left: str, right: str, left_name: str, right_name: str, context: int = 3) -> str:
    """A unified diff (empty when equal); lines end with their own newline."""
    lines = difflib.unified_diff(
        left.splitlines(keepends=True), right.splitlines(keepends=True), left_name, right_name, n=context
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def json_changes(left: Any, right: Any, limit: int = _MAX_CHANGES) -> list[JsonChange]:
    """What differs between two JSON values: added and removed keys or items, changed values (at most ``limit``)."""
    out: list[JsonChange] = []
    _walk(left, right, "$", out, limit)
    return out


def _walk(left: Any, right: Any, path: str, out: list[JsonChange], limit: int) -> None:
    if len(out) >= limit:
        return
    if isinstance(left, dict) and isinstance(right, dict):
        _walk_dict(left, right, path, out, limit)
    elif isinstance(left, list) and isinstance(right, list):
        _walk_list(left, right, path, out, limit)
    elif left != right or type(left) is not type(right):
        out.append(JsonChange(path, "changed", left=left, right=right))


def _walk_dict(left: dict[Any, Any], right: dict[Any, Any], path: str, out: list[JsonChange], limit: int) -> None:
    for key in sorted(set(left) | set(right), key=str):
        if len(out) >= limit:
            return
        where = f"{path}.{key}"
        if key not in right:
            out.append(JsonChange(where, "removed", left=left[key]))
        elif key not in left:
            out.append(JsonChange(where, "added", right=right[key]))
        else:
            _walk(left[key], right[key], where, out, limit)


def _walk_list(left: list[Any], right: list[Any], path: str, out: list[JsonChange], limit: int) -> None:
    for index in range(max(len(left), len(right))):
        if len(out) >= limit:
            return
        where = f"{path}[{index}]"
        if index >= len(right):
            out.append(JsonChange(where, "removed", left=left[index]))
        elif index >= len(left):
            out.append(JsonChange(where, "added", right=right[index]))
        else:
            _walk(left[index], right[index], where, out, limit)
