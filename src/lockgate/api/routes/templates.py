"""Routes: templates — what New pipeline offers to start from: the examples, and pipelines marked as templates."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, Response

from lockgate.api.deps import Editor, StoreDep, Viewer
from lockgate.api.schemas.templates import TemplateMark, TemplateRead, TemplateSource
from lockgate.compile import compile_file
from lockgate.errors import LockgateError
from lockgate.store import listing

__all__ = ["router"]

router = APIRouter(tags=["templates"])
log = logging.getLogger(__name__)

# The examples of a source checkout (an editable install): a wheel has none, and offers marked pipelines only.
EXAMPLES = Path(__file__).resolve().parents[4] / "examples"
_compiled: dict[tuple[Path, float], TemplateRead | None] = {}


def _example(path: Path) -> TemplateRead | None:
    """The example as a template, compiled once per file version; None for one that does not compile here."""
    key = (path, path.stat().st_mtime)
    if key not in _compiled:
        try:
            spec = compile_file(path).spec
        except (LockgateError, OSError) as exc:
            log.warning("example %s is not offered as a template: %s", path.name, exc)
            _compiled[key] = None
        else:
            definition = spec.model_dump(mode="json", exclude_defaults=True)
            _compiled[key] = TemplateRead(name=spec.name, description=spec.description,
                                          source=TemplateSource.EXAMPLE, definition=definition)  # fmt: skip
    return _compiled[key]


def examples(folder: Path = EXAMPLES) -> list[TemplateRead]:
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    return [t for t in map(_example, files) if t is not None]


@router.get("/templates", summary="Definitions to start a new pipeline from: the examples, then marked pipelines")
async def list_templates(store: StoreDep, _: Viewer) -> list[TemplateRead]:
    rows = await store.read(listing.template_pipelines)
    marked = [TemplateRead(name=r.name, description=r.description, source=TemplateSource.PIPELINE,
                           definition=r.definition) for r in rows]  # fmt: skip
    return examples() + marked


@router.put("/pipelines/{name}/template", summary="Mark (or unmark) a pipeline as a template", status_code=204,
            responses={404: {"description": "no such pipeline"}})  # fmt: skip
async def mark_template(name: str, body: TemplateMark, store: StoreDep, _: Editor) -> Response:
    await store.write(listing.mark_template, name, body.template)
    return Response(status_code=204)
