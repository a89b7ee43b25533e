"""Every structure and reference problem of a definition, found in one pass, each naming its node and field.

Runs on a ``Draft``, so that a definition that failed its schema is still checked as far as it can be read:
a cycle does not hide a bad reference, nor a bad node the edges around it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import JsonValue

from lockgate.compile.graph import ancestors, find_cycle, reachable_ancestors, topological_order
from lockgate.compile.plan import Plan, PlanEdge
from lockgate.compile.references import Scope, check_template_field
from lockgate.compile.script_files import check_script_files
from lockgate.errors import DefinitionError
from lockgate.expressions import Templates
from lockgate.spec.messages import nearest
from lockgate.spec.policies import DeadlineAction, OnError
from lockgate.spec.templated import templated_values

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import PurePath

    from lockgate.spec.draft import Draft
    from lockgate.spec.nodes import Node

__all__ = ["ERROR_BRANCH", "Checked", "declared_branches", "find_problems"]

ERROR_BRANCH = "error"


@dataclass(frozen=True, slots=True)
class Checked:
    """What the checks found, and the graph they worked out (the plan is built from it when nothing is wrong)."""

    problems: list[DefinitionError]
    edges: list[PlanEdge]
    ids: list[str]
    predecessors: dict[str, list[str]]
    successors: dict[str, list[str]]
    order: list[str]  # topological; with a cycle, the nodes on or after it follow in definition order
    ancestry: dict[str, frozenset[str]]
    config_templates: dict[str, tuple[tuple[str, JsonValue], ...]]
    templates: Templates  # every template checked, prepared: the plan keeps them to render


def declared_branches(node: Node) -> frozenset[str]:
    """The branches an edge from ``node`` may follow: its kind's (``branch_fields``), and ``error`` (``on_error``)."""
    branches = set(node.branch_names())
    if node.on_error is OnError.BRANCH:
        branches.add(ERROR_BRANCH)
    return frozenset(branches)


def find_problems(draft: Draft, script_dirs: Sequence[PurePath] | None = None, *, new: bool = False) -> Checked:
    """``script_dirs``: the folders a script's ``config.file`` may name; None: not checked.

    ``new``: a definition being accepted (saved, validated, run from a file), which is held to the start-node
    rule too; a version stored before that rule existed still compiles to run as it was saved.
    """
    errors: list[DefinitionError] = []
    edges = _check_ids_and_edges(draft, errors)
    if script_dirs is not None:
        check_script_files(draft.valid_nodes, script_dirs, errors)
    ids = list(dict.fromkeys(n.id for n in draft.nodes))
    preds: dict[str, list[str]] = defaultdict(list)
    succs: dict[str, list[str]] = defaultdict(list)
    for edge in edges:
        preds[edge.target].append(edge.source)
        succs[edge.source].append(edge.target)
    cycle = find_cycle(ids, succs)
    order = topological_order(ids, preds)
    if cycle is None:
        ancestry = ancestors(order, preds)
    else:
        errors.append(DefinitionError("cycle: " + " → ".join(cycle), cycle[0], "edges"))
        placed = set(order)
        order += [n for n in ids if n not in placed]
        ancestry = reachable_ancestors(ids, preds)
    if new:
        _check_starts(draft, preds, errors)
    by_id = {d.id: d.node for d in draft.nodes}
    all_nodes = frozenset(by_id)
    config_templates: dict[str, tuple[tuple[str, JsonValue], ...]] = {}
    templates = Templates()
    for node_id in order:
        node = by_id[node_id]
        if node is None:  # failed its schema: its own fields are not known, what refers to it still is
            continue
        config_templates[node_id] = _check_node_expressions(
            draft, node, ancestry[node_id], all_nodes, errors, templates
        )
        _check_review(node, errors)
    _check_edges_and_output(draft, edges, ancestry, errors, templates)
    _check_concurrency_groups(draft.valid_nodes, errors)
    return Checked(errors, edges, ids, preds, succs, order, ancestry, config_templates, templates)


def _check_ids_and_edges(draft: Draft, errors: list[DefinitionError]) -> list[PlanEdge]:
    seen: set[str] = set()
    for draft_node in draft.nodes:
        if draft_node.id in seen:
            errors.append(DefinitionError(f"duplicate node id {draft_node.id!r}", draft_node.id, "id"))
        seen.add(draft_node.id)
    by_id = {d.id: d.node for d in draft.nodes}
    edges: list[PlanEdge] = []
    pairs: set[tuple[str, str, str | None]] = set()
    for i, edge in draft.edges:
        missing = [end for end in ("source", "target") if getattr(edge, end) not in by_id]
        for end in missing:
            ref = getattr(edge, end)
            guess = nearest(ref, by_id)
            hint = f": did you mean `{guess}`?" if guess is not None else ""
            errors.append(DefinitionError(f"edge {end} {ref!r} is not a node{hint}", None, f"edges[{i}].{end}"))
        if missing:
            continue
        if edge.source == edge.target:
            errors.append(DefinitionError("an edge may not loop to its own node", edge.source, f"edges[{i}]"))
            continue
        if (edge.source, edge.target, edge.branch) in pairs:
            errors.append(DefinitionError("duplicate edge", edge.source, f"edges[{i}]"))
            continue
        pairs.add((edge.source, edge.target, edge.branch))
        source = by_id[edge.source]
        if edge.branch is not None and source is not None and edge.branch not in declared_branches(source):
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


