"""Routes: artifacts — list a run's files, read their metadata, download, preview and compare them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from sqlalchemy import Connection

from lockgate.api.deps import MAX_INT, StoreDep, Viewer
from lockgate.api.routes.runs import RUN, run_id_of
from lockgate.api.schemas.artifacts import (
    ArtifactComparison,
    ArtifactPreview,
    ArtifactRead,
    CompareKind,
    JsonChangeRead,
    PreviewKind,
)
from lockgate.artifacts.compare import json_changes, text_diff
from lockgate.errors import InvalidInputError, NotFoundError
from lockgate.security.safe_files import fd_path
from lockgate.store import listing

if TYPE_CHECKING:
    from collections.abc import Iterator
    from io import BufferedReader

    from sqlalchemy import Row
    from starlette.types import Receive, Scope, Send

    from lockgate.security.redaction import StreamRedactor

__all__ = ["PREVIEW_BYTES", "artifact_read", "router"]

router = APIRouter(tags=["artifacts"])
PREVIEW_BYTES = 200 * 1024
CSV_ROWS = 1000
_TEXT = frozenset({"application/json", "text/markdown", "text/csv", "text/plain", "application/x-ndjson",
                   "application/yaml", "text/yaml"})  # fmt: skip
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such artifact (or its file is gone)"}}
# A file a step wrote is untrusted: opened on its own (an SVG, an HTML page), it runs nothing and reaches
# nothing — no script, no request, a unique origin — and the browser never guesses another type for it.
_UNTRUSTED = {"Content-Security-Policy": "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox",
              "X-Content-Type-Options": "nosniff"}  # fmt: skip


def artifact_read(row: Row[Any]) -> ArtifactRead:
    return ArtifactRead(id=row.id, run_id=row.run_id, step_key=row.step_key, attempt=row.attempt, name=row.name,
                        path=row.path, size=row.size, sha256=row.sha256, media_type=row.media_type,
                        archived=row.archived, reused_from=row.reused_from, created_at=row.created_at)  # fmt: skip


@router.get(f"/runs/{RUN}/artifacts", summary="A run's artifacts (every attempt, newest first per step)",
            responses={404: {"description": "no such run"}})  # fmt: skip
async def list_artifacts(
    run: str,
    store: StoreDep,
    _: Viewer,
    step: Annotated[str | None, Query(max_length=200, description="only this step (and its map items)")] = None,
    attempt: Annotated[int | None, Query(ge=1, le=MAX_INT, description="only this attempt")] = None,
    archived: Annotated[bool | None, Query(description="true: only what rollbacks archived; false: none of it")] = None,
    name: Annotated[str | None, Query(max_length=1000, description="only files of this name")] = None,
) -> list[ArtifactRead]:
    def read(conn: Connection) -> list[Row[Any]]:
        return listing.run_artifacts(conn, run_id_of(conn, run), step, attempt, archived, name)

    return [artifact_read(r) for r in await store.read(read)]


@router.get("/artifacts/{artifact_id}", summary="An artifact's metadata", responses=_NOT_FOUND)
async def get_artifact(artifact_id: str, store: StoreDep, _: Viewer) -> ArtifactRead:
    return artifact_read(await store.read(listing.find_artifact, artifact_id))


def _open(store: StoreDep, row: Row[Any]) -> BufferedReader:
    """The file, opened without following any link below its run's folder (or the pipeline's, once archived)."""
    try:
        return store.runtime.layout.open_artifact(row.pipeline, row.run_number, row.path, archived=row.archived)
    except OSError:  # gone, or something promotion never described (a link, a FIFO…)
        raise NotFoundError("artifact file", row.id) from None


class _OpenedFileResponse(FileResponse):
    """A FileResponse (ranges, ETag) over a file already opened and checked: never opened again by its name."""

    def __init__(self, file: BufferedReader, media_type: str, filename: str | None = None) -> None:
        self._file = file  # held open until sent: the path below reopens this very descriptor
        super().__init__(fd_path(file.fileno()), media_type=media_type, filename=filename, headers=_UNTRUSTED,
                         stat_result=os.fstat(file.fileno()))  # fmt: skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._file.close()


async def _file(store: StoreDep, artifact_id: str) -> tuple[Row[Any], BufferedReader]:
    row = await store.read(listing.find_artifact, artifact_id)
    return row, await asyncio.to_thread(_open, store, row)


@router.get(
    "/artifacts/{artifact_id}/content",
    summary="Download the file, with its media type",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}, "*/*": {}}}, **_NOT_FOUND},
)
async def download_artifact(artifact_id: str, store: StoreDep, _: Viewer) -> Response:
    row, file = await _file(store, artifact_id)
    if not _is_text(row.media_type):
        return _OpenedFileResponse(file, media_type=row.media_type, filename=Path(row.name).name)
    # Text was redacted when promoted; served through the redactor again, of every known secret.
    stream = (await store.runtime.known_secrets()).stream()
    disposition = {"Content-Disposition": f"attachment; filename*=utf-8''{quote(Path(row.name).name)}", **_UNTRUSTED}
    return StreamingResponse(_redacted_chunks(file, stream), media_type=row.media_type, headers=disposition)


def _redacted_chunks(file: BufferedReader, stream: StreamRedactor) -> Iterator[bytes]:
    with file:
        while chunk := file.read(1 << 20):
            yield stream.feed(chunk)
    yield stream.close()


def _base(media_type: str) -> str:
    return media_type.split(";")[0].strip().lower()


def _is_text(media_type: str) -> bool:
    base = _base(media_type)
    return base in _TEXT or base.startswith("text/")


def _head(file: BufferedReader) -> tuple[str, bool]:
    file.seek(0)
    head = file.read(PREVIEW_BYTES + 1)
    return head[:PREVIEW_BYTES].decode(errors="replace"), len(head) > PREVIEW_BYTES


def _csv_rows(text: str) -> list[list[str]]:
    rows = []
    for row in csv.reader(io.StringIO(text)):
        rows.append(row)
        if len(rows) >= CSV_ROWS:
            break
    return rows


@router.get(
    "/artifacts/{artifact_id}/preview",
    summary="JSON pretty-printed, Markdown and text as text, CSV as rows (first 200 KB), images as themselves",
    response_model=ArtifactPreview,
    responses={
        200: {"content": {"image/*": {}}},
        415: {"description": "this media type has no preview; download the content instead"},
        **_NOT_FOUND,
    },
)
async def preview_artifact(artifact_id: str, store: StoreDep, _: Viewer) -> Any:
    row, file = await _file(store, artifact_id)
    media_type = _base(row.media_type)
    if media_type.startswith("image/"):
        return _OpenedFileResponse(file, media_type=row.media_type)
    with file:
        if not _is_text(media_type):
            detail = f"no preview for {row.media_type}; download it from /artifacts/{artifact_id}/content"
            return JSONResponse({"code": "unsupported_media_type", "detail": detail}, status_code=415)
        text, truncated = _head(file)
    redactor = await store.runtime.known_secrets()
    text = redactor.text(text)
    kind: PreviewKind = "text"
    rows = None
    if media_type == "application/json" and not truncated:
        try:
            text, kind = json.dumps(json.loads(text), indent=2, ensure_ascii=False), "json"
        except ValueError:
            kind = "text"
    elif media_type == "text/markdown":
        kind = "markdown"
    elif media_type == "text/csv":
        kind, rows = "csv", _csv_rows(text)
    text = redactor.text(text)  # pretty-printing decoded escapes: a form redacted above may be plain now
    return ArtifactPreview(id=row.id, media_type=row.media_type, kind=kind, content=text, truncated=truncated,
                           rows=rows)  # fmt: skip


def _json_or_none(file: BufferedReader, media_type: str) -> tuple[bool, Any]:
    if _base(media_type) != "application/json" or os.fstat(file.fileno()).st_size > PREVIEW_BYTES:
        return False, None
    file.seek(0)
    try:
        return True, json.loads(file.read(PREVIEW_BYTES + 1).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return False, None


def _label(row: Row[Any]) -> str:
    return f"{row.pipeline}/v{row.run_number}/{row.step_key}#{row.attempt}/{row.name}"


def compare_rows(store: StoreDep, left: Row[Any], right: Row[Any]) -> ArtifactComparison:
    with _open(store, left) as left_file, _open(store, right) as right_file:
        return _compare(left, right, left_file, right_file)


def _compare(
    left: Row[Any], right: Row[Any], left_file: BufferedReader, right_file: BufferedReader
) -> ArtifactComparison:
    identical = left.sha256 == right.sha256
    kind: CompareKind = "binary"
    diff, changes, truncated = "", None, False
    left_json, right_json = _json_or_none(left_file, left.media_type), _json_or_none(right_file, right.media_type)
    if left_json[0] and right_json[0]:
        kind = "json"
        changes = [JsonChangeRead(path=c.path, op=c.op, left=c.left, right=c.right)
                   for c in json_changes(left_json[1], right_json[1])]  # fmt: skip
    if _is_text(left.media_type) and _is_text(right.media_type):
        kind = "json" if kind == "json" else "text"
        (left_text, cut_left), (right_text, cut_right) = _head(left_file), _head(right_file)
        truncated = cut_left or cut_right
        diff = text_diff(left_text, right_text, _label(left), _label(right))
    elif _base(left.media_type).startswith("image/") and _base(right.media_type).startswith("image/"):
        kind = "image"  # shown side by side from their content URLs; identical tells whether they differ
    return ArtifactComparison(left=artifact_read(left), right=artifact_read(right), kind=kind, identical=identical,
                              diff=diff, json_changes=changes, truncated=truncated)  # fmt: skip


@router.get(
    "/artifacts/{artifact_id}/compare",
    summary="Compare with another artifact (another attempt, another run): a text diff, and JSON path by path",
    responses=_NOT_FOUND,
)
async def compare_artifacts(
    artifact_id: str,
    store: StoreDep,
    _: Viewer,
    other: Annotated[str, Query(description="the artifact to compare with (the right-hand side)")],
) -> ArtifactComparison:
    left = await store.read(listing.find_artifact, artifact_id)
    right = await store.read(listing.find_artifact, other)
    return compare_rows(store, left, right)


@router.get(
    f"/runs/{RUN}/steps/{{step}}/compare",
    summary="Compare a step's artifact between two attempts, or with the same step of another run",
    responses={404: {"description": "no such run, step or artifact"}},
)
async def compare_step_artifact(
    run: str,
    step: str,
    store: StoreDep,
    _: Viewer,
    name: Annotated[str, Query(max_length=1000, description="the artifact's name (e.g. draft.md)")],
    attempt: Annotated[
        int | None, Query(ge=1, le=MAX_INT, description="left-hand attempt; default: the earliest")
    ] = None,
    other_attempt: Annotated[
        int | None, Query(ge=1, le=MAX_INT, description="right-hand attempt; default: the latest")
    ] = None,
    other_run: Annotated[
        str | None, Query(max_length=100, description="right-hand run (vN, pipeline/vN or id)")
    ] = None,
) -> ArtifactComparison:
    def pick(conn: Connection) -> tuple[Row[Any], Row[Any]]:
        head = run_id_of(conn, run)
        rows = listing.run_artifacts(conn, head, step, None, None, name)
        left = _choose(rows, attempt, latest=False, what=f"{name} of {step} in {run}")
        other_ref = run if other_run is None else _other_ref(run, other_run)
        others = rows if other_run is None else listing.run_artifacts(conn, run_id_of(conn, other_ref), step, None,
                                                                      None, name)  # fmt: skip
        right = _choose(others, other_attempt, latest=True, what=f"{name} of {step} in {other_ref}")
        return listing.find_artifact(conn, left.id), listing.find_artifact(conn, right.id)

    left, right = await store.read(pick)
    return compare_rows(store, left, right)


def _other_ref(run: str, other: str) -> str:
    """``v2`` means the same pipeline's v2 (when the first run was named pipeline/vN)."""
    if other.removeprefix("v").isdigit() and "/" in run:
        return f"{run.split('/', 1)[0]}/v{other.removeprefix('v')}"
    if other.removeprefix("v").isdigit():
        raise InvalidInputError(["other_run: name the run as pipeline/vN or by id"])
    return other


def _choose(rows: list[Row[Any]], attempt: int | None, *, latest: bool, what: str) -> Row[Any]:
    candidates = [r for r in rows if attempt is None or r.attempt == attempt]
    if not candidates:
        raise NotFoundError("artifact", what + (f" attempt {attempt}" if attempt else ""))
    return max(candidates, key=lambda r: r.attempt) if latest else min(candidates, key=lambda r: r.attempt)
