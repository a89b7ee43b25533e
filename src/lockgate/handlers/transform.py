"""The ``transform`` kind: its output is its config's value, already rendered by the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockgate.handlers.context import HandlerContext, StepResult

if TYPE_CHECKING:
    from pydantic import JsonValue

    from lockgate.spec.nodes import TransformConfig

__all__ = ["evaluate", "run"]


def evaluate(config: TransformConfig, inputs: dict[str, JsonValue]) -> StepResult:  # noqa: ARG001 - fixed signature
    return StepResult(output=config.value)


async def run(ctx: HandlerContext, config: TransformConfig, inputs: dict[str, JsonValue]) -> StepResult:  # noqa: ARG001
    return evaluate(config, inputs)
