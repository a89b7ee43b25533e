"""The builder: one per kind, edges from handles, reads and ``>>``, errors named as the YAML loader names them."""

from __future__ import annotations

import inspect
from datetime import timedelta
from typing import get_args

import pytest

from lockgate.errors import DefinitionErrors
from lockgate.sdk import NodeBuilder, NodeHandle, Pipeline
from lockgate.spec import Edge, NodeBase, PipelineSpec, RetryPolicy, ReviewPolicy, ScriptConfig, parse_spec
from lockgate.spec.nodes import Node


def _kinds() -> dict[str, type[NodeBase]]:
    models = get_args(get_args(Node)[0])
    return {get_args(m.model_fields["kind"].annotation)[0]: m for m in models}


def _edges(spec: PipelineSpec) -> list[tuple[str, str, str | None, str | None]]:
    return [(e.source, e.target, e.branch, e.when) for e in spec.edges]


def _errors(exc: pytest.ExceptionInfo[DefinitionErrors]) -> list[tuple[str | None, str | None]]:
    return [(e.node_id, e.field) for e in exc.value.errors]


# ------------------------------------------------------------------------------------- said once


def test_every_kind_of_the_node_union_has_a_builder() -> None:
    pipe = Pipeline("p")
    for kind, model in _kinds().items():
        builder = getattr(pipe, kind)
        assert isinstance(builder, NodeBuilder)
        assert builder.kind == kind
        assert builder.config_type is model.model_fields["config"].annotation


