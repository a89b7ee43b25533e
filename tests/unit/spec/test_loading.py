"""Loading definitions from YAML and JSON: what a user sees when a definition is right, and when it is wrong."""

from __future__ import annotations

import json
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from lockgate.errors import DefinitionError, DefinitionErrors
from lockgate.spec import HttpNode, PipelineSpec, ScriptNode, load_spec, parse_spec, spec_from_data

DEFINITIONS = Path(__file__).parent / "definitions"


def errors_of(text: str, fmt: str = "yaml") -> list[DefinitionError]:
    with pytest.raises(DefinitionErrors) as caught:
        parse_spec(textwrap.dedent(text), fmt)
    return caught.value.errors


def where(errors: list[DefinitionError]) -> set[tuple[str | None, str | None]]:
    return {(e.node_id, e.field) for e in errors}


def test_a_yaml_definition_loads_with_typed_nodes_and_policies() -> None:
    spec = load_spec(DEFINITIONS / "linear.yaml")

    assert isinstance(spec, PipelineSpec)
    assert spec.name == "linear"
    assert [n.id for n in spec.nodes] == ["fetch", "summarise", "publish"]
    fetch = spec.nodes[0]
    assert isinstance(fetch, HttpNode)
    assert fetch.retry.max_attempts == 3
    assert fetch.retry.initial_delay == timedelta(seconds=2)
    assert fetch.timeout == timedelta(seconds=30)
    assert spec.input["limit"].default == 3


def test_a_json_definition_loads_the_same_way() -> None:
    spec = load_spec(DEFINITIONS / "routing.json")

    assert spec.name == "routing"
    assert {e.branch for e in spec.edges} == {"high", "low", None}


def test_yaml_and_json_of_the_same_definition_are_equal() -> None:
    yaml_spec = load_spec(DEFINITIONS / "linear.yaml")
    as_json = json.dumps(yaml_spec.model_dump(mode="json"))

    assert parse_spec(as_json, "json") == yaml_spec


def test_every_problem_is_reported_at_once_with_its_node_and_field() -> None:
    errors = errors_of(
        """
        name: broken
        nodes:
          - id: run-it
            kind: script
            config: {}
          - id: mystery
            kind: banana
          - id: pause
            kind: wait
            config: {duration: soon}
          - id: call
            kind: http
            config: {url: "https://example.org"}
            timeout: 1h30x
        """
    )

    assert where(errors) == {
        ("run-it", "config"),
        ("mystery", "kind"),
        ("pause", "config.duration"),
        ("call", "timeout"),
    }
    by_node = {e.node_id: e for e in errors}
    # our own validators' words, without Pydantic's "Value error, " in front of them
    assert by_node["run-it"].detail.startswith("give exactly one of 'code' or 'file'")
    assert "banana" in by_node["mystery"].detail
    assert "run-it.config:" in str(DefinitionErrors(errors))


def test_a_node_without_a_kind_is_reported_on_its_kind() -> None:
    errors = errors_of("name: p\nnodes: [{id: a}]")

    assert where(errors) == {("a", "kind")}


def test_a_node_without_an_id_is_named_by_its_position() -> None:
    errors = errors_of("name: p\nnodes: [{kind: noop}, {id: b, kind: noop, bogus: 1}]")

    assert where(errors) == {("nodes[0]", "id"), ("b", "bogus")}


def test_unknown_fields_are_rejected_not_ignored() -> None:
    errors = errors_of(
        """
        name: p
        nodes:
          - id: a
            kind: http
            config: {url: "https://example.org", metod: POST}
        edges: [{source: a, target: a, label: x}]
        """
    )

    assert where(errors) == {("a", "config.metod"), (None, "edges[0].label")}


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("name: [unclosed", "yaml", "not valid YAML"),
        ("{", "json", "not valid JSON"),
        ("- just\n- a list", "yaml", "must be a mapping"),
    ],
)
def test_text_that_is_not_a_definition_says_so(text: str, fmt: str, message: str) -> None:
    errors = errors_of(text, fmt)

    assert len(errors) == 1
    assert message in errors[0].detail


def test_bad_pipeline_and_node_ids_are_rejected() -> None:
    errors = errors_of("name: Not A Slug\nnodes: [{id: 9lives, kind: noop}]")

    assert where(errors) == {(None, "name"), ("9lives", "id")}


def test_a_pipeline_needs_at_least_one_node() -> None:
    assert where(errors_of("name: p\nnodes: []")) == {(None, "nodes")}


def test_a_script_file_is_inlined_relative_to_the_definition_folder() -> None:
    spec = load_spec(DEFINITIONS / "linear.yaml")

    script = spec.nodes[1]
    assert isinstance(script, ScriptNode)
    assert script.config.file is None
    assert script.config.code == (DEFINITIONS / "scripts" / "summarise.py").read_text()


def test_a_script_file_change_changes_the_content_hash(tmp_path: Path) -> None:
    (tmp_path / "step.py").write_text("print(1)\n")
    definition = tmp_path / "p.yaml"
    definition.write_text("name: p\nnodes: [{id: s, kind: script, config: {file: step.py}}]\n")
    before = load_spec(definition).content_hash()

    (tmp_path / "step.py").write_text("print(2)\n")

    assert load_spec(definition).content_hash() != before


def test_a_missing_script_file_is_reported_with_the_other_problems(tmp_path: Path) -> None:
    definition = tmp_path / "p.yaml"
    definition.write_text(
        "name: p\nnodes:\n  - {id: s, kind: script, config: {file: nowhere.py}}\n  - {id: w, kind: wait, config: {}}\n"
    )

    with pytest.raises(DefinitionErrors) as caught:
        load_spec(definition)

    assert where(caught.value.errors) == {("s", "config.file"), ("w", "config")}
    assert "nowhere.py" in caught.value.errors[0].detail


def test_a_script_with_both_code_and_file_is_an_error_not_a_silent_choice(tmp_path: Path) -> None:
    (tmp_path / "step.py").write_text("print(1)\n")

    with pytest.raises(DefinitionErrors) as caught:
        spec_from_data(
            {"name": "p", "nodes": [{"id": "s", "kind": "script", "config": {"code": "x = 1", "file": "step.py"}}]},
            base_dir=tmp_path,
        )

    assert where(caught.value.errors) == {("s", "config")}


def test_without_a_folder_a_script_file_stays_a_reference() -> None:
    spec = spec_from_data({"name": "p", "nodes": [{"id": "s", "kind": "script", "config": {"file": "step.py"}}]})

    script = spec.nodes[0]
    assert isinstance(script, ScriptNode)
    assert (script.config.file, script.config.code) == ("step.py", None)


def test_an_unreadable_definition_file_is_a_definition_error(tmp_path: Path) -> None:
    with pytest.raises(DefinitionErrors, match="cannot read"):
        load_spec(tmp_path / "absent.yaml")


def test_definitions_are_frozen() -> None:
    spec = load_spec(DEFINITIONS / "linear.yaml")

    with pytest.raises(ValueError, match="frozen"):
        spec.name = "other"
