"""Sandboxed Jinja2 expressions: one syntax everywhere, checked at compile time, evaluated purely."""

from lockgate.expressions.evaluate import ExpressionError, render, render_deep, truthy
from lockgate.expressions.references import Reference, TemplateInfo, inspect_template, templates_in

__all__ = [
    "ExpressionError",
    "Reference",
    "TemplateInfo",
    "inspect_template",
    "render",
    "render_deep",
    "templates_in",
    "truthy",
]