def test_builder_keywords_are_the_fields_of_nodebase() -> None:
    params = inspect.signature(NodeBuilder.__call__).parameters.values()
    keywords = {p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert keywords == (set(NodeBase.model_fields) - {"id"}) | {"config"}


def test_no_config_field_is_shadowed_by_a_node_field() -> None:
    for kind, model in _kinds().items():
        config_fields = set(model.model_fields["config"].annotation.model_fields)  # type: ignore[union-attr]
        assert not config_fields & (set(NodeBase.model_fields) | {"config"}), kind


# ------------------------------------------------------------------------------------- edges


def test_upstream_handles_and_shift_draw_edges_in_order() -> None:
    pipe = Pipeline("p")
    a = pipe.noop("a")
    b = pipe.noop("b", a)
    c, d, e = pipe.noop("c"), pipe.noop("d"), pipe.noop("e")
    assert (b >> c >> d) is d
    assert a >> [c, e] == [c, e]
    assert ([c, d] >> e) is e
    cond = pipe.condition("route", e, branches=[{"name": "yes", "when": True}])
    f = pipe.noop("f", cond.branch("yes"))
    cond.when("{{ input.x }}") >> a  # a cycle: the spec takes it, the compiler refuses it
    assert _edges(pipe.spec()) == [
        ("a", "b", None, None), ("b", "c", None, None), ("c", "d", None, None), ("a", "c", None, None),
        ("a", "e", None, None), ("c", "e", None, None), ("d", "e", None, None), ("e", "route", None, None),
        ("route", "f", "yes", None), ("route", "a", None, "{{ input.x }}"),
    ]  # fmt: skip
    assert f.id == "f"


def test_a_read_draws_an_edge_unless_the_node_is_upstream() -> None:
    pipe = Pipeline("p", input={"topic": str})
    a = pipe.transform("a", value=pipe.input["topic"])
    b = pipe.transform("b", value={"from_a": a.output["x"]})  # a is not upstream: an edge
    c = pipe.noop("c", inputs={"a": a, "b": b.output[0]})  # a is upstream of b: only b → c
    d = pipe.script("d", for_each=c, code="output = item\n")  # a handle given whole: its output
    pipe.transform("e", value=f"{d.output} and {a.status}")  # inside text: no edge
    spec = pipe.spec()
    assert _edges(spec) == [("a", "b", None, None), ("b", "c", None, None), ("c", "d", None, None)]
    nodes = {n.id: n for n in spec.nodes}
    assert nodes["c"].inputs == {"a": "{{ nodes.a.output }}", "b": "{{ nodes.b.output[0] }}"}
    assert nodes["d"].for_each == "{{ nodes.c.output }}"
    assert nodes["e"].config.model_dump() == {"value": "{{ nodes.d.output }} and {{ nodes.a.status }}"}


def test_a_read_of_a_node_made_upstream_later_draws_no_edge() -> None:
    pipe = Pipeline("p")
    a, b = pipe.noop("a"), pipe.noop("b")
    c = pipe.transform("c", value=a.output)
    a >> b >> c
    assert pipe.spec().edges == [Edge(source="a", target="b"), Edge(source="b", target="c")]


def test_refs_index_keys_and_positions() -> None:
    pipe = Pipeline("p")
    a = pipe.noop("a")
    assert str(a.output["items"][0]["two words"]) == "{{ nodes.a.output.items[0]['two words'] }}"
    assert str(pipe.input["x"]) == "{{ input.x }}"


# ------------------------------------------------------------------------------------- values and policies


def test_policies_take_the_spec_models_or_their_dict_form() -> None:
    def build(*, models: bool) -> PipelineSpec:
        pipe = Pipeline("p")
        retry = RetryPolicy(max_attempts=3, initial_delay=timedelta(seconds=2)) if models else {
            "max_attempts": 3, "initial_delay": "2s"}  # fmt: skip
        review = ReviewPolicy(approve_start=True) if models else {"approve_start": True}
        config = ScriptConfig(code="output = 1\n") if models else {"code": "output = 1\n"}
        pipe.script("s", retry=retry, review=review, timeout=timedelta(minutes=1) if models else "1m", config=config)
        return pipe.spec()

    assert build(models=True) == build(models=False)


def test_the_same_pipeline_in_yaml_gives_the_same_spec() -> None:
    pipe = Pipeline("p", input={"n": int, "tag": {"type": "string", "default": "x"}}, output={"n": "{{ input.n }}"})
    pipe.http("get", url="https://example.org/{{ input.tag }}", retry={"max_attempts": 2}, on_error="continue")
    yaml_text = """
name: p
input:
  n: {type: integer, required: true}
  tag: {type: string, default: x}
nodes:
  - id: get
    kind: http
    retry: {max_attempts: 2}
    on_error: continue
    config: {url: "https://example.org/{{ input.tag }}"}
output: {n: "{{ input.n }}"}
"""
    assert pipe.spec() == parse_spec(yaml_text)


def test_a_loaded_pipeline_extends_in_code() -> None:
    pipe = Pipeline.from_yaml("name: p\nnodes: [{id: a, kind: noop}]\n")
    pipe.transform("b", pipe["a"], value=1)
    assert pipe.node_ids == ["a", "b"]
    assert pipe.spec().edges == [Edge(source="a", target="b")]


# ------------------------------------------------------------------------------------- errors


def test_bad_fields_are_named_by_node_and_field() -> None:
    pipe = Pipeline("p")
    with pytest.raises(DefinitionErrors) as exc:
        pipe.script("s", retry={"max_attempts": 0}, cod="x")
    assert _errors(exc) == [("s", "retry.max_attempts"), ("s", "config.cod")]
    with pytest.raises(DefinitionErrors) as exc:
        pipe.agent("writer")
    assert _errors(exc) == [("writer", "config.prompt")]
    with pytest.raises(DefinitionErrors) as exc:
        pipe.wait("w", duration="1s", until="{{ input.at }}")
    assert _errors(exc) == [("w", "config")]
    assert "exactly one of 'duration' or 'until'" in str(exc.value)
    assert pipe.node_ids == [], "a refused node is not added"


def test_duplicate_ids_and_foreign_handles_are_refused() -> None:
    one, two = Pipeline("one"), Pipeline("two")
    a = one.noop("a")
    with pytest.raises(DefinitionErrors, match=r"a\.id: a node with this id exists already"):
        one.noop("a")
    with pytest.raises(DefinitionErrors, match="another pipeline"):
        two.noop("b", a)
    with pytest.raises(DefinitionErrors, match="another pipeline"):
        two.transform("c", value=a.output)
    with pytest.raises(DefinitionErrors, match="no node 'zz'"):
        one["zz"]
    assert isinstance(one["a"], NodeHandle)


def test_pipeline_level_fields_are_checked() -> None:
    with pytest.raises(DefinitionErrors, match=r"input\.when: set is not an input type"):
        Pipeline("p", input={"when": set})
    with pytest.raises(DefinitionErrors) as exc:
        Pipeline("p", budget={"max_requests": 0})
    assert _errors(exc) == [(None, "budget.max_requests")]
    with pytest.raises(DefinitionErrors) as exc:
        Pipeline("Bad Name")
    assert _errors(exc) == [(None, "name")]
    with pytest.raises(DefinitionErrors) as exc:
        Pipeline("p").spec()  # as a YAML file without nodes
    assert _errors(exc) == [(None, "nodes")]
