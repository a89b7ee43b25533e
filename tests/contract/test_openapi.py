"""The OpenAPI document keeps promises a client can rely on (and that the fuzz test would otherwise find broken).

Every number a request carries has bounds the database can hold: an unbounded integer reaches a column
and comes back as a 500, not a 422. Every error is described with the error body the server sends.
"""

from __future__ import annotations

from typing import Any

import pytest

from lockgate.api.app import create_app
from lockgate.settings import Settings

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
