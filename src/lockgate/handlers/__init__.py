"""Node handlers: one module per kind, each an async ``run(ctx, config, inputs) -> StepResult``."""

from lockgate.handlers.context import HandlerContext, SandboxMode, StepResult
from lockgate.handlers.registry import Handler, HandlerRegistry, default_registry

__all__ = ["Handler", "HandlerContext", "HandlerRegistry", "SandboxMode", "StepResult", "default_registry"]
