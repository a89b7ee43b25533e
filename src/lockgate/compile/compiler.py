"""spec → Plan: every definition problem found at once, each naming its node and field."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from lockgate.compile.graph import levels
from lockgate.compile.plan import Plan, PlanEdge, PlanNode
from lockgate.compile.problems import find_problems
from lockgate.errors import DefinitionError, DefinitionErrors
from lockgate.spec.draft import Draft
from lockgate.spec.lines import with_lines
from lockgate.spec.loading import SchemaErrors, compose_yaml, parse_spec

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path, PurePath

    from lockgate.spec.pipeline import PipelineSpec

__all__ = ["compile_file", "compile_loaded", "compile_pipeline", "compile_text"]


def compile_pipeline(spec: PipelineSpec, *, script_dirs: Sequence[PurePath] | None = None, new: bool = False) -> Plan:
    """Validate a definition and build its plan; raises DefinitionErrors listing every problem.

    ``script_dirs``: the folders a script's ``config.file`` may name (a server's setting); None: not checked
    (a stored version, compiled to run: its steps check again when they run). ``new``: a definition being
    accepted, held to the rules a stored version may predate (start nodes).
    """
    checked = find_problems(Draft.of_spec(spec), script_dirs, new=new)
    if checked.problems:
        raise DefinitionErrors(checked.problems)
    preds, succs, order = checked.predecessors, checked.successors, checked.order
    level = levels(order, preds)
    incoming: dict[str, list[PlanEdge]] = defaultdict(list)
    outgoing: dict[str, list[PlanEdge]] = defaultdict(list)
    for edge in checked.edges:
        incoming[edge.target].append(edge)
        outgoing[edge.source].append(edge)
    by_id = {n.id: n for n in spec.nodes}
    plan_nodes = {
        node_id: PlanNode(
            node=by_id[node_id],
            predecessors=tuple(dict.fromkeys(preds[node_id])),
            successors=tuple(dict.fromkeys(succs[node_id])),
            incoming=tuple(incoming[node_id]),
            outgoing=tuple(outgoing[node_id]),
            ancestors=checked.ancestry[node_id],
            level=level[node_id],
            config_templates=checked.config_templates[node_id],
            config_json=by_id[node_id].config.model_dump(mode="json"),
        )
        for node_id in order
    }
    by_level: dict[int, list[str]] = defaultdict(list)
    for node_id in order:
        by_level[level[node_id]].append(node_id)
    return Plan(
        spec=spec,
        hash=spec.content_hash(),
        nodes=plan_nodes,
        edges=tuple(checked.edges),
        order=tuple(order),
        levels=tuple(tuple(by_level[i]) for i in sorted(by_level)),
        roots=tuple(n for n in order if not preds[n]),
        sinks=tuple(n for n in order if not succs[n]),
        idempotent=frozenset(n for n, p in plan_nodes.items() if p.node.idempotency_key is not None),
        templates=checked.templates,
    )


def compile_text(
    text: str,
    fmt: str = "yaml",
    *,
    base_dir: Path | None = None,
    script_dirs: Sequence[PurePath] | None = None,
    source: str | None = None,
) -> Plan:
    """Parse and compile a new definition, YAML (or JSON) text, into a plan (which holds the spec).

    Raises DefinitionErrors listing every problem, those of schema and those of structure and references, at once;
    for YAML each names its line (and ``source``, the file the text came from).
    """
    try:
        return compile_loaded(lambda: parse_spec(text, fmt, base_dir), script_dirs=script_dirs)
    except DefinitionErrors as exc:
        if fmt == "json":
            raise DefinitionErrors(exc.errors, source=source) from None
        raise with_lines(exc, text, compose_yaml, source) from None


def compile_file(path: Path, *, script_dirs: Sequence[PurePath] | None = None) -> Plan:
    """Read and compile a definition file (``.json`` is JSON, anything else YAML); as ``compile_text``."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise DefinitionErrors([DefinitionError(f"cannot read {path}: {exc.strerror}")], source=str(path)) from None
    fmt = "json" if path.suffix == ".json" else "yaml"
    return compile_text(text, fmt, base_dir=path.parent, script_dirs=script_dirs, source=str(path))


def compile_loaded(load: Callable[[], PipelineSpec], *, script_dirs: Sequence[PurePath] | None = None) -> Plan:
    """Compile the definition ``load`` reads (a file, a text, a builder): a new one, every problem reported at once.

    When ``load`` fails its schema (``SchemaErrors``), what could still be read is checked for structure and
    references too, so that one DefinitionErrors holds every problem.
    """
    try:
        spec = load()
    except SchemaErrors as exc:  # what the schema let through is checked too: one report holds every problem
        raise DefinitionErrors(exc.errors + find_problems(exc.draft, script_dirs, new=True).problems) from None
    return compile_pipeline(spec, script_dirs=script_dirs, new=True)
