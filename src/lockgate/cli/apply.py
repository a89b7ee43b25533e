"""``lockgate apply FILE``: register a pipeline (YAML, JSON or Python) with a server as a new version, if it changed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, assert_never

import typer
from rich.text import Text

from lockgate.cli.client import DEFAULT_URL, KeyOption, UrlOption, segment, server
from lockgate.cli.definitions import DefinitionArg, read_definition
from lockgate.cli.options import console, exit_on_errors

# The API's schemas are imported when a server answers, not by every command; the dataclass's annotations are
# strings (future annotations) that nothing evaluates, hence the noqa.
if TYPE_CHECKING:
    from lockgate.api.schemas.pipelines import EdgeRef, PipelineDiffRead, PipelineVersionDetail  # noqa: TC004
    from lockgate.cli.client import Server
    from lockgate.spec.pipeline import PipelineSpec

__all__ = ["Applied", "Outcome", "apply", "register"]


class Outcome(StrEnum):
    """What applying did (or, with --dry-run, would do)."""

    CREATED = "created"  # a new pipeline, v1
    CHANGED = "changed"  # a new version of an existing pipeline
    UNCHANGED = "unchanged"  # an identical version exists: none made


@dataclass(frozen=True, slots=True)
class Applied:
    """The result of ``lockgate apply``; ``--json`` prints it."""

    pipeline: str
    outcome: Outcome
    version: int  # the version made, found identical, or (dry run) the number it would get
    previous: int | None  # the latest version before
    hash: str
    dry_run: bool
    nodes: int
    edges: int
    diff: PipelineDiffRead | None  # nodes and edges against `previous`, when a version is (or would be) made
    fields_changed: tuple[str, ...]  # the pipeline's own fields (description, input, output…) that differ

    def as_json(self) -> dict[str, Any]:
        return {"pipeline": self.pipeline, "outcome": self.outcome.value, "version": self.version,
                "previous_version": self.previous, "hash": self.hash, "dry_run": self.dry_run,
                "nodes": self.nodes, "edges": self.edges, "fields_changed": list(self.fields_changed),
                "diff": self.diff.model_dump(mode="json") if self.diff is not None else None}  # fmt: skip


def apply(
    ctx: typer.Context,
    file: DefinitionArg,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would change; save nothing")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Register a pipeline with a server: a new version when its content changed, none when it did not.

    Prints the version and what changed against the previous one (nodes added, removed, changed with their
    fields; edges). The definition is checked here first: a problem stops it before anything is sent.
    Exit codes: 0 applied or unchanged, 2 definition problems (here, or the server's 422), 1 other refusals.
    """
    with exit_on_errors():
        spec = read_definition(ctx, file).plan.spec
    with server(url, key) as api:
        applied = _preview(api, spec) if dry_run else _save(api, spec)
    if json_output:
        typer.echo(json.dumps(applied.as_json(), indent=2))
    else:
        _show(applied)


def _definition(spec: PipelineSpec) -> dict[str, Any]:
    """The body sent, as the server stores it (a YAML file's script ``file`` paths already resolved)."""
    return spec.model_dump(mode="json", exclude_defaults=True)


def _latest(api: Server, name: str) -> int | None:
    found = api.find(f"/pipelines/{segment(name)}")
    return None if found is None else int(found["latest_version"])


def _stored(api: Server, name: str, number: int) -> PipelineVersionDetail:
    from lockgate.api.schemas.pipelines import PipelineVersionDetail

    return PipelineVersionDetail.model_validate(api.call("GET", f"/pipelines/{segment(name)}/versions/{number}"))


def _save(api: Server, spec: PipelineSpec) -> Applied:
    from lockgate.api.schemas.pipelines import PipelineDiffRead, PipelineVersionRead

    name, body = spec.name, _definition(spec)
    previous = _latest(api, name)
    # PUT names the pipeline it changes; a new (or archived) one is created by POST
    path = "/pipelines" if previous is None else f"/pipelines/{segment(name)}"
    saved = PipelineVersionRead.model_validate(api.call("POST" if previous is None else "PUT", path, json=body))
    diff: PipelineDiffRead | None = None
    fields: tuple[str, ...] = ()
    if saved.created and previous is not None:
        params = {"from": previous, "to": saved.number}
        diff = PipelineDiffRead.model_validate(api.call("GET", f"/pipelines/{segment(name)}/diff", params=params))
        fields = _fields_changed(_stored(api, name, previous).definition, body)
    outcome = Outcome.UNCHANGED if not saved.created else Outcome.CREATED if previous is None else Outcome.CHANGED
    return Applied(name, outcome, saved.number, previous, saved.hash, False, len(spec.nodes), len(spec.edges),
                   diff, fields)  # fmt: skip


