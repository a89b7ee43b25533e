"""The exported JSON Schema is what editors and the UI validate against: it must agree with the models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from lockgate.spec import pipeline_json_schema, spec_from_data

DEFINITIONS = Path(__file__).parent / "definitions"
EXAMPLES = Path(__file__).parents[3] / "examples"


def documents() -> list[Path]:
    files = [*DEFINITIONS.glob("*.yaml"), *DEFINITIONS.glob("*.json")]
    if EXAMPLES.is_dir():
        files += [*EXAMPLES.glob("*.yaml"), *EXAMPLES.glob("*.yml"), *EXAMPLES.glob("*.json")]  # not data folders
    return sorted(files)


def read(path: Path) -> Any:
    return json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = pipeline_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_the_schema_is_draft_2020_12_and_titled() -> None:
    schema = pipeline_json_schema()

    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "Lockgate pipeline"
    assert json.loads(json.dumps(schema)) == schema


@pytest.mark.parametrize("path", documents(), ids=lambda p: p.name)
def test_the_schema_accepts_every_example_definition(validator: jsonschema.Draft202012Validator, path: Path) -> None:
    errors = [e.message for e in validator.iter_errors(read(path))]

    assert errors == []


def base() -> dict[str, Any]:
    return {"name": "p", "nodes": [{"id": "a", "kind": "noop"}]}


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda d: d.pop("nodes"), "nodes are required"),
        (lambda d: d.update(nodes=[]), "at least one node"),
        (lambda d: d.update(name="Not A Slug"), "names are slugs"),
        (lambda d: d["nodes"][0].update(kind="banana"), "kinds are a closed set"),
        (lambda d: d["nodes"][0].update(bogus=1), "no unknown node fields"),
        (lambda d: d["nodes"][0].update(timeout="soon"), "durations are checked"),
        (lambda d: d["nodes"][0].update(timeout=-1), "durations are not negative"),
        (lambda d: d["nodes"].append({"id": "h", "kind": "http", "config": {}}), "http needs a url"),
        (lambda d: d["nodes"][0].update(max_parallel=0), "max_parallel >= 1"),
        (lambda d: d["nodes"][0].update(retry={"max_attempts": 0}), "max_attempts >= 1"),
        (lambda d: d.update(edges=[{"source": "a"}]), "edges need a target"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_the_schema_rejects_bad_definitions(validator: jsonschema.Draft202012Validator, change: Any, why: str) -> None:
    data = base()
    change(data)
    assert not validator.is_valid(data), why


@pytest.mark.parametrize("written", ["1h30m", "250ms", "90s", 45, 0.5, "PT1H30M"])
def test_the_schema_accepts_every_duration_the_model_accepts(
    validator: jsonschema.Draft202012Validator, written: object
) -> None:
    data = base()
    data["nodes"][0]["timeout"] = written

    assert validator.is_valid(data)
    spec_from_data(data)


def test_schema_defaults_are_valid_values(validator: jsonschema.Draft202012Validator) -> None:
    retry = pipeline_json_schema()["$defs"]["RetryPolicy"]
    data = base()
    data["nodes"][0]["retry"] = {
        name: prop["default"] for name, prop in retry["properties"].items() if "default" in prop
    }

    assert validator.is_valid(data)
    spec_from_data(data)


def test_fields_are_titled_for_people_and_the_script_file_is_marked_server_only() -> None:
    defs = pipeline_json_schema()["$defs"]
    script = defs["ScriptConfig"]["properties"]
    assert script["cpu_time"]["title"] == "CPU time"
    assert script["memory_mb"]["title"] == "Memory (MB)"
    assert script["env"]["title"] == "Environment variables"
    assert script["input_mode"]["title"] == "Input mode"  # beside a $ref too, not the referenced type's name
    assert defs["HttpConfig"]["properties"]["json_body"]["title"] == "JSON body"
    assert defs["ScriptNode"]["properties"]["timeout"]["title"] == "Timeout"
    assert script["file"]["x-lockgate-server-only"] is True  # a path on the server's disk: the UI never offers it
    assert "x-lockgate-server-only" not in script["code"]
