"""The one sandboxed Jinja2 environment and its compiled-template cache.

Templates are written by editors, who are trusted with pipelines but not with the server: every evaluation
runs within the budgets of ``budget.py`` (the sandbox's hooks below are where they are checked).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from types import BuiltinMethodType
from typing import TYPE_CHECKING, Any

from jinja2 import StrictUndefined, nodes
from jinja2.filters import FILTERS
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment

from lockgate.expressions.budget import METER, current_meter
from lockgate.expressions.codegen import budgeted
from lockgate.expressions.filters import GLOBALS, counted, filters
from lockgate.expressions.guards import check_binop, check_method, check_result, check_str_format

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from jinja2.runtime import Context

__all__ = ["ENV", "compiled_expression", "compiled_template", "concat", "finalize", "parse", "single_expression"]


def finalize(value: Any) -> Any:
    """Every ``{{ … }}`` a template writes: it fits the size budget and counts towards what was produced."""
    meter = METER.get() or current_meter()  # none while Jinja folds a constant at compile time
    size = len(value) if type(value) is str else meter.weigh(value, "a printed value")
    if size > meter.max_bytes:
        meter.fits(size, "a printed value")
    meter.produced += size
    if meter.produced > meter.max_produced:
        raise meter.overproduced()
    return value


def concat(parts: Iterable[str]) -> str:
    """The rendered text, and every block a template captures (set blocks, macros, filter and call blocks)."""
    text = "".join(parts)
    current_meter().fits(len(text), "the rendered text")
    return text


_NUMBERS = frozenset({int, float})


class _DataEnvironment(ImmutableSandboxedEnvironment):
    """``a.b`` reads the key ``b`` of a mapping before its method.

    Run data is JSON, where ``nodes.items`` or ``output.keys`` name a node or a key, never ``dict.items``.
    """

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    concat = staticmethod(concat)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if (type(obj) is dict or isinstance(obj, Mapping)) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:  # noqa: ARG002
        if operator == "+" and type(left) in _NUMBERS and type(right) in _NUMBERS:  # the common case, cheaply
            return left + right
        meter = current_meter()
        check_binop(meter, operator, left, right)
        return check_result(meter, self.binop_table[operator](left, right), "the result")

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's signature
        meter = current_meter()
        if isinstance(__obj, Macro):  # counted as it starts (codegen.py); its arguments weighed here
            meter.weigh((args, kwargs), "the arguments of a macro call")
        elif isinstance(__obj, LoopContext):  # ``loop(children)`` in a recursive loop
            meter.tick()
            args = (counted(args[0]), *args[1:]) if args else args
        elif isinstance(__obj, BuiltinMethodType):
            args = check_method(meter, __obj, args, kwargs)
        meter.check_time()
        return check_result(meter, super().call(__context, __obj, *args, **kwargs), "the result of a call")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt, by_map = value.__self__, value.__name__ == "format_map"

        def guarded(*args: Any, **kwargs: Any) -> str:
            meter = current_meter()
            if by_map and len(args) == 1 and isinstance(args[0], Mapping):
                check_str_format(meter, fmt, (), args[0])
            else:
                check_str_format(meter, fmt, args, kwargs)
            return check_result(meter, wrapped(*args, **kwargs), "the formatted text")  # type: ignore[no-any-return]

        return guarded

    def _generate(
        self, source: nodes.Template, name: str | None, filename: str | None, defer_init: bool = False
    ) -> str:
        return super()._generate(budgeted(source, self), name, filename, defer_init)


# Immutable: templates may read the run's data but never change it (no list.append in an expression).
ENV = _DataEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True, finalize=finalize)
ENV.filters = filters(FILTERS)
ENV.globals = dict(GLOBALS)

_SINGLE = re.compile(r"^\s*\{\{(?P<expr>.*)\}\}\s*$", re.DOTALL)


def single_expression(source: str) -> str | None:
    """The expression inside a string that is exactly one ``{{ … }}``, else None."""
    match = _SINGLE.match(source)
    if match is None:
        return None
    expr = match.group("expr")
    if "{{" in expr or "}}" in expr or "{%" in source:
        return None
    return expr


@lru_cache(maxsize=4096)
def compiled_expression(expr: str) -> Any:
    return ENV.compile_expression(expr, undefined_to_none=False)


@lru_cache(maxsize=4096)
def compiled_template(source: str) -> Any:
    return ENV.from_string(source)


def parse(source: str) -> nodes.Template:
    return ENV.parse(source)
