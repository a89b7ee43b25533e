"""``pipe.task``: a ``task`` node from a Python function; its parameters become the step's inputs."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Generic, Literal, ParamSpec, TypeVar, overload

from lockgate.errors import DefinitionError, DefinitionErrors
from lockgate.sdk._builder import NodeBuilder
from lockgate.sdk._handles import EdgeSource, NodeHandle, Ref
from lockgate.sdk._task import Task
from lockgate.spec.nodes import TaskConfig, TaskNode

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping, Sequence

    from pydantic import JsonValue

    from lockgate.handlers.code_tasks import Next
    from lockgate.sdk._builder import DurationValue
    from lockgate.sdk._graph import Graph
    from lockgate.spec.policies import OnError, RetryPolicy, ReviewPolicy

__all__ = ["TaskBuilder", "TaskHandle", "parameter_inputs"]

P = ParamSpec("P")
R = TypeVar("R")


class TaskHandle(NodeHandle, Generic[P, R]):
    """The handle of a ``task`` node that is also its function: ``fetch("A-1")`` calls it, ``fetch.output`` reads it."""

    __slots__ = ("_task",)

    def __init__(self, graph: Graph, node_id: str, task: Task[P, R]) -> None:
        """Made by ``pipe.task``."""
        super().__init__(graph, node_id)
        self._task = task

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Call the plain function."""
        return self._task(*args, **kwargs)

    @property
    def task(self) -> Task[P, R]:
        """The task the node runs."""
        return self._task

    @property
    def ref(self) -> str:
        """The task's ``module:qualname``."""
        return self._task.ref

    @property
    def code_hash(self) -> str:
        """The task's code hash, as the node's config holds it."""
        return self._task.code_hash

    def run_local(self, **inputs: object) -> JsonValue | Next:
        """Run just this function with ``inputs`` (see ``Task.run_local``)."""
        return self._task.run_local(**inputs)

    def __repr__(self) -> str:
        """Node id and ref."""
        return f"TaskHandle({self.id!r}, ref={self.ref!r})"


class TaskBuilder(NodeBuilder[TaskConfig]):
    """``pipe.task``: ``@pipe.task`` or ``@pipe.task(next=[…], retry=…)`` over a function adds a ``task`` node.

    Called like any builder with a node id (``pipe.task("fetch", config=TaskConfig(…))``), it adds a node
    whose function is registered elsewhere.
    """

    def __init__(self, graph: Graph, inputs: Collection[str], record: Callable[[str, Task[..., object]], None]) -> None:
        """Made by ``Pipeline.task``: the pipeline's input names, and where its tasks are recorded."""
        super().__init__(graph, TaskNode, TaskConfig)
        self._run_inputs = inputs
        self._record = record

    @overload  # the plain builder call, as for any kind
    def __call__(self, node_id: str, /, *after: NodeHandle | EdgeSource, **options: Any) -> NodeHandle: ...
    @overload
    def __call__(self, fn: Callable[P, R] | Task[P, R], /) -> TaskHandle[P, R]: ...
    @overload
    def __call__(
        self,
        *,
        name: str | None = None,
        after: Sequence[NodeHandle | EdgeSource] = (),
        next: Sequence[NodeHandle | str] = (),
        inputs: Mapping[str, object] | None = None,
        retry: RetryPolicy | Mapping[str, Any] | None = None,
        timeout: DurationValue | None = None,
        review: ReviewPolicy | Mapping[str, Any] | None = None,
        for_each: str | Ref | NodeHandle | None = None,
        max_parallel: int | None = None,
        on_error: OnError | Literal["fail", "continue", "branch"] | None = None,
        idempotency_key: str | None = None,
        queue: str | None = None,
        version: str | None = None,
        **options: Any,
    ) -> Callable[[Callable[P, R] | Task[P, R]], TaskHandle[P, R]]: ...
    def __call__(self, first: Any = None, /, *after: Any, **kwargs: Any) -> Any:  # type: ignore[misc]  # mypy: "does not accept all" of the decorator form
        """Add a ``task`` node: decorate a function (or a ``Task``), or give a node id as for any builder.

        Args:
            first: the function (``@pipe.task``), or a node id (the plain builder form).
            *after: in the plain builder form, the upstream nodes.
            **kwargs: with a function: ``name`` (the node id; default: the function's name), ``after``
                (upstream nodes), ``next`` (the successors it may route to: handles or node ids, drawn as
                edges), ``inputs`` (values for parameters, overriding what the names say), ``version``
                (enters the code hash), and the node's fields (``retry``, ``timeout``, ``review``,
                ``for_each``, ``on_error``, ``idempotency_key``, ``queue``, …) as for any builder.

        Returns:
            The node's handle; for a function a ``TaskHandle``, which calls it too.

        Raises:
            DefinitionErrors: a field is wrong, a parameter has no value, or the function cannot be imported
                by a worker (a lambda, a nested function); each error names the node and the field.
        """
        if isinstance(first, str):
            return super().__call__(first, *after, **kwargs)
        if first is not None:
            return self._decorate(**kwargs)(first)
        return self._decorate(**kwargs)

    def _decorate(self, **kwargs: Any) -> Callable[[Callable[..., object] | Task[..., object]], TaskHandle[..., Any]]:
        def add(fn: Callable[..., object] | Task[..., object]) -> TaskHandle[..., Any]:
            return self._add(fn, **kwargs)

        return add

    def _add(
        self,
        fn: Callable[..., object] | Task[..., object],
        *,
        name: str | None = None,
        after: Sequence[NodeHandle | EdgeSource] = (),
        next: Sequence[NodeHandle | str] = (),
        inputs: Mapping[str, object] | None = None,
        version: str | None = None,
        **options: Any,
    ) -> TaskHandle[..., Any]:
        node_id = name or str(getattr(fn, "__name__", "task"))
        made = _task_of(fn, version, node_id)
        params = parameter_inputs(made.fn, node_id, self._run_inputs, options.get("for_each") is not None, inputs)
        config = TaskConfig(ref=made.ref, code_hash=made.code_hash)
        handle = super().__call__(node_id, *after, config=config, inputs=params or None, **options)
        for successor in next:
            self._graph.add_edge_to(handle, successor.id if isinstance(successor, NodeHandle) else successor)
        self._record(node_id, made)
        return TaskHandle(self._graph, handle.id, made)


