"""What a template refers to, found by walking its parsed AST (for compile-time checks)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jinja2 import TemplateSyntaxError, meta, nodes

from lockgate.expressions.environment import ENV, parse

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pydantic import JsonValue

__all__ = ["Reference", "TemplateInfo", "inspect_template", "templates_in"]


@dataclass(frozen=True, slots=True)
class Reference:
    """``nodes.<node>`` (node set) or a root name such as ``input`` with its first attribute."""

    root: str
    name: str | None


@dataclass(frozen=True, slots=True)
class TemplateInfo:
    roots: frozenset[str]
    references: frozenset[Reference]
    syntax_error: str | None = None
    unknown: tuple[str, ...] = ()  # filters and tests the template uses that do not exist, as messages


def _unknown(ast: nodes.Template) -> tuple[str, ...]:
    problems = []
    for node in ast.find_all((nodes.Filter, nodes.Test)):
        kind, known = ("filter", ENV.filters) if isinstance(node, nodes.Filter) else ("test", ENV.tests)
        if node.name in known:
            continue
        close = difflib.get_close_matches(node.name, [k for k in known if not k.startswith("lockgate_")], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(f"unknown {kind} {node.name!r} (line {node.lineno}){hint}")
    return tuple(dict.fromkeys(problems))


def _attribute(node: nodes.Node) -> tuple[str, str] | None:
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
        return node.node.name, node.attr
    if (
        isinstance(node, nodes.Getitem)
        and isinstance(node.node, nodes.Name)
        and isinstance(node.arg, nodes.Const)
        and isinstance(node.arg.value, str)
    ):
        return node.node.name, node.arg.value
    return None


def _standing_in(ast: nodes.Template) -> None:
    """Let Jinja's own analysis run past unknown filters and tests (it stops at the first with an exception).

    The template is analysed as if each unknown name were a filter or test that does nothing, so that what it
    refers to is still checked; the unknown names themselves are reported apart.
    """
    env = ENV.overlay()
    env.filters = {**ENV.filters} | {n.name: _nothing for n in ast.find_all(nodes.Filter) if n.name not in ENV.filters}
    env.tests = {**ENV.tests} | {n.name: _nothing for n in ast.find_all(nodes.Test) if n.name not in ENV.tests}
    ast.set_environment(env)


def _nothing(value: object, *_: object) -> object:
    return value


def inspect_template(source: str) -> TemplateInfo:
    try:
        ast = parse(source)
        unknown = _unknown(ast)
        if unknown:
            _standing_in(ast)
        undeclared = meta.find_undeclared_variables(ast)
    except TemplateSyntaxError as exc:  # TemplateAssertionError too: e.g. assigning to ``loop``
        return TemplateInfo(frozenset(), frozenset(), f"syntax error: {exc.message} (line {exc.lineno})")
    roots = frozenset(undeclared) - frozenset(ENV.globals)
    refs: set[Reference] = set()
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        pair = _attribute(node)
        if pair is not None and pair[0] in roots:
            refs.add(Reference(pair[0], pair[1]))
    return TemplateInfo(roots, frozenset(refs), unknown=unknown)


def templates_in(value: JsonValue, path: str) -> Iterator[tuple[str, str]]:
    """Every string that holds a template inside a JSON value, with its path."""
    if isinstance(value, str):
        if "{{" in value or "{%" in value:
            yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from templates_in(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from templates_in(item, f"{path}[{index}]")
