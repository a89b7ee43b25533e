"""The ``agent`` kind. pydantic-ai is imported when an agent step first runs, not with the registry."""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import JsonValue

    from lockgate.handlers.context import HandlerContext, StepResult
    from lockgate.spec.agent import AgentConfig

__all__ = ["run"]


# Seconds of CPU (pydantic-ai, the providers' SDKs). Imported on the event loop they stalled everything else
# the process does: in a Celery worker its lease renewals, so on a busy machine its attempts were called lost.
_SLOW_IMPORTS = ("lockgate.handlers.agent.handler", "lockgate.handlers.agent.wire")


def _import_slow_modules() -> None:
    for name in _SLOW_IMPORTS:
        importlib.import_module(name)


async def run(ctx: HandlerContext, config: AgentConfig, inputs: dict[str, JsonValue]) -> StepResult:
    await asyncio.to_thread(_import_slow_modules)  # off the event loop; at once once imported
    from lockgate.handlers.agent.handler import run as run_agent

    return await run_agent(ctx, config, inputs)
