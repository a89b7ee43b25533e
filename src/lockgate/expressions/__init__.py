"""Sandboxed Jinja2 expressions: one syntax everywhere, checked at compile time, evaluated purely within budgets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockgate.lazy import exports

__all__ = [
    "BUDGETS",
    "REFUSED",
    "BudgetKind",
    "ExpressionError",
    "ExpressionLimits",
    "Prepared",
    "Reference",
    "TemplateInfo",
    "Templates",
    "Watch",
    "expression_budget",
    "inspect_template",
    "prepared",
    "render",
    "render_deep",
    "template_digest",
    "templates_in",
    "truthy",
]

if TYPE_CHECKING:
    from lockgate.expressions.budget import ExpressionLimits, Watch, expression_budget, template_digest
    from lockgate.expressions.errors import BudgetKind, ExpressionError
    from lockgate.expressions.evaluate import BUDGETS, REFUSED, render, render_deep, truthy
    from lockgate.expressions.prepared import Prepared, Templates, prepared
    from lockgate.expressions.references import Reference, TemplateInfo, inspect_template, templates_in
else:
    __getattr__ = exports(
        __name__,
        {
            "budget": ("ExpressionLimits", "Watch", "expression_budget", "template_digest"),
            "errors": ("BudgetKind", "ExpressionError"),
            "evaluate": ("BUDGETS", "REFUSED", "render", "render_deep", "truthy"),
            "prepared": ("Prepared", "Templates", "prepared"),
            "references": ("Reference", "TemplateInfo", "inspect_template", "templates_in"),
        },
    )
