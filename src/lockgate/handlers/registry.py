"""An explicit registry: node kind → config model and handler function."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, JsonValue

from lockgate.handlers.context import HandlerContext, StepResult

if TYPE_CHECKING:
    from lockgate.handlers.code_tasks import CodeTasks

__all__ = ["Handler", "HandlerFn", "HandlerRegistry", "InlineFn", "default_registry"]

HandlerFn = Callable[[HandlerContext, Any, dict[str, JsonValue]], Awaitable[StepResult]]
# A pure kind's result as a plain function of its rendered config and inputs: no I/O, no clock.
InlineFn = Callable[[Any, dict[str, JsonValue]], StepResult]


@dataclass(frozen=True, slots=True)
class Handler:
    kind: str
    config_type: type[BaseModel]
    run: HandlerFn
    # Set for pure kinds: the runtime may evaluate them inside the transaction that dispatched them.
    inline: InlineFn | None = None


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, kind: str, config_type: type[BaseModel], run: HandlerFn, inline: InlineFn | None = None) -> None:
        if kind in self._handlers:
            raise ValueError(f"a handler for kind {kind!r} is already registered")
        self._handlers[kind] = Handler(kind, config_type, run, inline)

    def get(self, kind: str) -> Handler:
        try:
            return self._handlers[kind]
        except KeyError:
            raise LookupError(f"no handler registered for node kind {kind!r}") from None

    @property
    def kinds(self) -> Mapping[str, Handler]:
        return dict(self._handlers)


def default_registry(tasks: CodeTasks | None = None) -> HandlerRegistry:
    """Every kind's handler; ``task`` steps run the functions in ``tasks`` (none: every task step is refused)."""
    from lockgate.handlers import agent, code_tasks, condition, http, human, noop, script, transform, wait
    from lockgate.spec import (
        AgentConfig,
        ConditionConfig,
        HttpConfig,
        HumanConfig,
        NoopConfig,
        ScriptConfig,
        TaskConfig,
        TransformConfig,
        WaitConfig,
    )

    registry = HandlerRegistry()
    registry.register("script", ScriptConfig, script.run)
    registry.register("http", HttpConfig, http.run)
    registry.register("transform", TransformConfig, transform.run, inline=transform.evaluate)
    registry.register("condition", ConditionConfig, condition.run, inline=condition.evaluate)
    registry.register("noop", NoopConfig, noop.run, inline=noop.evaluate)
    registry.register("wait", WaitConfig, wait.run)
    registry.register("human", HumanConfig, human.run)
    registry.register("agent", AgentConfig, agent.run)
    registry.register("task", TaskConfig, code_tasks.handler(tasks or code_tasks.CodeTasks()))
    return registry
