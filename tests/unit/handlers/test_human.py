"""The human handler records submitted values: uploads become the step's files, ``artifact`` saves the JSON."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

import pytest

from lockgate.errors import PermanentStepError
from lockgate.handlers import human
from lockgate.spec.forms import HumanConfig

if TYPE_CHECKING:
    from pathlib import Path

    from pydantic import JsonValue
    from tests.unit.handlers.conftest import FakeContext

pytestmark = pytest.mark.anyio

FORM = HumanConfig.model_validate({
    "fields": [{"name": "headline", "required": True}, {"name": "photo", "type": "file"},
               {"name": "ok", "type": "boolean"}],
    "artifact": "decision.json",
})  # fmt: skip


async def test_values_become_the_output_and_a_json_artifact(ctx: FakeContext) -> None:
    result = await human.run(ctx, FORM, {"headline": "Hi", "photo": None, "ok": True})
    assert result.output == {"headline": "Hi", "photo": None, "ok": True}
    assert json.loads((ctx.workspace / "decision.json").read_text()) == result.output


async def test_an_upload_is_taken_into_the_workspace(ctx: FakeContext, tmp_path: Path) -> None:
    staged = tmp_path / "pipelines" / "p" / human.UPLOADS / "task" / "photo" / "cat.png"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(b"\x89PNG")
    value: dict[str, JsonValue] = {"name": "cat.png", "size": 4, "sha256": hashlib.sha256(b"\x89PNG").hexdigest(),
             "media_type": "image/png", "staged": str(staged)}  # fmt: skip
    result = await human.run(ctx, FORM, {"headline": "Hi", "photo": value})
    assert isinstance(result.output, dict)
    photo = result.output["photo"]
    assert photo == {"name": "cat.png", "size": 4, "sha256": value["sha256"], "media_type": "image/png",
                     "artifact": "photo/cat.png"}  # fmt: skip
    assert (ctx.workspace / "photo" / "cat.png").read_bytes() == b"\x89PNG"
    assert staged.exists()  # kept: a retried attempt takes it again


async def test_an_upload_outside_the_uploads_folder_is_refused(ctx: FakeContext, tmp_path: Path) -> None:
    secret = tmp_path / "secret.key"
    secret.write_text("nope")
    value: dict[str, JsonValue] = {"name": "x", "size": 4, "sha256": "0", "media_type": "text/plain",
                                   "staged": str(secret)}  # fmt: skip
    with pytest.raises(PermanentStepError, match=r"values\.photo"):
        await human.run(ctx, FORM, {"headline": "Hi", "photo": value})
