"""The ``condition`` kind: picks the branches whose ``when`` holds (rendered before the handler runs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockgate.expressions import truthy
from lockgate.handlers.context import HandlerContext, StepResult

if TYPE_CHECKING:
    from pydantic import JsonValue

    from lockgate.spec.nodes import ConditionConfig

__all__ = ["evaluate", "run", "truthy"]


def evaluate(config: ConditionConfig, inputs: dict[str, JsonValue]) -> StepResult:  # noqa: ARG001 - fixed signature
    chosen = [branch.name for branch in config.branches if truthy(branch.when)]
    if config.match == "first":
        chosen = chosen[:1]
    if not chosen and config.default is not None:
        chosen = [config.default]
    return StepResult(output={"branches": list(chosen)}, branches=chosen)


async def run(ctx: HandlerContext, config: ConditionConfig, inputs: dict[str, JsonValue]) -> StepResult:
    result = evaluate(config, inputs)
    ctx.logger.info("condition chose %s", result.branches or "no branch")
    return result
