"""Routes: artifacts — list a run's files, read their metadata, download and preview them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy import Connection

from lockgate.api.deps import StoreDep, Viewer
from lockgate.api.routes.runs import RUN, run_id_of
from lockgate.api.schemas.artifacts import ArtifactPreview, ArtifactRead
from lockgate.errors import NotFoundError
from lockgate.store import listing

if TYPE_CHECKING:
    from sqlalchemy import Row

__all__ = ["PREVIEW_BYTES", "router"]

router = APIRouter(tags=["artifacts"])
PREVIEW_BYTES = 200 * 1024
_TEXT = frozenset({"application/json", "text/markdown", "text/csv", "text/plain", "application/x-ndjson",
                   "application/yaml", "text/yaml"})  # fmt: skip
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such artifact (or its file is gone)"}}


def _read(row: Row[Any]) -> ArtifactRead:
    return ArtifactRead(id=row.id, run_id=row.run_id, step_key=row.step_key, attempt=row.attempt, name=row.name,
                        path=row.path, size=row.size, sha256=row.sha256, media_type=row.media_type,
                        archived=row.archived, created_at=row.created_at)  # fmt: skip


@router.get(f"/runs/{RUN}/artifacts", summary="A run's artifacts", responses={404: {"description": "no such run"}})
async def list_artifacts(
    run: str,
    store: StoreDep,
    _: Viewer,
    step: Annotated[str | None, Query(max_length=200, description="only this step (and its map items)")] = None,
) -> list[ArtifactRead]:
    def read(conn: Connection) -> list[Row[Any]]:
        return listing.run_artifacts(conn, run_id_of(conn, run), step)

    return [_read(r) for r in await store.read(read)]


@router.get("/artifacts/{artifact_id}", summary="An artifact's metadata", responses=_NOT_FOUND)
async def get_artifact(artifact_id: str, store: StoreDep, _: Viewer) -> ArtifactRead:
    return _read(await store.read(listing.find_artifact, artifact_id))


async def _file(store: StoreDep, artifact_id: str) -> tuple[Row[Any], Path]:
    """The artifact and its file, which must stay inside the run's folder."""
    row = await store.read(listing.find_artifact, artifact_id)
    run_dir = store.runtime.layout.run_dir(row.pipeline, row.run_number).resolve()
    path = (run_dir / row.path).resolve()
    if not path.is_relative_to(run_dir) or not path.is_file():
        raise NotFoundError("artifact file", artifact_id)
    return row, path


@router.get(
    "/artifacts/{artifact_id}/content",
    summary="Download the file, with its media type",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}, **_NOT_FOUND},
)
async def download_artifact(artifact_id: str, store: StoreDep, _: Viewer) -> FileResponse:
    row, path = await _file(store, artifact_id)
    return FileResponse(path, media_type=row.media_type, filename=Path(row.name).name)


def _base(media_type: str) -> str:
    return media_type.split(";")[0].strip().lower()


@router.get(
    "/artifacts/{artifact_id}/preview",
    summary="JSON pretty-printed, text as text (first 200 KB), images as themselves",
    response_model=ArtifactPreview,
    responses={
        200: {"content": {"image/*": {}}},
        415: {"description": "this media type has no preview; download the content instead"},
        **_NOT_FOUND,
    },
)
async def preview_artifact(artifact_id: str, store: StoreDep, _: Viewer) -> Any:
    row, path = await _file(store, artifact_id)
    media_type = _base(row.media_type)
    if media_type.startswith("image/"):
        return FileResponse(path, media_type=row.media_type)
    if media_type not in _TEXT and not media_type.startswith("text/"):
        detail = f"no preview for {row.media_type}; download it from /artifacts/{artifact_id}/content"
        return JSONResponse({"code": "unsupported_media_type", "detail": detail}, status_code=415)
    with path.open("rb") as handle:
        head = handle.read(PREVIEW_BYTES + 1)
    truncated = len(head) > PREVIEW_BYTES
    text = head[:PREVIEW_BYTES].decode(errors="replace")
    kind = "text"
    if media_type == "application/json" and not truncated:
        try:
            text, kind = json.dumps(json.loads(text), indent=2, ensure_ascii=False), "json"
        except ValueError:
            kind = "text"
    return ArtifactPreview(id=row.id, media_type=row.media_type, kind=kind, content=text, truncated=truncated)
