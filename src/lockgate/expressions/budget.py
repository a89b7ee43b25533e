"""What one evaluation may use: loop iterations, bytes, and a deadline shared by one transition's evaluations.

Iterations and sizes are counted, so they fail the same way every time (replays agree). Time is not: the
runtime gives each ``advance`` a ``Watch``; the evaluation still running when it expires is *blamed* and the
runtime records that as an event, after which that template fails at once in this run, replays included.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import ItemsView, KeysView, Mapping, ValuesView
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from jinja2.utils import Namespace

from lockgate.expressions.errors import BudgetKind, ExpressionError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from contextvars import Token

__all__ = [
    "METER",
    "PRODUCED_FACTOR",
    "ExpressionLimits",
    "Meter",
    "Watch",
    "close_meter",
    "current_meter",
    "expression_budget",
    "open_meter",
    "template_digest",
    "weigh",
]

# All the text one evaluation produces (blocks captured by ``set``, macros and filters included) may be this many
# times the size budget: the rendered text is one copy, a captured block printed again is another.
PRODUCED_FACTOR = 4


@dataclass(frozen=True, slots=True)
class ExpressionLimits:
    max_iterations: int = 100_000
    max_bytes: int = 1 << 20
    max_time: timedelta = timedelta(seconds=1)


class Watch:
    """One deadline for every evaluation of a transition; ``blamed`` is the first template caught running past it."""

    __slots__ = ("blamed", "deadline", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.blamed: tuple[str, str | None] | None = None  # (template digest, field)


class Meter:
    """What one evaluation has used so far."""

    __slots__ = ("deadline", "iterations", "max_bytes", "max_iterations", "max_produced", "produced", "watch")

    def __init__(self, max_iterations: int, max_bytes: int, watch: Watch | None) -> None:
        self.max_iterations = max_iterations
        self.max_bytes = max_bytes
        self.max_produced = max_bytes * PRODUCED_FACTOR
        self.watch = watch
        self.deadline = watch.deadline if watch is not None else None
        self.iterations = 0
        self.produced = 0

    def tick(self) -> None:
        """One loop iteration or macro call."""
        self.iterations += 1
        if self.iterations > self.max_iterations:
            raise ExpressionError(
                f"more than {self.max_iterations:,} loop iterations: over the iteration budget "
                "(LOCKGATE_EXPRESSION_MAX_ITERATIONS)",
                budget=BudgetKind.ITERATIONS,
            )
        if not self.iterations & 31 and self.deadline is not None and time.monotonic() > self.deadline:
            raise self.late()

    def check_time(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise self.late()

    def late(self) -> ExpressionError:
        seconds = self.watch.seconds if self.watch is not None else 0.0
        return ExpressionError(
            f"still running after {seconds:g} s: over the time budget (LOCKGATE_EXPRESSION_MAX_TIME)",
            budget=BudgetKind.TIME,
        )

    def fits(self, size: int, what: str) -> None:
        """Refuse a value of ``size`` bytes (checked before it is built, where it can be)."""
        if size > self.max_bytes:
            raise ExpressionError(
                f"{what} would be {size:,} bytes, more than the size budget of {self.max_bytes:,} "
                "(LOCKGATE_EXPRESSION_MAX_BYTES)",
                budget=BudgetKind.SIZE,
            )

    def too_large(self, what: str) -> ExpressionError:
        """For a size that is not known exactly, only that it is too large."""
        return ExpressionError(
            f"{what} is larger than the size budget of {self.max_bytes:,} bytes (LOCKGATE_EXPRESSION_MAX_BYTES)",
            budget=BudgetKind.SIZE,
        )

    def charge(self, size: int) -> None:
        """Text written to the output (or to a block that captures it)."""
        self.produced += size
        if self.produced > self.max_produced:
            raise self.overproduced()

    def overproduced(self) -> ExpressionError:
        return ExpressionError(
            f"produced more than {self.max_produced:,} bytes of text: over {PRODUCED_FACTOR}x "
            "the size budget (LOCKGATE_EXPRESSION_MAX_BYTES)",
            budget=BudgetKind.SIZE,
        )

    def weigh(self, value: Any, what: str) -> int:
        size = weigh(value, self.max_bytes)
        self.fits(size, what)
        return size


_SCOPE: ContextVar[tuple[ExpressionLimits, Watch | None]] = ContextVar(
    "lockgate_expression_scope", default=(ExpressionLimits(), None)
)
METER: ContextVar[Meter | None] = ContextVar("lockgate_expression_meter", default=None)


@contextmanager
def expression_budget(limits: ExpressionLimits, *, timed: bool = False) -> Iterator[Watch | None]:
    """Evaluations inside use ``limits``; ``timed`` gives them one deadline, ``limits.max_time`` from now."""
    watch = Watch(limits.max_time.total_seconds()) if timed else None
    token = _SCOPE.set((limits, watch))
    try:
        yield watch
    finally:
        _SCOPE.reset(token)


def open_meter(budgets: tuple[int, int] | None = None) -> tuple[Meter, Token[Meter | None]]:
    """A meter for one evaluation; the caller resets the token. Refuses at once once the watch has blamed someone.

    ``budgets`` (iterations, bytes): the run's own, recorded when it started; else the scope's.
    """
    limits, watch = _SCOPE.get()
    if budgets is None:
        budgets = (limits.max_iterations, limits.max_bytes)
    meter = Meter(*budgets, watch)
    if watch is not None and watch.blamed is not None:
        raise meter.late()
    return meter, METER.set(meter)


def close_meter(token: Token[Meter | None]) -> None:
    METER.reset(token)


def current_meter() -> Meter:
    """The evaluation's meter; outside one (Jinja folding constants while compiling) a fresh one."""
    meter = METER.get()
    if meter is not None:
        return meter
    limits, watch = _SCOPE.get()
    return Meter(limits.max_iterations, limits.max_bytes, watch)


def template_digest(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def _scalar(item: Any) -> int:
    return item.bit_length() // 3 + 1 if type(item) is int else 8


_SCALARS = {int: _scalar, float: _scalar, bool: _scalar, type(None): _scalar}


def weigh(value: Any, limit: int) -> int:
    """About the size of a value as text (JSON or repr), counted no further than just past ``limit``.

    Shared references count every time they appear: ``[a, a]`` weighs twice ``a``, as printing it would.
    """
    total = 0
    stack = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or kind is bytes:
            total += len(item) + 2
        elif kind is list or kind is tuple:
            total += 2 + len(item)
            if total <= limit:
                extend(item)
        elif kind is dict:
            total += 2 + 2 * len(item)
            if total <= limit:
                extend(item.keys())
                extend(item.values())
        elif kind in _SCALARS:
            total += _SCALARS[kind](item)
        else:
            total += _other(item, stack)
        if total > limit:
            return total
    return total


def _other(item: Any, stack: list[Any]) -> int:
    """Subclasses (Markup) and views: pushes what printing them would print, returns their own share."""
    if isinstance(item, str | bytes):
        return len(item) + 2
    if isinstance(item, Mapping):
        stack.extend(item.keys())
        stack.extend(item.values())
        return 2 + 2 * len(item)
    if isinstance(item, ItemsView | list | tuple | set | frozenset | KeysView | ValuesView):
        stack.extend(item)
        return 2 + len(item)
    if isinstance(item, Namespace):
        stack.append(item._Namespace__attrs)  # printed as its attributes
    return 8
