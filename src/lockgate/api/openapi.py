"""The OpenAPI document as clients see it: every error a route can answer, in the body shape it really has.

FastAPI documents only what a route declares, and its own 422 shape (which ``api/errors.py`` replaces).
Rather than repeat 401/403/413/422 on every route, the document is completed here once, so a route
added later is described correctly without anyone remembering to.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["DEFINITION_BODY", "DEFINITION_SCHEMA", "ErrorDetailRead", "ErrorRead", "install_openapi"]

# The marker a route puts where the pipeline definition's JSON Schema goes (see routes/pipelines.py).
DEFINITION_SCHEMA = "PipelineDefinition"
# The schema of a request body that is a pipeline definition (routes/pipelines.py): the routes hold this one dict,
# filled with the definition's JSON Schema when the document is first built, not while the server starts (pydantic
# takes a third of a second for it).
DEFINITION_BODY: dict[str, Any] = {"title": DEFINITION_SCHEMA}
_METHODS = {"get", "put", "post", "patch", "delete"}
_DEFS_REF = re.compile(r"^#/\$defs/(?P<name>.+)$")
_COMPONENT = "#/components/schemas/"
# No NUL (PostgreSQL refuses it in text and JSON, so both stores refuse it); a string already constrained
# by a pattern, a list of values or a format that validates refuses it anyway (password, python: hints).
_NO_NUL = r"^[^\x00]*$"
_CONSTRAINED = frozenset({"pattern", "enum", "const"})
_VALIDATING_FORMATS = frozenset({"date-time", "date", "time", "duration", "uuid", "email", "uri", "cron", "timezone"})
_DATA = frozenset({"default", "examples", "example", "enum", "const"})


class ErrorDetailRead(BaseModel):
    """One problem of a refused request: where (field, node) and what."""

    model_config = ConfigDict(frozen=True)
    field: str | None = Field(default=None, description="where: `body.x`, `query.limit`, `config.url`…")
    node_id: str | None = Field(default=None, description="the node a definition problem concerns")
    line: int | None = Field(default=None, description="the line of a YAML definition's problem, from 1")
    message: str


class ErrorRead(BaseModel):
    """Every 4xx/5xx body: a stable snake_case code, a sentence, and the problems one by one when there are several."""

    model_config = ConfigDict(frozen=True)
    code: str = Field(description="stable, e.g. `not_found`, `invalid_request`, `definition_error`")
    detail: str
    errors: list[ErrorDetailRead] | None = None


_ERROR_REF = {"$ref": "#/components/schemas/ErrorRead"}
_STANDARD = {
    "401": "no API key, or one that is unknown, revoked or expired",
    "403": "the key's role may not do this",
    "400": "the body could not be read as the declared content type",
    "404": "a resource the path names does not exist",
    "413": "the body is larger than the server accepts",
    "422": "the request is not valid: each problem with its field",
}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def _complete_operation(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    wanted = ["422"]
    if operation.get("security"):
        wanted += ["401", "403"]
    if "requestBody" in operation:
        wanted += ["400", "413"]
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        wanted.append("404")
    for status in wanted:
        description = responses.get(status, {}).get("description") or _STANDARD[status]
        responses[status] = _error_response(description)
    for status, response in responses.items():
        if status[0] in "45" and "content" not in response:  # declared with a description only
            response["content"] = _error_response("")["content"]


def _hoist_defs(node: Any, schemas: dict[str, Any]) -> Any:
    """Move nested ``$defs`` into components and point their references there.

    Schemathesis and code generators resolve ``#/components/schemas/…``, not ``$defs`` inside a request body.
    """
    if isinstance(node, list):
        return [_hoist_defs(item, schemas) for item in node]
    if not isinstance(node, dict):
        return node
    for name, definition in node.pop("$defs", {}).items():
        schemas.setdefault(name, _hoist_defs(definition, schemas))
    node.pop("$id", None)
    out = {key: _hoist_defs(value, schemas) for key, value in node.items()}
    ref = out.get("$ref")
    if isinstance(ref, str) and (match := _DEFS_REF.match(ref)):
        out["$ref"] = f"#/components/schemas/{match['name']}"
    discriminator = out.get("discriminator")
    if isinstance(discriminator, dict) and isinstance(discriminator.get("mapping"), dict):
        # a discriminator's mapping names schemas by reference too (the node union): generators resolve it
        mapping = {kind: _component(target) for kind, target in discriminator["mapping"].items()}
        out["discriminator"] = {**discriminator, "mapping": mapping}
    return out


def _component(target: Any) -> Any:
    match = _DEFS_REF.match(target) if isinstance(target, str) else None
    return f"#/components/schemas/{match['name']}" if match else target


def _hoist_definition(document: dict[str, Any]) -> None:
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}) if method in _METHODS else {}
            for media in content.values():
                schema = media.get("schema", {})
                if schema.get("title") == DEFINITION_SCHEMA or "$defs" in schema:
                    hoisted = _hoist_defs(schema, schemas)
                    if schema.get("title") == DEFINITION_SCHEMA:
                        schemas[DEFINITION_SCHEMA] = hoisted
                        hoisted = {"$ref": f"#/components/schemas/{DEFINITION_SCHEMA}"}
                    media["schema"] = hoisted


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_COMPONENT):
            found.add(ref.removeprefix(_COMPONENT))
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for item in node:
            _refs(item, found)


def _forbid_nul(node: Any) -> None:
    """Say in every free string of a request what api/bodies.py refuses: a NUL character (spec/bounds.py)."""
    if isinstance(node, list):
        for item in node:
            _forbid_nul(item)
        return
    if not isinstance(node, dict):
        return
    if (
        node.get("type") == "string"
        and not _CONSTRAINED.intersection(node)
        and node.get("format") not in _VALIDATING_FORMATS
    ):
        node["pattern"] = _NO_NUL
    if node.get("type") == "object" and node.get("additionalProperties") not in (None, False):
        node.setdefault("propertyNames", {"pattern": _NO_NUL})
    for key, value in node.items():
        if key not in _DATA:  # values, not schemas
            _forbid_nul(value)


def _forbid_nul_in_requests(document: dict[str, Any]) -> None:
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    inline: list[Any] = []
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            if method in _METHODS:
                inline += [p.get("schema") for p in operation.get("parameters", []) if p.get("in") != "header"]
                inline += [m.get("schema") for m in operation.get("requestBody", {}).get("content", {}).values()]
    names: set[str] = set()
    _refs(inline, names)
    pending = list(names)
    while pending:  # what those components refer to, in turn
        found: set[str] = set()
        _refs(schemas.get(pending.pop()), found)
        pending += sorted(found - names)
        names |= found
    _forbid_nul(inline)
    for name in sorted(names):
        _forbid_nul(schemas.get(name))


def _fill_definition_body() -> None:
    """Put the definition's JSON Schema into ``DEFINITION_BODY`` (once: ``get_openapi`` copies what it reads)."""
    if DEFINITION_BODY.keys() == {"title"}:
        from lockgate.spec.schema import pipeline_json_schema

        schema = {**pipeline_json_schema(), "title": DEFINITION_SCHEMA}
        DEFINITION_BODY.clear()
        DEFINITION_BODY.update(schema)


def build_openapi(app: FastAPI) -> dict[str, Any]:
    _fill_definition_body()
    document = get_openapi(
        title=app.title, version=app.version, summary=app.summary, description=app.description, routes=app.routes
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorDetailRead, ErrorRead):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    _hoist_definition(document)
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if method in _METHODS and path.startswith("/api/"):
                _complete_operation(operation)
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    _forbid_nul_in_requests(document)
    return document


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the document
