"""spec → Plan: every definition problem found at once, each naming its node and field."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from lockgate.compile.graph import ancestors, find_cycle, levels, topological_order
from lockgate.compile.plan import Plan, PlanEdge, PlanNode
from lockgate.compile.references import Scope, check_template_field
from lockgate.compile.script_files import check_script_files
from lockgate.errors import DefinitionError, DefinitionErrors
from lockgate.spec.nodes import ConditionNode, HumanNode, Node
from lockgate.spec.policies import DeadlineAction, OnError
from lockgate.spec.templated import templated_values

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import PurePath

    from pydantic import JsonValue

    from lockgate.spec.pipeline import PipelineSpec

__all__ = ["ERROR_BRANCH", "compile_pipeline", "declared_branches"]

ERROR_BRANCH = "error"


def declared_branches(node: Node) -> frozenset[str]:
    branches: set[str] = set()
    if isinstance(node, ConditionNode):
        branches |= {b.name for b in node.config.branches}
        if node.config.default:
            branches.add(node.config.default)
    if node.on_error is OnError.BRANCH:
        branches.add(ERROR_BRANCH)
    return frozenset(branches)


def _check_ids_and_edges(spec: PipelineSpec, errors: list[DefinitionError]) -> list[PlanEdge]:
    seen: set[str] = set()
    for node in spec.nodes:
        if node.id in seen:
            errors.append(DefinitionError(f"duplicate node id {node.id!r}", node.id, "id"))
        seen.add(node.id)
    by_id = {n.id: n for n in spec.nodes}
    edges: list[PlanEdge] = []
    pairs: set[tuple[str, str, str | None]] = set()
    for i, edge in enumerate(spec.edges):
        ok = True
        for end in ("source", "target"):
            ref = getattr(edge, end)
            if ref not in by_id:
                errors.append(DefinitionError(f"edge {end} {ref!r} is not a node", None, f"edges[{i}].{end}"))
                ok = False
        if not ok:
            continue
        if edge.source == edge.target:
            errors.append(DefinitionError("an edge may not loop to its own node", edge.source, f"edges[{i}]"))
            continue
        if (edge.source, edge.target, edge.branch) in pairs:
            errors.append(DefinitionError("duplicate edge", edge.source, f"edges[{i}]"))
            continue
        pairs.add((edge.source, edge.target, edge.branch))
        if edge.branch is not None and edge.branch not in declared_branches(by_id[edge.source]):
            errors.append(
                DefinitionError(
                    f"branch {edge.branch!r} is never picked by {edge.source!r}, so {edge.target!r} is unreachable"
                    " through it",
                    edge.source,
                    f"edges[{i}].branch",
                )
            )
            continue
        edges.append(Plan.edge_of(i, edge))
    return edges


def _check_node_expressions(
    spec: PipelineSpec,
    node: Node,
    upstream: frozenset[str],
    all_nodes: frozenset[str],
    errors: list[DefinitionError],
) -> tuple[tuple[str, JsonValue], ...]:
    fields = frozenset(spec.input) if spec.input else None
    scope = Scope(node.id, upstream, all_nodes, fields, has_item=node.for_each is not None)
    config_templates: list[tuple[str, JsonValue]] = []
    for path, value in templated_values(node, ""):
        if path == "for_each":
            errors.extend(check_template_field(value, path, Scope(node.id, upstream, all_nodes, fields)))
            continue
        in_config = path.startswith("config.")
        field_scope = Scope(node.id, upstream, all_nodes, fields, scope.has_item, has_inputs=in_config)
        errors.extend(check_template_field(value, path, field_scope))
        if in_config:
            config_templates.append((path.removeprefix("config."), value))
    return tuple(config_templates)


def compile_pipeline(spec: PipelineSpec, *, script_dirs: Sequence[PurePath] | None = None) -> Plan:
    """Validate a definition and build its plan; raises DefinitionErrors listing every problem.

    ``script_dirs``: the folders a script's ``config.file`` may name (a server's setting); None: not checked
    (a stored version, compiled to run: its steps check again when they run).
    """
    errors: list[DefinitionError] = []
    edges = _check_ids_and_edges(spec, errors)
    if script_dirs is not None:
        check_script_files(spec.nodes, script_dirs, errors)
    ids = list(dict.fromkeys(n.id for n in spec.nodes))
    preds: dict[str, list[str]] = defaultdict(list)
    succs: dict[str, list[str]] = defaultdict(list)
    for edge in edges:
        preds[edge.target].append(edge.source)
        succs[edge.source].append(edge.target)
    cycle = find_cycle(ids, succs)
    if cycle is not None:
        errors.append(DefinitionError("cycle: " + " → ".join(cycle), cycle[0], "edges"))
        raise DefinitionErrors(errors)
    order = topological_order(ids, preds)
    level = levels(order, preds)
    ancestry = ancestors(order, preds)
    by_id = {n.id: n for n in spec.nodes}
    plan_nodes: dict[str, PlanNode] = {}
    all_nodes = frozenset(by_id)
    incoming: dict[str, list[PlanEdge]] = defaultdict(list)
    outgoing: dict[str, list[PlanEdge]] = defaultdict(list)
    for edge in edges:
        incoming[edge.target].append(edge)
        outgoing[edge.source].append(edge)
    for node_id in order:
        node = by_id[node_id]
        config_templates = _check_node_expressions(spec, node, ancestry[node_id], all_nodes, errors)
        _check_review(node, errors)
        plan_nodes[node_id] = PlanNode(
            node=node,
            predecessors=tuple(dict.fromkeys(preds[node_id])),
            successors=tuple(dict.fromkeys(succs[node_id])),
            incoming=tuple(incoming[node_id]),
            outgoing=tuple(outgoing[node_id]),
            ancestors=ancestry[node_id],
            level=level[node_id],
            config_templates=config_templates,
            config_json=node.config.model_dump(mode="json"),
        )
    _check_edges_and_output(spec, edges, ancestry, errors)
    _check_concurrency_groups(spec, errors)
    if errors:
        raise DefinitionErrors(errors)
    by_level: dict[int, list[str]] = defaultdict(list)
    for node_id in order:
        by_level[level[node_id]].append(node_id)
    return Plan(
        spec=spec,
        hash=spec.content_hash(),
        nodes=plan_nodes,
        edges=tuple(edges),
        order=tuple(order),
        levels=tuple(tuple(by_level[i]) for i in sorted(by_level)),
        roots=tuple(n for n in order if not preds[n]),
        sinks=tuple(n for n in order if not succs[n]),
        idempotent=frozenset(n for n, p in plan_nodes.items() if p.node.idempotency_key is not None),
    )


def _check_review(node: Node, errors: list[DefinitionError]) -> None:
    """A deadline that approves a form submits its defaults: each required field needs one."""
    review = node.review
    if not isinstance(node, HumanNode) or review is None or review.on_deadline is not DeadlineAction.APPROVE:
        return
    bare = [f.name for f in node.config.fields if f.required and f.default is None]
    if bare:
        errors.append(
            DefinitionError(
                f"on_deadline: approve submits the form's defaults, but required fields {bare} have none",
                node.id,
                "review.on_deadline",
            )
        )


def _check_concurrency_groups(spec: PipelineSpec, errors: list[DefinitionError]) -> None:
    """The nodes sharing a ``concurrency_group`` share one limit: each gives it, the same."""
    limits: dict[str, int] = {}
    for node in spec.nodes:
        group = node.concurrency_group
        if group is None:
            continue
        if node.max_concurrent is None:
            errors.append(DefinitionError("a concurrency_group needs max_concurrent", node.id, "max_concurrent"))
        elif limits.setdefault(group, node.max_concurrent) != node.max_concurrent:
            given = f"{limits[group]} and {node.max_concurrent}"
            message = f"the nodes of concurrency_group {group!r} give different max_concurrent ({given})"
            errors.append(DefinitionError(message, node.id, "max_concurrent"))


def _check_edges_and_output(
    spec: PipelineSpec, edges: list[PlanEdge], ancestry: dict[str, frozenset[str]], errors: list[DefinitionError]
) -> None:
    all_nodes = frozenset(n.id for n in spec.nodes)
    fields = frozenset(spec.input) if spec.input else None
    for edge in edges:
        if isinstance(edge.when, str):
            scope = Scope(edge.source, ancestry[edge.source] | {edge.source}, all_nodes, fields)
            errors.extend(check_template_field(edge.when, f"edges[{edge.index}].when", scope))
    if spec.output is not None:
        errors.extend(check_template_field(spec.output, "output", Scope(None, all_nodes, all_nodes, fields)))
    if spec.concurrency is not None and spec.concurrency.key is not None:  # known before any step: input only
        scope = Scope(None, frozenset(), all_nodes, fields)
        errors.extend(check_template_field(spec.concurrency.key, "concurrency.key", scope))
