"""A form's submitted values, checked, with file uploads decoded and kept until the human step records them.

Files go to ``pipelines/<p>/.uploads/<task>/<field>/<name>`` before the answer is applied, and are removed
again when the answer is refused: a refused submission changes nothing.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import mimetypes
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from lockgate.api.schemas.tasks import FileUpload
from lockgate.compile import validate_form
from lockgate.errors import InvalidInputError
from lockgate.handlers.human import UPLOADS
from lockgate.security.safe_files import write_file
from lockgate.spec.forms import FieldType, FormField

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from pydantic import JsonValue

__all__ = ["stage_uploads"]


@dataclass(frozen=True, slots=True)
class _Upload:
    field: str
    name: str
    content: bytes


def _decode(
    field: FormField, value: JsonValue, folder: Path
) -> tuple[dict[str, JsonValue] | None, _Upload | None, str | None]:
    """(the value the form check sees, the file to write, a problem)."""
    try:
        upload = FileUpload.model_validate(value)
    except ValidationError:
        return None, None, f"values.{field.name}: expected {{filename, content_base64, media_type?}}"
    name = Path(upload.filename).name
    if name in {"", ".", ".."} or name.startswith("."):
        return None, None, f"values.{field.name}: {upload.filename!r} is not a usable file name"
    try:
        content = base64.b64decode(upload.content_base64, validate=True)
    except (binascii.Error, ValueError):
        return None, None, f"values.{field.name}: content_base64 is not base64"
    target = folder / field.name / name
    media_type = upload.media_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    digest = hashlib.sha256(content).hexdigest()
    described: dict[str, JsonValue] = {"name": name, "size": len(content), "sha256": digest,
                                       "media_type": media_type, "staged": str(target)}  # fmt: skip
    return described, _Upload(field.name, name, content), None


def _prepare(
    folder: Path, form: list[FormField], values: Mapping[str, JsonValue]
) -> tuple[dict[str, JsonValue], list[_Upload]]:
    converted, uploads, problems = dict(values), [], []
    for field in form:
        value = values.get(field.name)
        if field.type is not FieldType.FILE or value is None:
            continue
        described, upload, problem = _decode(field, value, folder)
        if problem is not None:
            problems.append(problem)
            converted.pop(field.name)
            continue
        converted[field.name] = described
        if upload is not None:
            uploads.append(upload)
    try:
        checked = validate_form(form, converted)
    except InvalidInputError as exc:
        named = {p.split(":", 1)[0] for p in problems}
        raise InvalidInputError(problems + [p for p in exc.problems if p.split(":", 1)[0] not in named]) from None
    if problems:
        raise InvalidInputError(problems)
    return checked, uploads


def _write(folder: Path, uploads: list[_Upload]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for upload in uploads:  # below the task's folder nothing is followed: a link there is replaced
        write_file(folder, f"{upload.field}/{upload.name}", upload.content)


@contextlib.asynccontextmanager
async def stage_uploads(
    pipeline_dir: Path, task_id: str, form: list[FormField], values: Mapping[str, Any]
) -> AsyncIterator[dict[str, JsonValue]]:
    """The checked values (file fields described, their files written); InvalidInputError lists every bad field."""
    folder = pipeline_dir / UPLOADS / task_id
    checked, uploads = _prepare(folder, form, values)
    if uploads:
        await asyncio.to_thread(_write, folder, uploads)
    try:
        yield checked
    except BaseException:
        if uploads:  # refused: nothing of it stays
            await asyncio.to_thread(shutil.rmtree, folder, True)
        raise
