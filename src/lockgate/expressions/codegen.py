"""The parsed template, rewritten before Jinja compiles it so that everything that repeats is counted.

- every ``for`` draws its items through ``lockgate_loop`` (one iteration of the budget per item, the items a
  loop's ``if`` skips included), which also charges the literal text the loop's body writes;
- a macro or a call block counts an iteration and charges the literal text of its body each time it runs;
- ``{% set %}``, ``{% with %}`` and ``~`` weigh their value, so no value grows past the size budget by being
  built out of shared pieces (``[a, a]`` again and again).

The ``loop(…)`` of a recursive loop is counted where every call from a template goes: the sandbox's ``call``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jinja2 import nodes
from jinja2.visitor import NodeTransformer

from lockgate.expressions.filters import CONCAT, ENTER, LOOP, VALUE

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = ["budgeted"]


def _wrap(node: nodes.Node, name: str, *args: nodes.Expr) -> nodes.Filter:
    wrapped = nodes.Filter(node, name, list(args), [], None, None)
    wrapped.set_lineno(node.lineno or 1)
    return wrapped


def _literal(body: list[nodes.Node]) -> int:
    """The literal text a body writes each time it runs (nested loops and macros charge their own)."""
    size = 0
    todo = list(body)
    while todo:
        node = todo.pop()
        if isinstance(node, nodes.TemplateData):
            size += len(node.data)
        elif not isinstance(node, nodes.For | nodes.Macro | nodes.CallBlock):
            todo.extend(node.iter_child_nodes())
    return size


class _Budgeted(NodeTransformer):
    def visit_For(self, node: nodes.For) -> nodes.Node:  # noqa: N802 - named for Jinja's node classes
        self.generic_visit(node)
        node.iter = _wrap(node.iter, LOOP, nodes.Const(_literal(node.body)))
        return node

    def _charged(self, node: nodes.Macro | nodes.CallBlock) -> nodes.Node:
        self.generic_visit(node)
        # Every run of the body, however it is called (``sorted(key=a_macro)`` calls it from C): an iteration.
        node.body.insert(0, nodes.Output([_wrap(nodes.Const(""), ENTER, nodes.Const(_literal(node.body)))]))
        return node

    def visit_Macro(self, node: nodes.Macro) -> nodes.Node:  # noqa: N802 - named for Jinja's node classes
        return self._charged(node)

    def visit_CallBlock(self, node: nodes.CallBlock) -> nodes.Node:  # noqa: N802 - named for Jinja's node classes
        return self._charged(node)

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:  # noqa: N802 - named for Jinja's node classes
        self.generic_visit(node)
        return _wrap(nodes.List(node.nodes), CONCAT)

    def visit_Assign(self, node: nodes.Assign) -> nodes.Node:  # noqa: N802 - named for Jinja's node classes
        self.generic_visit(node)
        node.node = _wrap(node.node, VALUE)
        return node

    def visit_With(self, node: nodes.With) -> nodes.Node:  # noqa: N802 - named for Jinja's node classes
        self.generic_visit(node)
        node.values = [_wrap(value, VALUE) for value in node.values]
        return node


def budgeted(template: nodes.Template, environment: Environment) -> nodes.Template:
    """The same template, counting what repeats (the tree is changed in place: parse it afresh for this)."""
    body = template.body
    if len(body) == 1 and isinstance(body[0], nodes.Assign) and isinstance(body[0].target, nodes.Name):
        # compile_expression's ``result = <expression>``: its value is measured as it is converted, not here
        body[0].node = _Budgeted().visit(body[0].node)
    else:
        _Budgeted().visit(template)
    template.set_environment(environment)
    return template