def _check_starts(draft: Draft, preds: dict[str, list[str]], errors: list[DefinitionError]) -> None:
    """Every node without an incoming edge starts with the run (see "Start nodes" in docs/pipelines.md).

    In a pipeline with edges, a node with no edge at all is almost always a link forgotten: it must say
    ``start: true`` to start on its own. A pipeline without edges runs all its nodes at once, as meant.
    """
    for draft_node in draft.nodes:
        node_id = draft_node.id
        if draft_node.start and preds.get(node_id):
            sources = ", ".join(repr(p) for p in dict.fromkeys(preds[node_id]))
            message = f"start: true, but edges lead into {node_id!r} (from {sources}): it starts when they are taken"
            errors.append(DefinitionError(message, node_id, "start"))
        elif draft.has_edges and not draft_node.start and node_id not in draft.linked:
            message = (
                f"{node_id!r} has no edge while the other nodes are linked: link it (an edge from or to it),"
                " or mark it 'start: true' to start it on its own when the run starts"
            )
            errors.append(DefinitionError(message, node_id, "start"))


def _check_node_expressions(
    draft: Draft,
    node: Node,
    upstream: frozenset[str],
    all_nodes: frozenset[str],
    errors: list[DefinitionError],
    templates: Templates,
) -> tuple[tuple[str, JsonValue], ...]:
    fields = draft.input_fields
    has_item = node.for_each is not None
    config_templates: list[tuple[str, JsonValue]] = []
    for path, value in templated_values(node, ""):
        if path == "for_each":
            errors.extend(check_template_field(value, path, Scope(node.id, upstream, all_nodes, fields), templates))
            continue
        in_config = path.startswith("config.")
        field_scope = Scope(node.id, upstream, all_nodes, fields, has_item, has_inputs=in_config,
                            node_names=frozenset(node.template_names()))  # fmt: skip
        errors.extend(check_template_field(value, path, field_scope, templates))
        if in_config:
            config_templates.append((path.removeprefix("config."), value))
    return tuple(config_templates)


def _check_review(node: Node, errors: list[DefinitionError]) -> None:
    """A deadline that approves a form submits its defaults: each required field needs one."""
    if node.needs.starts_child_run and node.heartbeat_timeout is not None:
        # Its step runs while its child run does: nothing heartbeats for it (``timeout`` bounds the child).
        errors.append(DefinitionError("a step that starts a child run sends no heartbeats: give it a timeout "
                                      "instead", node.id, "heartbeat_timeout"))  # fmt: skip
    review = node.review
    if not node.needs.waits_for_person or review is None or review.on_deadline is not DeadlineAction.APPROVE:
        return
    bare = [f.name for f in node.form() if f.required and f.default is None]
    if bare:
        errors.append(
            DefinitionError(
                f"on_deadline: approve submits the form's defaults, but required fields {bare} have none",
                node.id,
                "review.on_deadline",
            )
        )


def _check_concurrency_groups(nodes: Sequence[Node], errors: list[DefinitionError]) -> None:
    """The nodes sharing a ``concurrency_group`` share one limit: each gives it, the same."""
    limits: dict[str, int] = {}
    for node in nodes:
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
    draft: Draft,
    edges: list[PlanEdge],
    ancestry: dict[str, frozenset[str]],
    errors: list[DefinitionError],
    templates: Templates,
) -> None:
    all_nodes = frozenset(n.id for n in draft.nodes)
    fields = draft.input_fields
    for edge in edges:
        if isinstance(edge.when, str):
            scope = Scope(edge.source, ancestry[edge.source] | {edge.source}, all_nodes, fields)
            errors.extend(check_template_field(edge.when, f"edges[{edge.index}].when", scope, templates))
    if draft.output is not None:
        scope = Scope(None, all_nodes, all_nodes, fields)
        errors.extend(check_template_field(draft.output, "output", scope, templates))
    if draft.concurrency is not None and draft.concurrency.key is not None:  # known before any step: input only
        scope = Scope(None, frozenset(), all_nodes, fields)
        errors.extend(check_template_field(draft.concurrency.key, "concurrency.key", scope, templates))
