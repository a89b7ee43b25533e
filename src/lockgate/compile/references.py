"""Compile-time checks of every expression a definition holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lockgate.errors import DefinitionError
from lockgate.expressions import prepared, templates_in

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pydantic import JsonValue

    from lockgate.expressions import Prepared, Templates

__all__ = ["Scope", "check_template_field"]

# Names every expression may use; ``item``/``inputs`` only where they exist.
_BASE_ROOTS = frozenset({"input", "nodes", "run"})


@dataclass(frozen=True, slots=True)
class Scope:
    node_id: str | None
    visible_nodes: frozenset[str]  # upstream nodes (and the source itself, for an edge's ``when``)
    all_nodes: frozenset[str]
    input_fields: frozenset[str] | None  # None: the pipeline declares no input schema
    has_item: bool = False
    has_inputs: bool = False
    node_names: frozenset[str] = frozenset()  # what the node's kind adds (``task`` in a task node)


def check_template_field(
    value: JsonValue, field: str, scope: Scope, templates: Templates | None = None
) -> Iterator[DefinitionError]:
    """The problems of every template in ``value``; each is prepared into ``templates`` (the plan keeps them)."""
    for path, source in templates_in(value, field):
        yield from _check(templates.get(source) if templates is not None else prepared(source), path, scope)


def _check(template: Prepared, field: str, scope: Scope) -> Iterator[DefinitionError]:
    info = template.info()
    if info.syntax_error is not None:  # nothing else is known of a template that does not parse
        yield DefinitionError(info.syntax_error, scope.node_id, field)
        return
    yield from (DefinitionError(problem, scope.node_id, field) for problem in info.unknown)
    allowed = set(_BASE_ROOTS)
    if scope.has_item:
        allowed |= {"item", "item_index"}
    if scope.has_inputs:
        allowed.add("inputs")
    allowed |= scope.node_names
    for root in sorted(info.roots - allowed):
        hint = (
            " (only inside a node with for_each, and not in for_each itself)" if root in {"item", "item_index"} else ""
        )
        yield DefinitionError(f"unknown name {root!r} in expression{hint}", scope.node_id, field)
    for ref in sorted(info.references, key=lambda r: (r.root, r.name or "")):
        if ref.root == "nodes" and ref.name is not None:
            if ref.name not in scope.all_nodes:
                yield DefinitionError(f"expression refers to unknown node {ref.name!r}", scope.node_id, field)
            elif ref.name not in scope.visible_nodes:
                yield DefinitionError(
                    f"expression refers to node {ref.name!r}, which is not upstream", scope.node_id, field
                )
        elif ref.root == "input" and scope.input_fields is not None and ref.name not in scope.input_fields:
            yield DefinitionError(f"expression refers to undeclared input {ref.name!r}", scope.node_id, field)
