"""One pass reports every problem of a definition: schema, structure and references together; start nodes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lockgate.compile import Plan, compile_pipeline, compile_text
from lockgate.errors import DefinitionError, DefinitionErrors

EVERYTHING_WRONG = """\
name: everything-wrong
input:
  topic: {type: string}
nodes:
  - {id: a, kind: noop}
  - {id: b, kind: noop, inputs: {x: "{{ nodes.ghost.output }}"}}
  - {id: c, kind: noop, inputs: {t: "{{ input.tpoic }}"}}
  - {id: broken, kind: noop, retry: {max_attempts: 0}}
  - {id: d, kind: transform, config: {value: "{{ nodes.broken.output | shout }}"}}
  - {id: e, kind: transform, config: {value: "{{ nodes.a.output | shout(nodes.d.output) }}"}}
edges:
  - {source: a, target: b}
  - {source: b, target: c}
  - {source: c, target: b}
  - {source: a, target: nowhere}
  - {source: a, target: broken}
  - {source: broken, target: d}
  - {source: a, target: e}
"""


def problems(text: str) -> list[DefinitionError]:
    with pytest.raises(DefinitionErrors) as caught:
        compile_text(text)
    return caught.value.errors


def where(errors: list[DefinitionError]) -> list[tuple[str | None, str | None]]:
    return [(e.node_id, e.field) for e in errors]


def test_a_file_with_every_kind_of_problem_reports_them_all_at_once() -> None:
    errors = problems(EVERYTHING_WRONG)

    assert where(errors) == [
        ("broken", "retry.max_attempts"),  # its schema: the node is still known by id to its edges and readers
        (None, "edges[3].target"),
        ("b", "edges"),
        ("d", "config.value"),  # nodes in topological order, then those a cycle holds
        ("e", "config.value"),
        ("e", "config.value"),
        ("b", "inputs.x"),
        ("c", "inputs.t"),
    ]
    details = [e.detail for e in errors]
    assert "greater than or equal to 1" in details[0]
    assert details[1] == "edge target 'nowhere' is not a node"
    assert details[2] == "cycle: b → c → b"
    shout = "unknown filter 'shout' (line 1) (did you mean 'sort'?)"
    assert details[3] == shout  # and nodes.broken, upstream though broken, is no problem
    # an unknown filter does not hide the references of its template
    assert details[4:6] == [shout, "expression refers to node 'd', which is not upstream"]
    assert "unknown node 'ghost'" in details[6]
    assert "undeclared input 'tpoic'" in details[7]


def test_a_bad_kind_still_anchors_its_edges_and_the_references_to_it() -> None:
    errors = problems(
        "name: p\nnodes:\n"
        "  - {id: a, kind: nosuchkind}\n"
        "  - {id: b, kind: noop, inputs: {x: '{{ nodes.a.output }}', y: '{{ nodes.zz }}'}}\n"
        "edges:\n  - {source: a, target: b}\n  - {source: b, target: a}\n"
    )

    assert where(errors) == [("a", "kind"), ("a", "edges"), ("b", "inputs.y")]
    assert errors[1].detail == "cycle: a → b → a"


def test_a_definition_that_is_not_a_pipeline_at_all_reports_what_it_can() -> None:
    errors = problems("name: p\nnodes: 3\nedges: [{source: a, target: b}]\n")

    assert where(errors) == [(None, "nodes"), (None, "edges[0].source"), (None, "edges[0].target")]


# ---------------------------------------------------------------------------------------------- start nodes


def pipeline(*nodes: dict[str, Any], edges: list[tuple[str, str]]) -> str:
    """As JSON, which is YAML."""
    return json.dumps(
        {
            "name": "p",
            "nodes": list(nodes),
            "edges": [{"source": s, "target": t} for s, t in edges],
        }
    )


def node(node_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": "noop", **fields}


def test_a_node_with_no_edge_among_linked_nodes_is_reported() -> None:
    errors = problems(pipeline(node("a"), node("b"), node("lonely"), edges=[("a", "b")]))

    assert where(errors) == [("lonely", "start")]
    assert "link it" in errors[0].detail and "start: true" in errors[0].detail


def test_a_node_marked_start_runs_on_its_own_beside_the_linked_ones() -> None:
    plan: Plan = compile_text(pipeline(node("a"), node("b"), node("side", start=True), edges=[("a", "b")]))

    assert plan.roots == ("a", "side")
    assert plan.node("side").level == 0


def test_without_edges_every_node_starts_at_once() -> None:
    plan = compile_text(pipeline(node("a"), node("b"), node("c"), edges=[]))

    assert plan.roots == ("a", "b", "c")


def test_roots_with_outgoing_edges_need_no_mark() -> None:
    plan = compile_text(pipeline(node("a"), node("b"), node("c"), edges=[("a", "c"), ("b", "c")]))

    assert plan.roots == ("a", "b")


def test_start_on_a_node_with_an_incoming_edge_is_reported() -> None:
    errors = problems(pipeline(node("a"), node("b", start=True), edges=[("a", "b")]))

    assert where(errors) == [("b", "start")]
    assert errors[0].detail == "start: true, but edges lead into 'b' (from 'a'): it starts when they are taken"


def test_a_stored_version_from_before_the_start_rule_still_compiles_to_run() -> None:
    spec = compile_text(pipeline(node("a"), node("b"), node("side", start=True), edges=[("a", "b")])).spec
    older = spec.model_copy(update={"nodes": [n.model_copy(update={"start": False}) for n in spec.nodes]})

    assert compile_pipeline(older).roots == ("a", "side")  # as the runtime compiles what it stored
    with pytest.raises(DefinitionErrors):
        compile_pipeline(older, new=True)


def test_a_node_that_fails_its_schema_is_still_checked_for_edges() -> None:
    errors = problems(pipeline(node("a"), node("b"), node("bad", retry=5), edges=[("a", "b")]))

    assert where(errors) == [("bad", "retry"), ("bad", "start")]
