"""The ``task`` kind: a Python function the worker imported at start, called with the step's inputs.

A definition pins a function by ``ref`` (``package.module:qualname``) and ``code_hash``. The worker runs only
functions it registered from the modules it was told to load (``--tasks``): the handler never imports by ref,
so an editor cannot make a worker import a module (and run its import side effects).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pydantic import JsonValue
from pydantic_core import PydanticSerializationError, to_jsonable_python

from lockgate.errors import LockgateError, PermanentStepError, RetryableStepError, StepError
from lockgate.handlers.code_hash import code_hash, task_ref
from lockgate.handlers.context import HandlerContext, StepResult

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from lockgate.handlers.registry import HandlerFn
    from lockgate.spec.nodes import TaskConfig

__all__ = [
    "CodeTask",
    "CodeTasks",
    "Next",
    "TaskLoadError",
    "TaskSource",
    "code_hash",
    "handler",
    "load_tasks",
    "task_ref",
]

TASK_NOT_REGISTERED = "task_not_registered"
TASK_CODE_MISMATCH = "task_code_mismatch"
TASK_ARGUMENTS = "task_arguments"
TASK_ERROR = "task_error"


@dataclass(frozen=True, slots=True, init=False)
class Next:
    """What a task returns to route: some of its declared successors (``[]``: none), and its output.

    ``Next(["pay"])``, ``Next(["pay", "notify"], output={...})``: any iterable of node ids, kept as a tuple.
    """

    nodes: tuple[str, ...]
    output: JsonValue

    def __init__(self, nodes: Iterable[str], output: JsonValue = None) -> None:
        if isinstance(nodes, str):  # Next("pay") would route to "p", "a", "y"
            raise TypeError(f"Next takes a list of node ids, not one string: Next([{nodes!r}])")
        object.__setattr__(self, "nodes", tuple(nodes))
        object.__setattr__(self, "output", output)


@dataclass(frozen=True, slots=True)
class CodeTask:
    """A function a worker may run, under the ref and code hash a definition pins."""

    ref: str
    code_hash: str
    fn: Callable[..., object]


@runtime_checkable
class TaskSource(Protocol):
    """What ``CodeTasks.load`` collects from a module's globals, beside plain ``CodeTask`` values."""

    def __lockgate_tasks__(self) -> Iterable[CodeTask]: ...


class TaskLoadError(LockgateError):
    """A module given to ``--tasks`` failed to import, or registers a ref twice with two hashes."""

    code = "task_module_error"

    def __init__(self, module: str, detail: str) -> None:
        self.module = module
        super().__init__(f"task module {module!r}: {detail}")


class CodeTasks:
    """The code tasks one process may run, keyed by ref.

    Args:
        on_caller_thread: call a sync task function on the event loop's thread (``run_local``, so a
            ``breakpoint()`` stops in it); otherwise it runs in a worker thread (``asyncio.to_thread``).
    """

    def __init__(self, *, on_caller_thread: bool = False) -> None:
        self.on_caller_thread = on_caller_thread
        self._tasks: dict[str, CodeTask] = {}
        self._modules: list[str] = []

    def add(self, task: CodeTask) -> None:
        """Register ``task``; the same ref with another hash raises ValueError (two codes under one name)."""
        known = self._tasks.get(task.ref)
        if known is not None and known.code_hash != task.code_hash:
            raise ValueError(f"task {task.ref!r} is registered twice: code {known.code_hash} and {task.code_hash}")
        self._tasks[task.ref] = task

    def get(self, ref: str) -> CodeTask | None:
        return self._tasks.get(ref)

    def load(self, modules: Sequence[str]) -> None:
        """Import each module and register every ``CodeTask`` and ``TaskSource`` among its globals."""
        for name in modules:
            try:
                module = importlib.import_module(name)
            except Exception as exc:  # any import failure is reported with the module named
                raise TaskLoadError(name, f"import failed: {type(exc).__name__}: {exc}") from exc
            try:
                for task in _tasks_in(vars(module).values()):
                    self.add(task)
            except ValueError as exc:
                raise TaskLoadError(name, str(exc)) from exc
            self._modules.append(name)

    @property
    def refs(self) -> Mapping[str, str]:
        """Each registered ref and its code hash."""
        return MappingProxyType({ref: task.code_hash for ref, task in self._tasks.items()})

    @property
    def modules(self) -> tuple[str, ...]:
        """The modules loaded, in order (for errors that say what a worker has)."""
        return tuple(self._modules)


