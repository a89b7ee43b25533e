"""Where a definition problem is in its YAML text: the line of the node and field it names.

Problems are found on the parsed data (by the schema, then by the compiler), which has no line numbers; the text
is composed again (only when there are problems) and each problem's node id and field path walked in it, down to
the deepest part that exists: a missing field points at its node, an unknown one at itself.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import yaml

from lockgate.errors import DefinitionError, DefinitionErrors

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["with_lines"]

_PART = re.compile(r"\[(\d+)\]|\.?([^.\[]+)")
_NODE_INDEX = re.compile(r"nodes\[(\d+)\]")


def with_lines(
    exc: DefinitionErrors, text: str, compose: Callable[[str], yaml.Node | None], source: str | None
) -> DefinitionErrors:
    """``exc`` with each problem's line in ``text`` (composed by ``compose``; unparsable text: no lines)."""
    try:
        root = compose(text)
    except (yaml.YAMLError, RecursionError, ValueError):
        root = None
    errors = [
        DefinitionError(e.detail, e.node_id, e.field, line=e.line if root is None else _line(root, e.node_id, e.field))
        for e in exc.errors
    ]
    return DefinitionErrors(errors, source=source)


def _line(root: yaml.Node, node_id: str | None, field: str | None) -> int | None:
    at: yaml.Node | None = root
    line: int | None = None
    if node_id is not None:
        at = _node(root, node_id)
        if at is None:
            return None
        line = at.start_mark.line + 1
    for index, key in _PART.findall(field or ""):
        if isinstance(at, yaml.SequenceNode) and index and int(index) < len(at.value):
            at = at.value[int(index)]
            line = at.start_mark.line + 1
        elif isinstance(at, yaml.MappingNode) and key:
            found = next(((k, v) for k, v in at.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
            if found is None:
                break
            line, at = found[0].start_mark.line + 1, found[1]
        else:
            break
    return line


def _node(root: yaml.Node, node_id: str) -> yaml.Node | None:
    nodes = _get(root, "nodes")
    if not isinstance(nodes, yaml.SequenceNode):
        return None
    by_index = _NODE_INDEX.fullmatch(node_id)  # a node without a readable id is named by its place
    items: list[yaml.Node] = nodes.value
    if by_index is not None:
        index = int(by_index[1])
        return items[index] if index < len(items) else None
    for item in items:
        given = _get(item, "id")
        if isinstance(given, yaml.ScalarNode) and given.value == node_id:
            return item
    return None


def _get(mapping: yaml.Node, key: str) -> yaml.Node | None:
    if not isinstance(mapping, yaml.MappingNode):
        return None
    found: yaml.Node | None = next(
        (v for k, v in mapping.value if isinstance(k, yaml.ScalarNode) and k.value == key), None
    )
    return found
