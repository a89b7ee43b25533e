"""Pipelines: definitions in, versions, summaries, diffs and validation results out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

__all__ = [
    "EdgeRef",
    "NodeChange",
    "PipelineDiffRead",
    "PipelinePage",
    "PipelineRead",
    "PipelineValidationRead",
    "PipelineVersionDetail",
    "PipelineVersionRead",
]

_READ = ConfigDict(frozen=True, extra="forbid")


class PipelineVersionRead(BaseModel):
    model_config = _READ
    pipeline: str
    number: int
    hash: str = Field(description="SHA-256 of the canonical definition")
    created_at: datetime
    created: bool = Field(default=False, description="false when an identical version already existed")
    author: str | None = Field(default=None, description="who published it")
    message: str | None = Field(default=None, description="what it changes, in its author's words")


class PipelineVersionDetail(PipelineVersionRead):
    definition: dict[str, JsonValue] = Field(description="the pipeline definition of this version")


class PipelineRead(BaseModel):
    model_config = _READ
    name: str
    description: str | None
    latest_version: int
    created_at: datetime
    updated_at: datetime
    last_run_number: int | None = None
    last_run_status: str | None = None
    latest_run: int | None = Field(default=None, description="the run runs/latest points at (vN)")
    next_run_at: datetime | None = Field(default=None, description="the next firing of its enabled schedules")
    template: bool = Field(default=False, description="offered by New pipeline as a starting point")


class PipelinePage(BaseModel):
    model_config = _READ
    items: list[PipelineRead]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")
    total: int = Field(description="how many match the filters, over every page")


class PipelineValidationRead(BaseModel):
    model_config = _READ
    valid: bool
    nodes: int = Field(description="number of nodes")
    edges: int = Field(description="number of edges")


class NodeChange(BaseModel):
    model_config = _READ
    id: str
    fields: list[str] = Field(description="top-level node fields whose value differs")


class EdgeRef(BaseModel):
    model_config = _READ
    source: str
    target: str
    branch: str | None = None
    when: str | bool | None = None


class PipelineDiffRead(BaseModel):
    model_config = _READ
    pipeline: str
    from_version: int
    to_version: int
    nodes_added: list[str]
    nodes_removed: list[str]
    nodes_changed: list[NodeChange]
    edges_added: list[EdgeRef]
    edges_removed: list[EdgeRef]

    @classmethod
    def between(
        cls, pipeline: str, versions: tuple[int, int], old: Mapping[str, Any], new: Mapping[str, Any]
    ) -> PipelineDiffRead:
        """The difference of two stored definitions (``versions``: their numbers, old then new).

        Built here so that ``GET /pipelines/{name}/diff`` and ``lockgate apply --dry-run`` (a definition not
        stored yet against the latest one) say the same thing.
        """
        a, b = _nodes(old), _nodes(new)
        changed = []
        for node_id in sorted(a.keys() & b.keys()):
            fields = sorted(f for f in a[node_id].keys() | b[node_id].keys() if a[node_id].get(f) != b[node_id].get(f))
            if fields:
                changed.append(NodeChange(id=node_id, fields=fields))
        ea, eb = _edges(old), _edges(new)
        return cls(
            pipeline=pipeline, from_version=versions[0], to_version=versions[1],
            nodes_added=sorted(b.keys() - a.keys()), nodes_removed=sorted(a.keys() - b.keys()), nodes_changed=changed,
            edges_added=[eb[k] for k in sorted(eb.keys() - ea.keys())],
            edges_removed=[ea[k] for k in sorted(ea.keys() - eb.keys())],
        )  # fmt: skip


def _nodes(definition: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in definition.get("nodes", [])}


def _edges(definition: Mapping[str, Any]) -> dict[str, EdgeRef]:
    refs = [EdgeRef.model_validate(e) for e in definition.get("edges", [])]
    return {r.model_dump_json(): r for r in refs}