def _task_of(fn: Callable[..., object] | Task[..., object], version: str | None, node_id: str) -> Task[..., object]:
    if isinstance(fn, Task):
        if version is not None and version != fn.version:
            message = f"{fn.ref} is a task of version {fn.version!r} already: give version= to @task only"
            raise DefinitionErrors([DefinitionError(message, node_id, "config.code_hash")])
        return fn
    try:
        return Task(fn, version=version)
    except ValueError as exc:
        raise DefinitionErrors([DefinitionError(str(exc), node_id, "config.ref")]) from None


def parameter_inputs(
    fn: Callable[..., object],
    node_id: str,
    run_inputs: Collection[str],
    mapped: bool,
    given: Mapping[str, object] | None,
) -> dict[str, object]:
    """Each parameter's input: ``inputs=`` first, then a handle or Ref default, ``item``, a run input's name."""
    given = dict(given or {})
    params = inspect.signature(fn).parameters
    errors: list[DefinitionError] = []
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    errors += [DefinitionError(f"{key!r} is not a parameter of {fn.__qualname__}", node_id, f"inputs.{key}")
               for key in given if key not in params and not takes_any]  # fmt: skip
    out: dict[str, object] = {k: v for k, v in given.items() if k in params or takes_any}
    for param in params.values():
        if param.name in out or param.kind in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL):
            continue
        value, problem = _parameter_input(param, run_inputs, mapped)
        if problem is not None:
            errors.append(DefinitionError(problem, node_id, f"inputs.{param.name}"))
        elif value is not None:
            out[param.name] = value
    if errors:
        raise DefinitionErrors(errors)
    return out


def _parameter_input(param: inspect.Parameter, run_inputs: Collection[str], mapped: bool) -> tuple[object, str | None]:
    """The input a parameter reads (None: its default applies), or why it has none."""
    if param.kind is inspect.Parameter.POSITIONAL_ONLY:
        return None, f"parameter {param.name!r} is positional-only: a step passes its inputs by name"
    if isinstance(param.default, NodeHandle | Ref):
        return param.default, None
    if mapped and param.name in ("item", "item_index"):
        return f"{{{{ {param.name} }}}}", None
    if param.name in run_inputs:
        return f"{{{{ input.{param.name} }}}}", None
    if param.default is not inspect.Parameter.empty:
        return None, None
    known = ", ".join(sorted(run_inputs)) or "none"
    return None, (f"parameter {param.name!r} has no value: it is no pipeline input (those are: {known}), has no "
                  "default, and inputs= does not give it")  # fmt: skip