def load_tasks(modules: Sequence[str], *, on_caller_thread: bool = False) -> CodeTasks:
    """A ``CodeTasks`` holding the tasks of ``modules`` (TaskLoadError names a module that fails)."""
    tasks = CodeTasks(on_caller_thread=on_caller_thread)
    tasks.load(modules)
    return tasks


def _tasks_in(values: Iterable[object]) -> Iterable[CodeTask]:
    for value in values:
        if isinstance(value, CodeTask):
            yield value
        elif isinstance(value, TaskSource) and not isinstance(value, type):
            yield from value.__lockgate_tasks__()


def handler(tasks: CodeTasks) -> HandlerFn:
    """The ``task`` kind's handler over the functions in ``tasks``."""

    async def run(ctx: HandlerContext, config: TaskConfig, inputs: dict[str, JsonValue]) -> StepResult:
        task = _registered(tasks, config)
        problem = _argument_problem(task.fn, inputs)
        if problem is not None:
            raise PermanentStepError(TASK_ARGUMENTS, f"task {config.ref}: {problem}")
        ctx.logger.info("task %s (code %s)", config.ref, config.code_hash[:12])
        try:
            value = await _call(tasks, task.fn, inputs)
        except StepError:  # a task may fail on purpose with its own kind (PermanentStepError("invalid_order"))
            raise
        except Exception as exc:  # the task's own failure is data, retried per the node's policy
            ctx.logger.error("task %s raised %s", config.ref, type(exc).__qualname__, exc_info=exc)
            raise RetryableStepError(TASK_ERROR, f"{type(exc).__qualname__}: {exc}") from None
        return _result(config.ref, value)

    return run


def _registered(tasks: CodeTasks, config: TaskConfig) -> CodeTask:
    task = tasks.get(config.ref)
    if task is None:
        loaded = ", ".join(tasks.modules) or "none"
        detail = (f"task {config.ref!r} is not registered in this worker (task modules loaded: {loaded}); "
                  f"start it with --tasks naming the module that defines it")  # fmt: skip
        raise PermanentStepError(TASK_NOT_REGISTERED, detail)
    if task.code_hash != config.code_hash:
        detail = (f"task {config.ref!r}: the definition pins code {config.code_hash} but this worker has "
                  f"{task.code_hash}; deploy the same code to the workers or apply the pipeline again")  # fmt: skip
        raise PermanentStepError(TASK_CODE_MISMATCH, detail)
    return task


def _argument_problem(fn: Callable[..., object], inputs: dict[str, JsonValue]) -> str | None:
    """What is wrong with calling ``fn(**inputs)``, naming every parameter at fault; None: nothing."""
    params = inspect.signature(fn).parameters.values()
    named = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    missing = [p.name for p in params if p.name in named and p.default is p.empty and p.name not in inputs]
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params)
    unexpected = [] if takes_any else [name for name in inputs if name not in named]
    problems = [f"missing input {name!r} (a parameter without a default)" for name in missing]
    problems += [f"input {name!r} is not a parameter of the function" for name in unexpected]
    positional = [p.name for p in params if p.kind is p.POSITIONAL_ONLY and p.default is p.empty]
    problems += [f"parameter {name!r} is positional-only: inputs are passed by name" for name in positional]
    return "; ".join(problems) or None


async def _call(tasks: CodeTasks, fn: Callable[..., object], inputs: dict[str, JsonValue]) -> object:
    if inspect.iscoroutinefunction(fn):
        value = await fn(**inputs)
    elif tasks.on_caller_thread:
        value = fn(**inputs)
    else:
        # A sync function in a thread cannot be killed: a timeout abandons it (the result is dropped).
        value = await asyncio.to_thread(fn, **inputs)
    if inspect.isawaitable(value):  # a sync wrapper around a coroutine
        value = await value
    return value


def _result(ref: str, value: object) -> StepResult:
    if isinstance(value, Next):
        return StepResult(output=_json(ref, value.output), next=list(value.nodes))
    return StepResult(output=_json(ref, value))


def _json(ref: str, value: object) -> JsonValue:
    try:
        converted: JsonValue = to_jsonable_python(value)
    except PydanticSerializationError:
        raise PermanentStepError("invalid_output", f"task {ref}: a {type(value).__name__} is not JSON") from None
    return converted
