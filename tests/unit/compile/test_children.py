"""Compile-time checks of sub-pipeline steps: each problem names the node and the config field."""

from __future__ import annotations

from typing import Any

import pytest

from lockgate.compile import compile_pipeline
from lockgate.compile.children import child_problems
from lockgate.errors import DefinitionErrors
from lockgate.spec.pipeline import PipelineSpec


def _calling(name: str, *targets: str, input_: dict[str, Any] | None = None, **config: Any) -> PipelineSpec:
    nodes = [{"id": f"call-{t}", "kind": "subpipeline", "config": {"pipeline": t, "input": input_ or {}, **config}}
             for t in targets] or [{"id": "leaf", "kind": "noop"}]  # fmt: skip
    return PipelineSpec.model_validate({"name": name, "nodes": nodes})


GREET = PipelineSpec.model_validate({
    "name": "greet",
    "input": {"who": {"type": "string", "required": True}, "times": {"type": "integer", "required": False}},
    "nodes": [{"id": "hello", "kind": "noop"}],
})  # fmt: skip


def _store(*specs: PipelineSpec) -> Any:
    by_name = {s.name: s for s in specs}
    return lambda name, version: by_name.get(name) if version in (None, 1) else None


def _found(spec: PipelineSpec, *stored: PipelineSpec, depth: int = 5) -> list[tuple[str | None, str | None, str]]:
    return [(e.node_id, e.field, e.detail) for e in child_problems(spec, _store(*stored), depth)]


def test_a_call_with_the_input_its_pipeline_takes_passes() -> None:
    spec = _calling("outer", "greet", input_={"who": "{{ input.name }}", "times": 2})
    assert _found(spec, GREET) == []


def test_a_missing_pipeline_or_version_is_named_at_the_node() -> None:
    assert _found(_calling("outer", "nowhere"), GREET) == [
        ("call-nowhere", "config.pipeline", "pipeline 'nowhere' does not exist")
    ]
    assert _found(_calling("outer", "greet", input_={"who": "x"}, version=7), GREET) == [
        ("call-greet", "config.version", "pipeline 'greet' has no version 7")
    ]


def test_the_input_is_checked_against_the_called_pipelines_schema() -> None:
    spec = _calling("outer", "greet", input_={"times": "twice", "colour": "red"})
    assert _found(spec, GREET) == [
        ("call-greet", "config.input.times", "input.times: expected integer, got str"),
        ("call-greet", "config.input.colour", "'greet' declares no input field 'colour'"),
        ("call-greet", "config.input.who", "'greet' requires input field 'who'"),
    ]


def test_cycles_between_pipelines_are_reported_with_the_loop() -> None:
    a = _calling("a", "b")
    b = _calling("b", "c")
    c = _calling("c", "a")
    assert _found(a, b, c) == [("call-b", "config.pipeline", "pipelines call each other in a cycle: a → b → c → a")]
    assert _found(_calling("self", "self")) == [
        ("call-self", "config.pipeline", "pipelines call each other in a cycle: self → self")
    ]


def test_nesting_past_the_limit_is_reported_with_the_chain() -> None:
    chain = [_calling(f"p{i}", f"p{i + 1}") for i in range(1, 4)] + [_calling("p4")]
    assert _found(chain[0], *chain[1:], depth=3) == []
    assert _found(chain[0], *chain[1:], depth=2) == [
        ("call-p2", "config.pipeline",
         "sub-pipelines nest 3 deep here (p1 → p2 → p3 → p4); LOCKGATE_SUBPIPELINE_MAX_DEPTH is 2"),
    ]  # fmt: skip


def test_a_heartbeat_timeout_on_a_subpipeline_step_is_refused() -> None:
    node = {"id": "call", "kind": "subpipeline", "heartbeat_timeout": "30s", "config": {"pipeline": "greet"}}
    spec = PipelineSpec.model_validate({"name": "outer", "nodes": [node]})
    with pytest.raises(DefinitionErrors) as refused:
        compile_pipeline(spec)
    assert [(e.node_id, e.field) for e in refused.value.errors] == [("call", "heartbeat_timeout")]
