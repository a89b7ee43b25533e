"""Render templates against a context; a string that is one expression keeps its type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jinja2 import TemplateError, Undefined, UndefinedError

from lockgate.expressions.environment import compiled_expression, compiled_template, single_expression

if TYPE_CHECKING:
    from pydantic import JsonValue

__all__ = ["ExpressionError", "render", "render_deep", "truthy"]

_FALSE_WORDS = frozenset({"", "false", "0", "no", "none", "null", "off"})


class ExpressionError(Exception):
    """An expression failed to evaluate; ``field`` says where it was written."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.message = message
        self.field = field


def _to_json(value: Any, field: str | None) -> JsonValue:
    if isinstance(value, Undefined):
        try:
            str(value)  # StrictUndefined raises here, naming what is missing
        except UndefinedError as exc:
            raise ExpressionError(f"UndefinedError: {exc.message}", field) from None
        raise ExpressionError("the expression is undefined", field)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(k): _to_json(v, field) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(v, field) for v in value]
    return str(value)


def render(source: str, context: Mapping[str, Any], field: str | None = None) -> JsonValue:
    """Render one template string; ``"{{ x }}"`` alone returns x's value with its JSON type."""
    if "{" not in source:
        return source
    try:
        expr = single_expression(source)
        if expr is not None:
            return _to_json(compiled_expression(expr)(**context), field)
        return str(compiled_template(source).render(**context))
    except ExpressionError:
        raise
    except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as exc:
        raise ExpressionError(f"{type(exc).__name__}: {exc}", field) from exc


def render_deep(value: JsonValue, context: Mapping[str, Any], field: str | None = None) -> JsonValue:
    """Render every string inside a JSON value."""
    if isinstance(value, str):
        return render(value, context, field)
    if isinstance(value, dict):
        return {k: render_deep(v, context, f"{field}.{k}" if field else k) for k, v in value.items()}
    if isinstance(value, list):
        return [render_deep(v, context, f"{field}[{i}]" if field else f"[{i}]") for i, v in enumerate(value)]
    return value


def truthy(value: JsonValue) -> bool:
    """How a condition reads a rendered value: the strings ``false``, ``0``, ``no``, ``null``… are false."""
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_WORDS
    return bool(value)
