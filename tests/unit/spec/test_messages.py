"""Definition errors in the pipeline's words, with the nearest valid name and the YAML line."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from lockgate.compile import compile_text
from lockgate.errors import DefinitionErrors
from lockgate.spec import PipelineSpec
from lockgate.spec.messages import explain, field_names, nearest
from lockgate.spec.nodes import Node

BAD = """\
name: demo
nodes:
  - id: fetch
    kind: scirpt
    config: {code: "print(1)"}
  - id: shape
    kind: transform
    inpts: {x: "{{ nodes.fetch.output }}"}
    config: {value: "{{ inputs.x }}"}
  - id: tidy
    config: {}
  - id: "[a-z]"
    kind: noop
edges:
  - {source: fetch, target: shape}
"""


def _problems(text: str, source: str | None = None) -> dict[str, tuple[str, int | None]]:
    with pytest.raises(DefinitionErrors) as caught:
        compile_text(text, source=source)
    assert caught.value.source == source
    return {".".join(p for p in (e.node_id, e.field) if p): (e.detail, e.line) for e in caught.value.errors}


def test_schema_errors_say_what_is_wrong_where_with_a_did_you_mean() -> None:
    problems = _problems(BAD, source="demo.yaml")
    assert problems["fetch.kind"] == ("unknown kind 'scirpt': did you mean `script`?", 4)
    assert problems["shape.inpts"] == ("unknown field 'inpts': did you mean `inputs`?", 8)
    missing_kind, line = problems["tidy.kind"]
    assert missing_kind.startswith("kind is missing: one of script, http, transform") and line == 10
    # the pattern is said in words (Rich once swallowed its [a-z] too)
    assert problems["[a-z].id"] == (
        "must be lowercase letters, digits, - and _, starting with a letter (at most 63)",
        12,
    )
    said = " ".join(detail for detail, _ in problems.values())
    for pydantic_words in ("Unable to extract tag", "Extra inputs are not permitted", "String should match"):
        assert pydantic_words not in said


def test_a_name_far_from_any_lists_the_valid_ones() -> None:
    text = "name: demo\nnodes:\n  - id: a\n    kind: noop\n    config: {}\n    zzzzzz: 1\n"
    detail, line = _problems(text)["a.zzzzzz"]
    assert detail.startswith("unknown field 'zzzzzz': one of ") and "inputs" in detail and line == 6


def test_problems_of_the_graph_get_their_node_line_too() -> None:
    text = (
        "name: demo\nnodes:\n  - id: a\n    kind: noop\n  - id: b\n    kind: noop\nedges:\n  - {source: a, target: c}\n"
    )
    problems = _problems(text)
    assert any(line == 8 for _, line in problems.values()), problems  # the edge naming an unknown node


def test_an_edge_says_source_and_target_for_from_and_to_and_the_node_meant() -> None:
    nodes = "name: demo\nnodes:\n  - id: fetch\n    kind: noop\n  - id: shape\n    kind: noop\n"
    named = _problems(nodes + "edges:\n  - {from: fetch, to: shape}\n")
    assert named["edges[0].from"][0] == "unknown field 'from': did you mean `source`?"
    assert named["edges[0].to"][0] == "unknown field 'to': did you mean `target`?"
    slip = _problems(nodes + "edges:\n  - {sorce: fetch, target: shape}\n")
    assert slip["edges[0].sorce"][0] == "unknown field 'sorce': did you mean `source`?"
    typo = _problems(nodes + "edges:\n  - {source: fech, target: shape}\n")
    assert typo["edges[0].source"][0] == "edge source 'fech' is not a node: did you mean `fetch`?"
    far = _problems(nodes + "edges:\n  - {source: fetch, target: zzzz}\n")
    assert far["edges[0].target"][0] == "edge target 'zzzz' is not a node"


def test_json_definitions_have_no_lines_but_the_same_words() -> None:
    with pytest.raises(DefinitionErrors) as caught:
        compile_text('{"name": "demo", "nodes": [{"id": "a", "kind": "nop"}]}', "json")
    (error,) = caught.value.errors
    assert (error.detail, error.line) == ("unknown kind 'nop': did you mean `noop`?", None)


def test_field_names_follow_the_location_through_the_node_union() -> None:
    assert "inputs" in field_names(PipelineSpec, ("nodes", 0, "script"))
    assert "code" in field_names(PipelineSpec, ("nodes", 3, "script", "config"))
    assert field_names(PipelineSpec, ("edges", 0)) == ["source", "target", "when", "branch"]
    assert field_names(PipelineSpec, ("nowhere",)) == []


NAMES = ["inputs", "config", "retry", "timeout", "on_error", "for_each", "max_parallel", "credentials"]


@given(st.sampled_from(NAMES), st.integers(min_value=0, max_value=20), st.sampled_from(["drop", "swap", "double"]))
def test_one_slip_in_a_name_suggests_that_name(name: str, at: int, slip: str) -> None:
    i = at % (len(name) - 1)
    match slip:
        case "drop":
            typo = name[:i] + name[i + 1 :]
        case "swap":
            typo = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        case _:
            typo = name[:i] + name[i] + name[i:]
    assert nearest(typo, NAMES) == name or typo in NAMES


@given(st.text(alphabet="qxzjkvw", min_size=5, max_size=12))
def test_nothing_close_suggests_nothing(name: str) -> None:
    assert nearest(name, NAMES) is None


def test_a_case_slip_is_the_name_as_spelt() -> None:
    assert nearest("Inputs", NAMES) == "inputs"


def test_without_the_validated_type_the_words_stay_plain() -> None:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(Node).validate_python({"id": "a"})
    assert explain(caught.value.errors()[0]) == "kind is missing"
    assert explain(caught.value.errors()[0], Node).startswith("kind is missing: one of script, http")