def _preview(api: Server, spec: PipelineSpec) -> Applied:
    from lockgate.api.schemas.pipelines import PipelineDiffRead, PipelineVersionRead

    name, body, digest = spec.name, _definition(spec), spec.content_hash()
    api.call("POST", "/pipelines/validate", json=body)  # what the server would refuse: models, credentials
    previous = _latest(api, name)
    counts = (len(spec.nodes), len(spec.edges))
    if previous is None:
        return Applied(name, Outcome.CREATED, 1, None, digest, True, *counts, None, ())
    versions = [PipelineVersionRead.model_validate(v) for v in api.call("GET", f"/pipelines/{segment(name)}/versions")]
    same = next((v.number for v in versions if v.hash == digest), None)
    if same is not None:
        return Applied(name, Outcome.UNCHANGED, same, previous, digest, True, *counts, None, ())
    old = _stored(api, name, previous).definition
    diff = PipelineDiffRead.between(name, (previous, previous + 1), old, body)
    return Applied(name, Outcome.CHANGED, previous + 1, previous, digest, True, *counts, diff,
                   _fields_changed(old, body))  # fmt: skip


def _fields_changed(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    """The pipeline's own fields that differ; nodes and edges are the diff's."""
    keys = (old.keys() | new.keys()) - {"nodes", "edges"}
    return tuple(sorted(k for k in keys if old.get(k) != new.get(k)))


def _show(applied: Applied) -> None:
    name, version, previous = applied.pipeline, applied.version, applied.previous
    saved = "nothing saved (dry run)" if applied.dry_run else "saved"
    size = f"{applied.nodes} nodes, {applied.edges} edges, hash {applied.hash[:12]}"
    match applied.outcome:
        case Outcome.CREATED:
            verb = "would be created as" if applied.dry_run else "created:"
            console.print(
                Text.assemble(("✓", "green"), f" {name} {verb} v{version} ({size}); {saved}"), highlight=False
            )
        case Outcome.CHANGED:
            verb = "would become" if applied.dry_run else "is now"
            shown = f" {name} {verb} v{version} (was v{previous}; {size}); {saved}"
            console.print(Text.assemble(("✓", "green"), shown), highlight=False)
            _show_changes(applied)
        case Outcome.UNCHANGED:
            console.print(
                Text.assemble(("=", "green"), f" {name} unchanged (v{version}); no version made"), highlight=False
            )
            if previous is not None and version != previous:
                console.print(Text.assemble("  ", ("note:", "yellow"), f" v{version} is an earlier version: runs of "
                                            f"{name} start from its latest, v{previous}"), highlight=False)  # fmt: skip
        case _:
            assert_never(applied.outcome)


def _show_changes(applied: Applied) -> None:
    diff = applied.diff
    lines = [f"  ~ pipeline: {', '.join(applied.fields_changed)}"] if applied.fields_changed else []
    if diff is not None:
        lines += [f"  + node {node_id}" for node_id in diff.nodes_added]
        lines += [f"  - node {node_id}" for node_id in diff.nodes_removed]
        lines += [f"  ~ node {change.id}: {', '.join(change.fields)}" for change in diff.nodes_changed]
        lines += [f"  + edge {_edge(edge)}" for edge in diff.edges_added]
        lines += [f"  - edge {_edge(edge)}" for edge in diff.edges_removed]
    for line in lines:
        console.print(line, highlight=False, markup=False)


def _edge(edge: EdgeRef) -> str:
    extra = "".join(f" [{k} {v}]" for k, v in (("branch", edge.branch), ("when", edge.when)) if v is not None)
    return f"{edge.source} → {edge.target}{extra}"


def register(app: typer.Typer) -> None:
    app.command()(apply)
