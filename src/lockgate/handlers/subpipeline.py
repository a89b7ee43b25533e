"""The ``subpipeline`` kind: a step whose work is a child run of another pipeline.

Runs never dispatch it to a worker: the engine marks the step running and the runtime starts the child run
(engine/children.py, runtime/children.py); the child's end is the step's. This handler stays for whoever invokes
the kind's handler directly, and says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockgate.errors import PermanentStepError

if TYPE_CHECKING:
    from pydantic import JsonValue

    from lockgate.handlers.context import HandlerContext, StepResult
    from lockgate.spec.nodes import SubpipelineConfig

__all__ = ["run"]


async def run(ctx: HandlerContext, config: SubpipelineConfig, inputs: dict[str, JsonValue]) -> StepResult:  # noqa: ARG001 - the handler signature is fixed
    raise PermanentStepError("invalid_dispatch", f"a run of {config.pipeline!r} is started by the runtime, not by "
                             "a worker: this step was dispatched to an executor by mistake")  # fmt: skip
