"""Jinja's filters and globals as Lockgate offers them: every one that can build a huge value checks first.

The ``lockgate_*`` filters are what the compiler inserts (``codegen.py``): they count loop iterations, charge the
text a loop body writes, and weigh values that are assigned or concatenated. They take the context only so that
Jinja never evaluates them at compile time.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from jinja2 import filters as jf
from jinja2 import pass_context
from jinja2.utils import Cycler, Joiner, Namespace

from lockgate.expressions.budget import current_meter
from lockgate.expressions.errors import BudgetKind, ExpressionError
from lockgate.expressions.guards import check_percent, check_result

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from jinja2.runtime import Context

__all__ = ["CONCAT", "ENTER", "GLOBALS", "LOOP", "VALUE", "counted", "filters"]

LOOP = "lockgate_loop"
ENTER = "lockgate_enter"
CONCAT = "lockgate_concat"
VALUE = "lockgate_value"

# Characters copied (in C, fast) that count as one iteration of the budget.
_COPIES_PER_ITERATION = 1000
# Nondeterministic: a replayed transition must render what the first one did.
_LEFT_OUT = frozenset({"random"})


def counted(iterable: Iterable[Any], literal: int = 0) -> Iterator[Any]:
    """Items of a loop, each one an iteration of the budget; ``literal``: the text its body writes each time.

    ``Meter.tick`` and ``Meter.charge`` inlined: this runs once per item of every loop, on the hot path.
    """
    meter = current_meter()
    limit = meter.max_iterations
    for item in iterable:
        meter.iterations += 1
        if meter.iterations > limit or not meter.iterations & 31:
            meter.iterations -= 1
            meter.tick()
        if literal:
            meter.produced += literal
            if meter.produced > meter.max_produced:
                raise meter.overproduced()
        yield item


@pass_context
def _loop(context: Context, iterable: Iterable[Any], literal: int) -> Iterator[Any]:  # noqa: ARG001 - keeps Jinja from folding it
    return counted(iterable, literal)


@pass_context
def _enter(context: Context, nothing: str, literal: int) -> str:  # noqa: ARG001
    """A macro's (or call block's) body starts: one iteration, and the literal text it writes."""
    meter = current_meter()
    meter.tick()
    meter.charge(literal)
    return nothing


@pass_context
def _concat(context: Context, parts: list[Any]) -> str:  # noqa: ARG001
    meter = current_meter()
    meter.weigh(parts, "the text joined with ~")
    return "".join(map(str, parts))


@pass_context
def _value(context: Context, value: Any) -> Any:  # noqa: ARG001
    current_meter().weigh(value, "the value assigned")
    return value


def _text(value: Any) -> str:
    current_meter().weigh(value, "the value as text")
    return str(value)


@pass_context
def _center(context: Context, value: Any, width: Any = 80) -> str:  # noqa: ARG001
    text = _text(value)
    current_meter().fits(max(len(text), width if isinstance(width, int) else 0), "the centred text")
    return text.center(width)


@pass_context
def _indent(context: Context, s: Any, width: Any = 4, first: bool = False, blank: bool = False) -> str:  # noqa: ARG001 - Jinja's signature
    text = _text(s)
    step = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    current_meter().fits(len(text) + (text.count("\n") + 1) * max(step, 0), "the indented text")
    return jf.do_indent(text, width, first, blank)


@pass_context
def _wordwrap(context: Context, s: Any, width: Any = 79, break_long_words: bool = True,
              wrapstring: str | None = None, break_on_hyphens: bool = True) -> str:  # fmt: skip
    text = _text(s)
    wrap = wrapstring if wrapstring is not None else context.environment.newline_sequence
    lines = len(text) // max(width if isinstance(width, int) else 1, 1) + text.count("\n") + 1
    meter = current_meter()
    meter.fits(len(text) + lines * len(str(wrap)), "the wrapped text")
    if break_long_words:  # textwrap copies the rest of a long word for every line it cuts off: quadratic
        copies = sum(len(word) ** 2 for word in text.split() if len(word) > 64) // max(width, 1)
        if copies > meter.max_iterations * _COPIES_PER_ITERATION:
            raise ExpressionError(
                f"wrapping words this long at width {width} would copy {copies:,} characters: over the iteration "
                "budget (LOCKGATE_EXPRESSION_MAX_ITERATIONS)",
                budget=BudgetKind.ITERATIONS,
            )
    return jf.do_wordwrap(context.environment, text, width, break_long_words, wrapstring, break_on_hyphens)


@pass_context
def _format(context: Context, value: Any, *args: Any, **kwargs: Any) -> str:  # noqa: ARG001
    text = _text(value)
    check_percent(current_meter(), text, kwargs or args)
    return check_result(current_meter(), jf.do_format(text, *args, **kwargs), "the formatted text")  # type: ignore[no-any-return]


@pass_context
def _replace(context: Context, s: Any, old: Any, new: Any, count: Any = None) -> str:
    text, old_text, new_text = _text(s), _text(old), _text(new)
    hits = len(text) + 1 if not old_text else text.count(old_text)
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    current_meter().fits(len(text) + hits * max(len(new_text) - len(old_text), 0), "the replaced text")
    return jf.do_replace(context.eval_ctx, text, old_text, new_text, count)


@pass_context
def _join(context: Context, value: Iterable[Any], d: str = "", attribute: str | int | None = None) -> str:
    items = list(value)
    if attribute is not None:
        items = list(map(jf.make_attrgetter(context.environment, attribute), items))
    current_meter().fits(
        current_meter().weigh(items, "the joined list") + len(_text(d)) * max(len(items) - 1, 0), "the joined text"
    )
    return jf.sync_do_join(context.eval_ctx, items, d)


@pass_context
def _batch(context: Context, value: Iterable[Any], linecount: Any, fill_with: Any = None) -> Iterator[list[Any]]:  # noqa: ARG001
    current_meter().fits(linecount if isinstance(linecount, int) else 0, "a batch")
    return jf.do_batch(value, linecount, fill_with)


@pass_context
def _slice(context: Context, value: Any, slices: Any, fill_with: Any = None) -> Iterator[list[Any]]:  # noqa: ARG001
    meter = current_meter()
    if isinstance(slices, int) and slices > meter.max_iterations:
        raise ExpressionError(
            f"slice({slices:,}) is more slices than the iteration budget of {meter.max_iterations:,} "
            "(LOCKGATE_EXPRESSION_MAX_ITERATIONS)",
            budget=BudgetKind.ITERATIONS,
        )
    return jf.sync_do_slice(value, slices, fill_with)


def _numeric_start(start: Any) -> None:
    if not isinstance(start, int | float):  # sum([lists], []) would copy every list again at each step
        raise ExpressionError(f"sum adds numbers; its start is {type(start).__name__}")


@pass_context
def _sum_filter(context: Context, iterable: Iterable[Any], attribute: str | int | None = None, start: Any = 0) -> Any:
    _numeric_start(start)
    return jf.sync_do_sum(context.environment, iterable, attribute, start)


def _sum(iterable: Iterable[Any], start: Any = 0) -> Any:
    _numeric_start(start)
    return sum(iterable, start)


@pass_context
def _urlize(context: Context, value: Any, trim_url_limit: int | None = None, nofollow: bool = False,
            target: str | None = None, rel: str | None = None, extra_schemes: Any = None) -> str:  # fmt: skip
    text = _text(value)
    links = text.count(".") + text.count("@") + text.count(":") + 1  # every link has one of them
    extra = len(_text(target or "")) + len(_text(rel or "")) + 64
    current_meter().fits(2 * len(text) + links * extra, "the text with links")
    return jf.do_urlize(context.eval_ctx, text, trim_url_limit, nofollow, target, rel, extra_schemes)


def _tojson(value: Any) -> str:
    current_meter().weigh(value, "the value as JSON")
    return json.dumps(value, sort_keys=True, default=str)


def _weighed(fn: Callable[..., str], what: str) -> Callable[..., str]:
    def weighed(value: Any, *args: Any, **kwargs: Any) -> str:
        current_meter().weigh(value, what)
        return fn(value, *args, **kwargs)

    return weighed


def _measured(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Any other filter: a text it returns must fit the size budget (escape, urlencode, upper… grow a little)."""

    @functools.wraps(fn)  # keeps Jinja's pass_context/eval_context/environment marker
    def measured(*args: Any, **kwargs: Any) -> Any:
        return check_result(current_meter(), fn(*args, **kwargs), "the filtered text")

    return measured


