"""Routes: the JSON Schema of a pipeline definition, which editors (the web UI's palette and forms) are built from."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from lockgate.api.deps import Viewer
from lockgate.spec import pipeline_json_schema

__all__ = ["router"]

router = APIRouter(tags=["pipelines"])


@router.get(
    "/schema/pipeline",
    summary="The JSON Schema (2020-12) of a pipeline definition; template fields carry x-template",
)
async def pipeline_schema(_: Viewer) -> dict[str, Any]:
    return pipeline_json_schema()
