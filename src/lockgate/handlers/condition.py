"""The ``condition`` kind: picks the branches whose ``when`` holds (rendered before the handler runs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockgate.handlers.context import HandlerContext, StepResult

if TYPE_CHECKING:
    from pydantic import JsonValue

    from lockgate.spec.nodes import ConditionConfig

__all__ = ["run", "truthy"]

# A rendered template is often a string: these spellings of "no" must not count as true.
_FALSE_WORDS = frozenset({"", "false", "0", "no", "none", "null"})


def truthy(value: JsonValue) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_WORDS
    return bool(value)


async def run(ctx: HandlerContext, config: ConditionConfig, inputs: dict[str, JsonValue]) -> StepResult:  # noqa: ARG001 - the handler signature is fixed
    chosen = [branch.name for branch in config.branches if truthy(branch.when)]
    if config.match == "first":
        chosen = chosen[:1]
    if not chosen and config.default is not None:
        chosen = [config.default]
    ctx.logger.info("condition chose %s", chosen or "no branch")
    return StepResult(output={"branches": list(chosen)}, branches=chosen)
