"""``@task``: a Python function a worker runs as a pipeline step, known by its ref and its code hash."""

from __future__ import annotations

import asyncio
import functools
import inspect
from typing import TYPE_CHECKING, Generic, ParamSpec, TypeVar, overload

from pydantic_core import to_jsonable_python

from lockgate.handlers.code_tasks import CodeTask, Next, code_hash, task_ref

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from pydantic import JsonValue

__all__ = ["Task", "call_task", "task"]

P = ParamSpec("P")
R = TypeVar("R")


class Task(Generic[P, R]):
    """A function made a task: call it as the function; add it to pipelines with ``pipe.task()(the_task)``.

    Its ``ref`` (``module:qualname``) names it to workers, which import the module (``lockgate worker
    --tasks module``); its ``code_hash`` pins the code a step ran: a worker refuses an attempt whose hash
    it does not have.
    """

    def __init__(self, fn: Callable[P, R], *, version: str | None = None) -> None:
        """Made by ``@task`` (or ``@pipe.task``).

        Raises:
            ValueError: ``fn`` cannot be imported by a worker (a lambda, or a function defined in a function).
        """
        self._fn = fn
        self._version = version
        self._ref = task_ref(fn)
        self._code_hash = code_hash(fn, version=version)
        functools.update_wrapper(self, fn)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Call the plain function."""
        return self._fn(*args, **kwargs)

    @property
    def fn(self) -> Callable[P, R]:
        """The plain function."""
        return self._fn

    @property
    def ref(self) -> str:
        """``package.module:qualname``: where a worker that imports the module finds the function."""
        return self._ref

    @property
    def code_hash(self) -> str:
        """The sha256 of the function's code (syntax tree, closure, constants it reads) and ``version``."""
        return self._code_hash

    @property
    def version(self) -> str | None:
        """The version given to ``@task(version=…)``, part of the code hash."""
        return self._version

    def run_local(self, **inputs: object) -> JsonValue | Next:
        """Run just this function as a step would: inputs by name, awaited if async, the output as JSON.

        Args:
            **inputs: the step's inputs, one per parameter (parameters with a default may be left out).

        Returns:
            The output as the step would record it (a pydantic model or a dataclass dumped to JSON), or the
            ``Next`` the function returned.

        Raises:
            TypeError: an input is not a parameter of the function, or a parameter without a default has none.
        """
        return call_task(self._fn, self._ref, inputs)

    def __lockgate_tasks__(self) -> Iterator[CodeTask]:
        """What ``lockgate worker --tasks module`` registers: this function under its ref and hash."""
        yield CodeTask(self._ref, self._code_hash, self._fn)

    def __repr__(self) -> str:
        """Ref and short hash."""
        return f"Task({self._ref!r}, code_hash={self._code_hash[:12]!r})"


def call_task(fn: Callable[..., object], ref: str, inputs: dict[str, object]) -> JsonValue | Next:
    """Call ``fn`` with ``inputs`` as keyword arguments as the task handler does, outside any run."""
    try:
        inspect.signature(fn).bind(**inputs)
    except TypeError as exc:
        raise TypeError(f"task {ref}: {exc}") from None
    result = fn(**inputs)
    if inspect.isawaitable(result):
        result = asyncio.run(_awaited(result))
    if isinstance(result, Next):
        return result
    output: JsonValue = to_jsonable_python(result)
    return output


async def _awaited(value: object) -> object:
    return await value  # type: ignore[misc]  # an awaitable, checked by the caller


@overload
def task(fn: Callable[P, R], /) -> Task[P, R]: ...
@overload
def task(*, version: str | None = None) -> Callable[[Callable[P, R]], Task[P, R]]: ...
def task(
    fn: Callable[P, R] | None = None, /, *, version: str | None = None
) -> Task[P, R] | Callable[[Callable[P, R]], Task[P, R]]:
    """Make a function a reusable task: ``@task`` or ``@task(version="2")``.

    A task is the plain function still (call it in tests), with a ``ref`` and a ``code_hash``; add it to a
    pipeline with ``pipe.task(name="fetch")(fetch)``, or write ``@pipe.task`` directly for a task of one
    pipeline.

    Args:
        fn: the function (when used as ``@task`` without parentheses).
        version: a label that enters the code hash: bump it to mark a change the hash cannot see (a
            library the function calls changed).

    Returns:
        The ``Task``, or a decorator making one.

    Raises:
        ValueError: the function is a lambda or defined inside another function: a worker could not import it.
    """

    def make(inner: Callable[P, R]) -> Task[P, R]:
        return Task(inner, version=version)

    return make if fn is None else make(fn)
