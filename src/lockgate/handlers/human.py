"""The ``human`` kind: records the values a person submitted for the node's form.

The step waits (no handler runs) until a person submits; then this handler gets the submitted values as its
inputs, already checked against the form by whoever received them. Uploaded files are taken into the
workspace (so they become artifacts of the step), and with ``artifact`` set the values are saved as JSON.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from lockgate.errors import PermanentStepError
from lockgate.handlers.context import HandlerContext, StepResult
from lockgate.security.safe_files import open_regular, write_file
from lockgate.spec.forms import FieldType

if TYPE_CHECKING:
    from pydantic import JsonValue

    from lockgate.spec.forms import HumanConfig

__all__ = ["UPLOADS", "run"]

UPLOADS = ".uploads"  # the folder (in the pipeline's folder) where a server keeps an upload until it is recorded


def _take(ctx: HandlerContext, field: str, value: dict[str, JsonValue]) -> dict[str, JsonValue]:
    """Copy the staged upload into the workspace: ``<field>/<name>``. The staged file stays.

    A copy, not a hard link: promotion refuses workspace files with more than one name.
    """
    staged = Path(str(value["staged"]))
    name = Path(str(value["name"])).name
    parts = staged.parts
    if not staged.is_absolute() or UPLOADS not in parts or ".." in parts or name in {"", ".", ".."}:
        raise PermanentStepError("missing_upload", f"values.{field}: the uploaded file is gone ({staged.name})")
    cut = len(parts) - parts[::-1].index(UPLOADS)  # below the last .uploads folder nothing is followed
    try:
        with open_regular(Path(*parts[:cut]), "/".join(parts[cut:])) as source:
            write_file(ctx.workspace, f"{field}/{name}", lambda out: shutil.copyfileobj(source, out))
    except OSError:
        raise PermanentStepError(
            "missing_upload", f"values.{field}: the uploaded file is gone ({staged.name})"
        ) from None
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
        text = json.dumps(values, indent=2, ensure_ascii=False) + "\n"
        write_file(ctx.workspace, config.artifact, text.encode())
    ctx.logger.info("recorded the submitted values of %s", ", ".join(values) or "an empty form")
    return StepResult(output=values)
