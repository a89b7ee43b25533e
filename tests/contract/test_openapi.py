"""The OpenAPI document keeps promises a client can rely on (and that the fuzz test would otherwise find broken).

Every number a request carries has bounds the database can hold: an unbounded integer reaches a column
and comes back as a 500, not a 422; and it is a JSON number, not `true` or `"3"`. Every error is described
with the error body the server sends.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
from pydantic import BaseModel

from lockgate.api import schemas as schemas_package
from lockgate.api.app import create_app
from lockgate.settings import Settings
from lockgate.spec import PipelineSpec

_INT_COLUMN = 2**63 - 1


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("home")
    return create_app(Settings(home=home)).openapi()


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        resolved: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        return resolved
    return schema


def _unbounded(document: dict[str, Any], schema: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref in seen:
            return []
        seen.add(ref)
    schema = _resolve(document, schema)
    found = []
    if schema.get("type") == "integer" and schema.get("maximum", schema.get("exclusiveMaximum", _INT_COLUMN + 1)) > (
        _INT_COLUMN
    ):
        found.append(where)
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            found += _unbounded(document, part, where, seen)
    for name, part in schema.get("properties", {}).items():
        found += _unbounded(document, part, f"{where}.{name}", seen)
    if isinstance(schema.get("items"), dict):
        found += _unbounded(document, schema["items"], f"{where}[]", seen)
    return found


def _operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{method.upper()} {path}", op) for path, ops in document["paths"].items() for method, op in ops.items()]


def test_every_integer_a_request_carries_has_a_maximum(document: dict[str, Any]) -> None:
    problems = []
    for name, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            where = f"{name} {parameter['in']}.{parameter['name']}"
            problems += _unbounded(document, parameter.get("schema", {}), where, set())
        for media in operation.get("requestBody", {}).get("content", {}).values():
            problems += _unbounded(document, media.get("schema", {}), f"{name} body", set())
    assert problems == []


def test_every_error_response_has_the_error_body(document: dict[str, Any]) -> None:
    missing = []
    for name, operation in _operations(document):
        if not name.split(" ", 1)[1].startswith("/api/"):
            continue
        for status, response in operation["responses"].items():
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            if status[0] in "45" and schema.get("$ref") != "#/components/schemas/ErrorRead":
                missing.append(f"{name} {status}")
        if operation.get("security") and not {"401", "403"} <= operation["responses"].keys():
            missing.append(f"{name}: 401/403 undocumented")
    assert missing == []


def _lax_scalars(node: Any, where: str, found: list[str], *, guarded: bool = False) -> None:
    """Places in a pydantic core schema where int, float or bool would take another JSON type (lax mode)."""
    if isinstance(node, list):
        for item in node:
            _lax_scalars(item, where, found, guarded=guarded)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type") if isinstance(node.get("type"), str) else None  # else a field named "type"
    if kind in {"int", "float", "bool"} and not node.get("strict") and not guarded:
        found.append(f"{where} ({kind})")
    if kind == "definitions" or str(node.get("ref", "")).startswith("pydantic.types.JsonValue"):
        # JsonValue's union keeps each JSON type as it is (smart mode): true stays a boolean
        definitions = [d for d in node.get("definitions", []) if not str(d.get("ref", "")).startswith("pydantic.")]
        _lax_scalars(definitions, where, found)
        _lax_scalars(node.get("schema"), where, found)
        return
    # JSON_INTEGER (spec/fields.py) refuses booleans and text before pydantic's int sees them
    checked = kind == "function-before" and getattr(node["function"]["function"], "__name__", "") == "_json_integer"
    for key, value in node.items():
        if key not in {"metadata", "serialization", "function"}:
            _lax_scalars(value, f"{where}.{node.get('cls', type(None)).__name__}" if "cls" in node else where,
                         found, guarded=checked and key == "schema")  # fmt: skip


def test_numbers_and_booleans_in_requests_are_json_types_only(document: dict[str, Any]) -> None:
    """`true` is not 1 and `"3"` not 3, in every request body and in a pipeline definition."""
    models: dict[str, type[BaseModel]] = {"PipelineDefinition": PipelineSpec}
    for module in pkgutil.iter_modules(schemas_package.__path__):
        loaded = importlib.import_module(f"{schemas_package.__name__}.{module.name}")
        models.update({n: m for n, m in vars(loaded).items() if isinstance(m, type) and issubclass(m, BaseModel)})
    bodies = set()
    for _, operation in _operations(document):
        for media in operation.get("requestBody", {}).get("content", {}).values():
            schema = media.get("schema", {})
            for option in [schema, *schema.get("anyOf", [])]:
                if str(option.get("$ref", "")).startswith("#/components/schemas/"):
                    bodies.add(option["$ref"].rsplit("/", 1)[1])
    assert len(bodies) >= 15 and bodies <= models.keys(), bodies - models.keys()
    found: list[str] = []
    for name in sorted(bodies):
        _lax_scalars(models[name].__pydantic_core_schema__, name, found)
    assert found == []
