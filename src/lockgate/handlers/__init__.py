"""Node handlers: one module per kind, each an async ``run(ctx, config, inputs) -> StepResult``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockgate.lazy import exports

__all__ = ["Handler", "HandlerContext", "HandlerRegistry", "SandboxMode", "StepResult", "default_registry"]

if TYPE_CHECKING:
    from lockgate.handlers.context import HandlerContext, SandboxMode, StepResult
    from lockgate.handlers.registry import Handler, HandlerRegistry, default_registry
else:
    __getattr__ = exports(
        __name__,
        {
            "context": ("HandlerContext", "SandboxMode", "StepResult"),
            "registry": ("Handler", "HandlerRegistry", "default_registry"),
        },
    )