def _range(*args: int) -> range:
    span = range(*args)
    limit = current_meter().max_iterations
    try:
        size = len(span)
    except OverflowError:
        size = limit + 1
    if size > limit:
        raise ExpressionError(
            f"range with {size:,} items is more than the iteration budget of {limit:,} "
            "(LOCKGATE_EXPRESSION_MAX_ITERATIONS)",
            budget=BudgetKind.ITERATIONS,
        )
    return span


_GUARDED: dict[str, Callable[..., Any]] = {
    "center": _center,
    "indent": _indent,
    "wordwrap": _wordwrap,
    "format": _format,
    "replace": _replace,
    "join": _join,
    "batch": _batch,
    "slice": _slice,
    "sum": _sum_filter,
    "urlize": _urlize,
    "string": _weighed(str, "the value as text"),
    "pprint": _weighed(jf.do_pprint, "the value as text"),
    "xmlattr": _measured(jf.do_xmlattr),
    "tojson": _tojson,
    "json": _tojson,
    LOOP: _loop,
    ENTER: _enter,
    CONCAT: _concat,
    VALUE: _value,
}


def filters(builtin: dict[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """The filters of the environment, built from Jinja's."""
    out = {name: _measured(fn) for name, fn in builtin.items() if name not in _LEFT_OUT}
    out.update(_GUARDED)
    return out


# Jinja's ``lipsum`` is left out: it draws random words.
GLOBALS: dict[str, Any] = {
    "range": _range,
    "dict": dict,
    "cycler": Cycler,
    "joiner": Joiner,
    "namespace": Namespace,
    "len": len,
    "min": min,
    "max": max,
    "sum": _sum,
    "sorted": sorted,
    "abs": abs,
    "round": round,
}
