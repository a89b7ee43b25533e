"""The compile-time checks of sub-pipeline steps, against the pipelines stored in the database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockgate.compile.children import child_problems
from lockgate.errors import NotFoundError
from lockgate.store import listing
from lockgate.store import pipelines as pipeline_store

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from lockgate.errors import DefinitionError
    from lockgate.settings import Settings
    from lockgate.spec.pipeline import PipelineSpec

__all__ = ["subpipeline_problems"]


def subpipeline_problems(conn: Connection, settings: Settings, spec: PipelineSpec) -> list[DefinitionError]:
    """Each called pipeline exists and takes the input given; no cycle; nesting within the depth limit."""
    cache: dict[tuple[str, int | None], PipelineSpec | None] = {}

    def resolve(name: str, version: int | None) -> PipelineSpec | None:
        key = (name, version)
        if key not in cache:
            try:
                row = listing.version_by_number(conn, name, version)
            except NotFoundError:
                cache[key] = None
            else:
                cache[key] = pipeline_store.get_version(conn, row.id).spec()
        return cache[key]

    return child_problems(spec, resolve, settings.subpipeline_max_depth)
