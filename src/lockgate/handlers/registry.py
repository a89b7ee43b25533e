"""An explicit registry: node kind → its spec model, config model and handler function.

``register(ScriptNode, script.run)`` reads everything else off the model (as Temporal's
``_Definition.must_from_callable`` reads an activity's name off the function): the kind from its ``kind`` Literal,
the config type from its ``config`` field, what it needs from the platform from its ``needs``. Nothing is said twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, get_args, get_origin

from pydantic import BaseModel, JsonValue

from lockgate.handlers.context import HandlerContext, StepResult
from lockgate.spec.nodes import NodeBase

if TYPE_CHECKING:
    from lockgate.handlers.code_tasks import CodeTasks
    from lockgate.spec.kinds import KindNeeds

__all__ = ["Handler", "HandlerFn", "HandlerRegistry", "InlineFn", "default_registry", "kind_of"]

HandlerFn = Callable[[HandlerContext, Any, dict[str, JsonValue]], Awaitable[StepResult]]
# A pure kind's result as a plain function of its rendered config and inputs: no I/O, no clock.
InlineFn = Callable[[Any, dict[str, JsonValue]], StepResult]


@dataclass(frozen=True, slots=True)
class Handler:
    kind: str
    model: type[NodeBase]
    config_type: type[BaseModel]
    run: HandlerFn
    # Set for pure kinds: the runtime may evaluate them inside the transaction that dispatched them.
    inline: InlineFn | None = None

    @property
    def needs(self) -> KindNeeds:
        return self.model.needs


def kind_of(model: object) -> tuple[str, type[BaseModel]]:
    """The kind string and config type of a node model; raises TypeError naming what is wrong with it."""
    name = getattr(model, "__name__", repr(model))
    if not isinstance(model, type) or not issubclass(model, NodeBase):
        raise TypeError(f"{name} is not a node model (a subclass of lockgate.spec.NodeBase)")
    fields = model.model_fields
    kind: object = fields["kind"].annotation if "kind" in fields else None
    values = get_args(kind) if get_origin(kind) is Literal else ()
    if len(values) != 1 or not isinstance(values[0], str):
        raise TypeError(f"{name}.kind must be annotated with one string Literal, as kind: Literal['script']")
    config: object = fields["config"].annotation if "config" in fields else None
    if not isinstance(config, type) or not issubclass(config, BaseModel):
        raise TypeError(f"{name}.config must be annotated with a pydantic model (its kind's config)")
    return values[0], config


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, model: type[NodeBase], run: HandlerFn, *, inline: InlineFn | None = None) -> None:
        """Register the handler of ``model``'s kind; a pure kind (``needs.inline``) gives its inline function too."""
        kind, config_type = kind_of(model)
        if kind in self._handlers:
            raise ValueError(f"a handler for kind {kind!r} is already registered")
        if model.needs.inline != (inline is not None):
            said = "is pure (needs.inline) but registers no inline function" if inline is None else (
                "registers an inline function but is not pure (needs.inline is False)")  # fmt: skip
            raise TypeError(f"kind {kind!r} {said}")
        self._handlers[kind] = Handler(kind, model, config_type, run, inline)

    def get(self, kind: str) -> Handler:
        try:
            return self._handlers[kind]
        except KeyError:
            raise LookupError(f"no handler registered for node kind {kind!r}") from None

    @property
    def kinds(self) -> Mapping[str, Handler]:
        return dict(self._handlers)

    def without_inline(self) -> HandlerRegistry:
        """The same kinds, pure ones sent through the executor like any other (what the benchmarks compare)."""
        plain = HandlerRegistry()
        plain._handlers = {kind: replace(handler, inline=None) for kind, handler in self._handlers.items()}
        return plain


def default_registry(tasks: CodeTasks | None = None) -> HandlerRegistry:
    """Every kind's handler; ``task`` steps run the functions in ``tasks`` (none: every task step is refused)."""
    from lockgate.handlers import (
        agent,
        code_tasks,
        condition,
        http,
        human,
        noop,
        script,
        subpipeline,
        transform,
        wait,
    )
    from lockgate.spec import (
        AgentNode,
        ConditionNode,
        HttpNode,
        HumanNode,
        NoopNode,
        ScriptNode,
        SubpipelineNode,
        TaskNode,
        TransformNode,
        WaitNode,
    )

    registry = HandlerRegistry()
    registry.register(ScriptNode, script.run)
    registry.register(HttpNode, http.run)
    registry.register(TransformNode, transform.run, inline=transform.evaluate)
    registry.register(ConditionNode, condition.run, inline=condition.evaluate)
    registry.register(NoopNode, noop.run, inline=noop.evaluate)
    registry.register(WaitNode, wait.run)
    registry.register(HumanNode, human.run)
    registry.register(AgentNode, agent.run)
    registry.register(SubpipelineNode, subpipeline.run)
    registry.register(TaskNode, code_tasks.handler(tasks or code_tasks.CodeTasks()))
    return registry
