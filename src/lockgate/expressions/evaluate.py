"""Render templates against a context; a string that is one expression keeps its type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jinja2 import TemplateError, Undefined, UndefinedError

from lockgate.expressions.budget import close_meter, open_meter, template_digest
from lockgate.expressions.errors import BudgetKind, ExpressionError
from lockgate.expressions.prepared import prepared

if TYPE_CHECKING:
    from pydantic import JsonValue

    from lockgate.expressions.budget import Meter
    from lockgate.expressions.prepared import Templates

__all__ = ["BUDGETS", "REFUSED", "ExpressionError", "render", "render_deep", "truthy"]

_FALSE_WORDS = frozenset({"", "false", "0", "no", "none", "null", "off"})
# A context key no template can name (it is not an identifier): digests of templates that ran past the time
# budget earlier in the run. They fail at once instead of running again (and replays agree with the first run).
REFUSED = "lockgate.refused"
# Likewise: the (iterations, bytes) budgets the run started with, so that its replays count the same.
BUDGETS = "lockgate.budgets"
_ERRORS = (TemplateError, ArithmeticError, TypeError, ValueError, LookupError, AttributeError, RecursionError)


class _Json:
    """A rendered value as JSON, refusing one larger than the size budget before it is all converted."""

    def __init__(self, meter: Meter, field: str | None) -> None:
        self.meter = meter
        self.field = field
        self.left = meter.max_bytes

    def _spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise self.meter.too_large("the value")

    def convert(self, value: Any) -> JsonValue:
        if isinstance(value, Undefined):
            try:
                str(value)  # StrictUndefined raises here, naming what is missing
            except UndefinedError as exc:
                raise ExpressionError(f"UndefinedError: {exc.message}", self.field) from None
            raise ExpressionError("the expression is undefined", self.field)
        if isinstance(value, str):
            self._spend(len(value) + 2)
            return value
        if value is None or isinstance(value, int | float | bool):
            self._spend(8)
            return value
        if isinstance(value, Mapping):
            self._spend(2 + 2 * len(value))
            self.meter.check_time()
            return {str(k): self.convert(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            self._spend(2 + len(value))
            self.meter.check_time()
            return [self.convert(v) for v in value]
        self.meter.weigh(value, "the value")  # before str(): printing a namespace prints all it holds
        text = str(value)
        self._spend(len(text) + 2)
        return text


def _refused(source: str, context: Mapping[str, Any]) -> bool:
    refused: frozenset[str] | None = context.get(REFUSED)
    return refused is not None and template_digest(source) in refused


def render(
    source: str, context: Mapping[str, Any], field: str | None = None, templates: Templates | None = None
) -> JsonValue:
    """Render one template string; ``"{{ x }}"`` alone returns x's value with its JSON type.

    Within the budgets of the current ``expression_budget`` (defaults outside one); running out of one raises
    ExpressionError with its ``budget`` set. ``templates``: the plan's, where the string was prepared when the
    pipeline was compiled (else it is prepared here, and kept while the process's small cache keeps it).
    """
    if "{" not in source:
        return source
    if _refused(source, context):
        message = "ran past the time budget (LOCKGATE_EXPRESSION_MAX_TIME): it is not evaluated again in this run"
        raise ExpressionError(message, field, BudgetKind.TIME)
    try:
        meter, token = open_meter(context.get(BUDGETS))
    except ExpressionError as exc:
        raise exc.at(field) from None
    try:
        template = templates.get(source) if templates is not None else prepared(source)
        if template.expression is not None:
            return _Json(meter, field).convert(template.value(context))
        return template.render(context)
    except ExpressionError as exc:
        if exc.budget is BudgetKind.TIME and meter.watch is not None and meter.watch.blamed is None:
            meter.watch.blamed = (template_digest(source), field)
        raise (exc if exc.field else exc.at(field)) from None
    except _ERRORS as exc:
        raise ExpressionError(f"{type(exc).__name__}: {exc}", field) from exc
    finally:
        close_meter(token)


def render_deep(
    value: JsonValue, context: Mapping[str, Any], field: str | None = None, templates: Templates | None = None
) -> JsonValue:
    """Render every string inside a JSON value (``templates``: as ``render``)."""
    if isinstance(value, str):
        return render(value, context, field, templates)
    if isinstance(value, dict):
        return {k: render_deep(v, context, f"{field}.{k}" if field else k, templates) for k, v in value.items()}
    if isinstance(value, list):
        return [render_deep(v, context, f"{field}[{i}]" if field else f"[{i}]", templates) for i, v in enumerate(value)]
    return value


def truthy(value: JsonValue) -> bool:
    """How a condition reads a rendered value: the strings ``false``, ``0``, ``no``, ``null``… are false."""
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_WORDS
    return bool(value)
