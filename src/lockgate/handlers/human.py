"""The ``human`` kind: records the values a person submitted for the node's form.

The step waits (no handler runs) until a person submits; then this handler gets the submitted values as its
inputs, already checked against the form by whoever received them. Uploaded files are taken into the
workspace (so they become artifacts of the step), and with ``artifact`` set the values are saved as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from lockgate.errors import PermanentStepError
from lockgate.handlers.context import HandlerContext, StepResult
from lockgate.spec.forms import FieldType

if TYPE_CHECKING:
    from pydantic import JsonValue

    from lockgate.spec.forms import HumanConfig

__all__ = ["UPLOADS", "run"]

UPLOADS = ".uploads"  # the folder (in the pipeline's folder) where a server keeps an upload until it is recorded


def _take(ctx: HandlerContext, field: str, value: dict[str, JsonValue]) -> dict[str, JsonValue]:
    """Link (or copy) the staged upload into the workspace: ``<field>/<name>``. The staged file stays."""
    staged = Path(str(value["staged"]))
    if not staged.is_absolute() or UPLOADS not in staged.parts or not staged.is_file():
        raise PermanentStepError("missing_upload", f"values.{field}: the uploaded file is gone ({staged.name})")
    name = Path(str(value["name"])).name
    target = ctx.workspace / field / name
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(staged, target)
    except OSError:
        shutil.copyfile(staged, target)
    recorded = {k: v for k, v in value.items() if k != "staged"}
    return {**recorded, "name": name, "artifact": f"{field}/{name}"}


async def run(ctx: HandlerContext, config: HumanConfig, inputs: dict[str, JsonValue]) -> StepResult:
    values: dict[str, JsonValue] = {}
    for field in config.fields:
        value = inputs.get(field.name)
        if field.type is FieldType.FILE and isinstance(value, dict) and "staged" in value:
            value = _take(ctx, field.name, value)
        values[field.name] = value
    if config.artifact is not None:
        (ctx.workspace / config.artifact).write_text(json.dumps(values, indent=2, ensure_ascii=False) + "\n")
    ctx.logger.info("recorded the submitted values of %s", ", ".join(values) or "an empty form")
    return StepResult(output=values)
