"""Compiling a definition: every problem named by node and field, all at once; a plan that is right."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import pytest

from lockgate.compile import ERROR_BRANCH, Plan, compile_pipeline, declared_branches
from lockgate.errors import DefinitionError, DefinitionErrors
from lockgate.spec import spec_from_data


def node(node_id: str, kind: str = "noop", **fields: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": kind, **fields}


def edge(source: str, target: str, **fields: Any) -> dict[str, Any]:
    return {"source": source, "target": target, **fields}


def compile_data(nodes: list[dict[str, Any]], edges: list[dict[str, Any]] | None = None, **extra: Any) -> Plan:
    return compile_pipeline(spec_from_data({"name": "p", "nodes": nodes, "edges": edges or [], **extra}))


def errors_of(
    nodes: list[dict[str, Any]], edges: list[dict[str, Any]] | None = None, **extra: Any
) -> list[DefinitionError]:
    with pytest.raises(DefinitionErrors) as caught:
        compile_data(nodes, edges, **extra)
    return caught.value.errors


def where(errors: list[DefinitionError]) -> list[tuple[str | None, str | None]]:
    return [(e.node_id, e.field) for e in errors]


# ---------------------------------------------------------------------------------------------- graph


def test_a_cycle_is_named_node_by_node() -> None:
    errors = errors_of([node("a"), node("b"), node("c")], [edge("a", "b"), edge("b", "a"), edge("b", "c")])

    assert [e.detail for e in errors] == ["cycle: a → b → a"]
    assert where(errors) == [("a", "edges")]


def test_a_longer_cycle_is_named_in_edge_order() -> None:
    errors = errors_of(
        [node("start"), node("x"), node("y"), node("z")],
        [edge("start", "x"), edge("x", "y"), edge("y", "z"), edge("z", "x")],
    )

    assert [e.detail for e in errors] == ["cycle: x → y → z → x"]


def test_an_edge_to_its_own_node_is_rejected() -> None:
    errors = errors_of([node("a")], [edge("a", "a")])

    assert where(errors) == [("a", "edges[0]")]


def test_duplicate_node_ids_are_rejected() -> None:
    errors = errors_of([node("a"), node("b"), node("a", "transform", config={"value": 1})])

    assert where(errors) == [("a", "id")]
    assert "duplicate node id 'a'" in errors[0].detail


def test_duplicate_edges_are_rejected() -> None:
    errors = errors_of([node("a"), node("b")], [edge("a", "b"), edge("a", "b")])

    assert where(errors) == [("a", "edges[1]")]


def test_dangling_edges_name_the_missing_end() -> None:
    errors = errors_of([node("a")], [edge("a", "ghost"), edge("phantom", "a")])

    assert where(errors) == [(None, "edges[0].target"), (None, "edges[1].source")]
    assert "'ghost'" in errors[0].detail
    assert "'phantom'" in errors[1].detail


def test_a_branch_the_source_never_picks_is_rejected() -> None:
    errors = errors_of([node("a"), node("b")], [edge("a", "b", branch="yes")])

    assert where(errors) == [("a", "edges[0].branch")]
    assert "never picked" in errors[0].detail


def test_condition_branches_default_and_error_branch_are_declared() -> None:
    condition = node(
        "route",
        "condition",
        on_error="branch",
        config={"branches": [{"name": "high", "when": "{{ input.x > 1 }}"}], "default": "low"},
    )
    plan = compile_data(
        [condition, node("h"), node("l"), node("e")],
        [edge("route", "h", branch="high"), edge("route", "l", branch="low"), edge("route", "e", branch="error")],
        input={"x": {"type": "number"}},
    )

    assert declared_branches(plan.node("route").node) == {"high", "low", ERROR_BRANCH}
    assert {e.branch for e in plan.node("route").outgoing} == {"high", "low", "error"}


def test_the_error_branch_needs_on_error_branch() -> None:
    errors = errors_of([node("a"), node("b")], [edge("a", "b", branch="error")])

    assert where(errors) == [("a", "edges[0].branch")]


# ---------------------------------------------------------------------------------------------- references


def test_a_reference_to_an_unknown_node_is_an_error() -> None:
    errors = errors_of([node("a", inputs={"x": "{{ nodes.nobody.output }}"})])

    assert where(errors) == [("a", "inputs.x")]
    assert "unknown node 'nobody'" in errors[0].detail


def test_a_reference_to_a_node_that_is_not_upstream_is_an_error() -> None:
    errors = errors_of(
        [
            node("a", inputs={"x": "{{ nodes.b.output }}"}),
            node("b"),
            node("c", inputs={"y": "{{ nodes['b'] }}"}, start=True),
        ],
        [edge("a", "b")],
    )

    assert where(errors) == [("a", "inputs.x"), ("c", "inputs.y")]
    assert all("not upstream" in e.detail for e in errors)


def test_a_node_may_refer_to_any_ancestor_not_only_its_parents() -> None:
    plan = compile_data(
        [node("a"), node("b"), node("c", inputs={"x": "{{ nodes.a.output }}"})],
        [edge("a", "b"), edge("b", "c")],
    )

    assert plan.node("c").ancestors == {"a", "b"}


def test_an_undeclared_input_field_is_an_error_when_the_input_is_declared() -> None:
    errors = errors_of(
        [node("a", inputs={"x": "{{ input.topic }}", "y": "{{ input.tpoic }}"})],
        input={"topic": {"type": "string"}},
    )

    assert where(errors) == [("a", "inputs.y")]
    assert "undeclared input 'tpoic'" in errors[0].detail


def test_without_an_input_schema_any_input_field_may_be_used() -> None:
    compile_data([node("a", inputs={"x": "{{ input.anything }}"})])


def test_item_outside_for_each_is_an_error() -> None:
    errors = errors_of([node("a", inputs={"x": "{{ item }}", "i": "{{ item_index }}"})])

    assert where(errors) == [("a", "inputs.x"), ("a", "inputs.i")]
    assert "for_each" in errors[0].detail


def test_item_inside_for_each_is_fine_but_not_in_for_each_itself() -> None:
    compile_data([node("a", for_each="{{ [1, 2] }}", inputs={"x": "{{ item }}", "i": "{{ item_index }}"})])

    errors = errors_of([node("a", for_each="{{ item }}")])
    assert where(errors) == [("a", "for_each")]


def test_inputs_are_visible_in_config_but_not_in_inputs() -> None:
    compile_data([node("a", "http", inputs={"q": "x"}, config={"url": "https://e.org/?q={{ inputs.q }}"})])

    errors = errors_of([node("a", inputs={"q": "x", "r": "{{ inputs.q }}"})])
    assert where(errors) == [("a", "inputs.r")]


def test_an_unknown_root_name_is_an_error() -> None:
    errors = errors_of([node("a", inputs={"x": "{{ secrets.token }}"})])

    assert where(errors) == [("a", "inputs.x")]
    assert "'secrets'" in errors[0].detail


def test_a_syntax_error_is_reported_on_its_field() -> None:
    errors = errors_of([node("a", "transform", config={"value": {"deep": ["{{ 1 + }}"]}})])

    assert where(errors) == [("a", "config.value.deep[0]")]
    assert errors[0].detail.startswith("syntax error")


def test_an_unknown_filter_or_test_is_an_error_on_its_field() -> None:
    errors = errors_of(
        [
            node("a", "transform", config={"value": "{{ input.x | nosuchfilter }}"}),
            node("b", inputs={"y": "{% if input.x is nosuchtest %}1{% endif %}"}),
            node("c", "transform", config={"value": "{{ input.x | uper }}"}),
        ]
    )

    assert where(errors) == [("a", "config.value"), ("b", "inputs.y"), ("c", "config.value")]
    assert errors[0].detail == "unknown filter 'nosuchfilter' (line 1)"
    assert errors[1].detail == "unknown test 'nosuchtest' (line 1)"
    assert errors[2].detail == "unknown filter 'uper' (line 1) (did you mean 'upper'?)"


def test_a_template_jinja_cannot_compile_is_a_syntax_error_not_a_crash() -> None:
    errors = errors_of([node("a", "transform", config={"value": "{% for loop in input.x %}{% endfor %}"})])

    assert where(errors) == [("a", "config.value")]
    assert errors[0].detail.startswith("syntax error")


def test_edge_conditions_see_their_source_and_its_ancestors_only() -> None:
    compile_data(
        [node("a"), node("b"), node("c")], [edge("a", "b"), edge("b", "c", when="{{ nodes.b.output and nodes.a }}")]
    )

    errors = errors_of([node("a"), node("b")], [edge("a", "b", when="{{ nodes.b.output }}")])
    assert where(errors) == [("a", "edges[0].when")]


def test_the_run_output_may_refer_to_any_node() -> None:
    compile_data([node("a"), node("b")], output={"x": "{{ nodes.a.output }}", "y": "{{ nodes.b.output }}"})

    errors = errors_of([node("a")], output="{{ nodes.zz.output }}")
    assert where(errors) == [(None, "output")]


def test_every_problem_is_reported_together() -> None:
    errors = errors_of(
        [
            node("a", inputs={"x": "{{ nodes.c.output }}"}),
            node("b", inputs={"i": "{{ item }}", "s": "{% if %}"}),
            node("c", inputs={"t": "{{ input.nope }}"}),
            node("twin"),
            node("twin"),
        ],
        [edge("a", "ghost"), edge("a", "c", branch="maybe"), edge("a", "b")],
        input={"topic": {}},
        output="{{ nodes.unknown }}",
    )

    assert where(errors) == [
        ("twin", "id"),
        (None, "edges[0].target"),
        ("a", "edges[1].branch"),
        ("a", "inputs.x"),
        ("b", "inputs.i"),
        ("b", "inputs.s"),
        ("c", "inputs.t"),
        (None, "output"),
    ]
    assert len(str(DefinitionErrors(errors)).split("; ")) == len(errors)


# ---------------------------------------------------------------------------------------------- the plan


@pytest.fixture
def diamond() -> Plan:
    #     a
    #    / \
    #   b   c
    #    \ /
    #     d
    return compile_data(
        [node("d"), node("c"), node("b"), node("a")],
        [edge("a", "b"), edge("a", "c"), edge("b", "d"), edge("c", "d")],
    )


def test_diamond_order_levels_roots_and_sinks(diamond: Plan) -> None:
    assert diamond.order[0] == "a"
    assert diamond.order[-1] == "d"
    assert set(diamond.order[1:3]) == {"b", "c"}
    assert diamond.levels == (("a",), ("c", "b"), ("d",))
    assert diamond.roots == ("a",)
    assert diamond.sinks == ("d",)


def test_diamond_neighbours_and_ancestors(diamond: Plan) -> None:
    assert diamond.node("a").successors == ("b", "c")
    assert diamond.node("d").predecessors == ("b", "c")
    assert diamond.node("b").predecessors == ("a",)
    assert diamond.node("d").ancestors == {"a", "b", "c"}
    assert diamond.node("a").ancestors == frozenset()
    assert [(e.source, e.target) for e in diamond.node("d").incoming] == [("b", "d"), ("c", "d")]
    assert [(e.source, e.target) for e in diamond.node("a").outgoing] == [("a", "b"), ("a", "c")]
    assert {n.id: n.level for n in diamond.nodes.values()} == {"a": 0, "b": 1, "c": 1, "d": 2}


def test_the_plan_carries_the_definition_and_its_hash(diamond: Plan) -> None:
    assert diamond.name == "p"
    assert diamond.hash == diamond.spec.content_hash()
    assert [e.index for e in diamond.edges] == [0, 1, 2, 3]


def test_ties_in_the_order_follow_definition_order() -> None:
    plan = compile_data([node("z"), node("m"), node("a")])

    assert plan.order == ("z", "m", "a")
    assert plan.roots == plan.sinks == ("z", "m", "a")
    assert plan.levels == (("z", "m", "a"),)


def test_config_templates_are_collected_for_rendering_at_dispatch() -> None:
    plan = compile_data(
        [node("a", "http", inputs={"q": "x"}, config={"url": "https://e.org/{{ inputs.q }}", "headers": {"k": "v"}})]
    )

    templates = dict(plan.node("a").config_templates)
    assert templates["url"] == "https://e.org/{{ inputs.q }}"
    assert templates["headers"] == {"k": "v"}


# ------------------------------------------------------------------------------------ script files (config.file)


def _script_file_errors(file: str, script_dirs: list[str]) -> list[DefinitionError]:
    spec = spec_from_data({"name": "p", "nodes": [node("run", "script", config={"file": file})]})
    with pytest.raises(DefinitionErrors) as caught:
        compile_pipeline(spec, script_dirs=[PurePosixPath(d) for d in script_dirs])
    return caught.value.errors


@pytest.mark.parametrize(
    ("file", "script_dirs", "says"),
    [
        ("/srv/scripts/job.py", [], "script files are turned off on this server (LOCKGATE_SCRIPT_DIRS"),
        ("/home/lockgate/.lockgate/secret.key", ["/srv/scripts"], "is not inside a folder LOCKGATE_SCRIPT_DIRS lists"),
        ("/srv/scripts/../../etc/shadow", ["/srv/scripts"], "not an absolute path without '.' or '..'"),
        ("scripts/job.py", ["/srv/scripts"], "not an absolute path"),
        ("/srv/scripts", ["/srv/scripts"], "is not inside a folder"),
        ("/srv/scripts-old/job.py", ["/srv/scripts"], "is not inside a folder"),
    ],
)
def test_a_script_file_must_lie_in_a_listed_folder(file: str, script_dirs: list[str], says: str) -> None:
    errors = _script_file_errors(file, script_dirs)
    assert where(errors) == [("run", "config.file")]
    assert says in errors[0].detail


def test_a_script_file_in_a_listed_folder_compiles_and_none_given_checks_nothing() -> None:
    spec = spec_from_data({"name": "p", "nodes": [node("run", "script", config={"file": "/srv/scripts/job.py"})]})
    compile_pipeline(spec, script_dirs=[PurePosixPath("/srv/other"), PurePosixPath("/srv/scripts")])
    compile_pipeline(spec)  # a stored version, compiled to run: its step checks when it runs
