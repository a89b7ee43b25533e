"""Checks before an operation can build a huge value: operators, string methods and formatting.

Each check estimates the size of the result from its operands and refuses it before Python allocates it (a
``'a' * 10**10`` is refused, not attempted); what cannot be estimated is measured afterwards.
"""

from __future__ import annotations

import math
import re
from string import Formatter
from typing import TYPE_CHECKING, Any

from lockgate.expressions.budget import weigh
from lockgate.expressions.errors import BudgetKind, ExpressionError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from lockgate.expressions.budget import Meter

__all__ = ["MAX_INT_BYTES", "check_binop", "check_method", "check_percent", "check_result", "check_str_format"]

_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_DIGITS = re.compile(r"\d+")
_TEXT = (str, bytes)
MAX_INT_BYTES = 4096


def _big(digits: str, limit: int) -> bool:
    return len(digits) > 12 or int(digits) > limit


def _ints(values: Any) -> list[int]:
    return [v for v in values if _number(v)]


def _no_big_ints(meter: Meter, values: Any, what: str) -> None:
    for value in _ints(values):
        meter.fits(value, what)


def check_percent(meter: Meter, fmt: str | bytes, values: Any) -> None:
    """``fmt % values``: no field wider than the budget, and the values themselves printable within it."""
    meter.weigh(values, "the values formatted into the text")
    text = fmt.decode(errors="replace") if isinstance(fmt, bytes) else fmt
    star = False
    for match in _PERCENT.finditer(text):
        for group in match.groups():
            if group == "*":
                star = True
            elif group and _big(group, meter.max_bytes):
                raise meter.too_large(f"a formatted field of width {group[:20]}")
    if star:
        _no_big_ints(meter, values if isinstance(values, tuple) else (values,), "a formatted field")


def check_str_format(meter: Meter, fmt: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """``fmt.format(*args, **kwargs)``: the same rules as ``%`` for its replacement fields."""
    meter.weigh((args, dict(kwargs)), "the values formatted into the text")
    try:
        fields = list(Formatter().parse(fmt))
    except ValueError:
        return  # str.format will say what is wrong with it
    for _, _, spec, _ in fields:
        if not spec:
            continue
        if "{" in spec:  # a nested width comes from the arguments
            _no_big_ints(meter, [*args, *kwargs.values()], "a formatted field")
        for digits in _DIGITS.findall(spec):
            if _big(digits, meter.max_bytes):
                raise meter.too_large(f"a formatted field of width {digits[:20]}")


def _repeat(meter: Meter, seq: Any, times: int) -> None:
    times = max(times, 0)
    if isinstance(seq, _TEXT):
        meter.fits(len(seq) * times, "a repeated text")
    elif isinstance(seq, list | tuple):
        meter.fits(weigh(seq, meter.max_bytes) * times, "a repeated list")


def _number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_fits(meter: Meter, size: int, what: str) -> None:
    # Multiplying megabyte integers takes seconds in one uninterruptible step: integers stay far smaller.
    if size > MAX_INT_BYTES:
        raise ExpressionError(
            f"{what} would be an integer of {size:,} bytes, more than the {MAX_INT_BYTES:,} bytes an integer may have "
            "(a fixed limit: multiplying larger ones cannot be interrupted)",
            budget=BudgetKind.SIZE,
        )
    meter.check_time()


def _check_mul(meter: Meter, left: Any, right: Any) -> None:
    if _number(left) and _number(right):
        _int_fits(meter, (left.bit_length() + right.bit_length()) // 8, "a product")
    elif _number(right):
        _repeat(meter, left, right)
    elif _number(left):
        _repeat(meter, right, left)


def _check_add(meter: Meter, left: Any, right: Any) -> None:
    if isinstance(left, _TEXT) and isinstance(right, _TEXT):
        meter.fits(len(left) + len(right), "a joined text")
    elif isinstance(left, list | tuple) and isinstance(right, list | tuple):
        meter.fits(len(left) + len(right), "a joined list")


def check_binop(meter: Meter, operator: str, left: Any, right: Any) -> None:
    """Before ``left <operator> right`` (the operators Jinja lets the sandbox intercept)."""
    if operator == "*":
        _check_mul(meter, left, right)
    elif operator == "**":
        if _number(left) and _number(right) and right > 0 and abs(left) > 1:
            _int_fits(meter, int(min(math.log2(abs(left)) * right, 2.0**62)) // 8, "a power")
    elif operator == "+":
        _check_add(meter, left, right)
    elif operator == "%" and isinstance(left, _TEXT):
        check_percent(meter, left, right)
    meter.check_time()


def check_result(meter: Meter, value: Any, what: str) -> Any:
    """What an operation returned, measured where it could not be estimated before."""
    if isinstance(value, _TEXT):
        meter.fits(len(value), what)
    return value


def _replace(meter: Meter, owner: str | bytes, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    old, new = (*args, None, None)[:2]  # str.replace takes them by position only
    if not isinstance(old, _TEXT) or not isinstance(new, _TEXT):
        return
    hits = len(owner) + 1 if not old else owner.count(old)  # type: ignore[arg-type]  # same type, or TypeError
    count = args[2] if len(args) > 2 else kwargs.get("count", -1)
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    meter.fits(len(owner) + hits * max(len(new) - len(old), 0), "the replaced text")


def _join(meter: Meter, owner: str | bytes, args: tuple[Any, ...]) -> tuple[Any, ...]:
    if not args:
        return args
    items = list(args[0])  # a generator is read once: here, then joined from the list
    size = weigh(items, meter.max_bytes) + len(owner) * max(len(items) - 1, 0)
    meter.fits(size, "the joined text")
    return (items, *args[1:])


def _translate(meter: Meter, owner: str | bytes, args: tuple[Any, ...]) -> None:
    table = args[0] if args else None
    if isinstance(table, dict):
        longest = max((len(v) for v in table.values() if isinstance(v, _TEXT)), default=1)
        meter.fits(len(owner) * max(longest, 1), "the translated text")


def _expand(meter: Meter, owner: str | bytes, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    size = args[0] if args else kwargs.get("tabsize", 8)
    if isinstance(size, int):
        tabs = owner.count("\t" if isinstance(owner, str) else b"\t")  # type: ignore[arg-type]
        meter.fits(len(owner) + tabs * max(size, 0), "the expanded text")


def check_method(
    meter: Meter, method: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> tuple[Any, ...]:
    """Before a method of a built-in value is called: its numbers and its growth stay within the size budget.

    Returns the arguments to call it with (``join`` reads a generator once, before the check).
    """
    owner = getattr(method, "__self__", None)
    name = getattr(method, "__name__", "")
    if not isinstance(owner, str | bytes | int) or isinstance(owner, bool):
        return args
    if name != "join":  # a width, a length, a count: ljust, zfill, center, to_bytes, expandtabs…
        _no_big_ints(meter, [*args, *kwargs.values()], f"the result of {type(owner).__name__}.{name}")
    if isinstance(owner, int):
        return args
    if name == "replace":
        _replace(meter, owner, args, kwargs)
    elif name == "join":
        return _join(meter, owner, args)
    elif name == "translate":
        _translate(meter, owner, args)
    elif name == "expandtabs":
        _expand(meter, owner, args, kwargs)
    return args
