"""The ``agent`` kind. pydantic-ai is imported when an agent step first runs, not with the registry."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import JsonValue

    from lockgate.handlers.context import HandlerContext, StepResult
    from lockgate.spec.agent import AgentConfig

__all__ = ["run"]


async def run(ctx: HandlerContext, config: AgentConfig, inputs: dict[str, JsonValue]) -> StepResult:
    from lockgate.handlers.agent.handler import run as run_agent

    return await run_agent(ctx, config, inputs)
