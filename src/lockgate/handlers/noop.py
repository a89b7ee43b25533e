"""The ``noop`` kind: a junction in the graph; it passes its inputs along as its output."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockgate.handlers.context import HandlerContext, StepResult

if TYPE_CHECKING:
    from pydantic import JsonValue

    from lockgate.spec.nodes import NoopConfig

__all__ = ["evaluate", "run"]


def evaluate(config: NoopConfig, inputs: dict[str, JsonValue]) -> StepResult:  # noqa: ARG001 - the signature is fixed
    return StepResult(output=dict(inputs))


async def run(ctx: HandlerContext, config: NoopConfig, inputs: dict[str, JsonValue]) -> StepResult:  # noqa: ARG001
    return evaluate(config, inputs)
