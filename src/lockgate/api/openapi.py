"""The OpenAPI document, with the pipeline definition's models as named components.

A definition is read from the raw body (JSON or YAML), so FastAPI never sees ``PipelineSpec`` and would
not list it. Listing it under ``components/schemas`` lets generated clients (the web UI's TypeScript
client) type definitions from the same models the server validates with: a renamed field breaks ``tsc``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from lockgate.spec import PipelineSpec

__all__ = ["DEFINITION_REF", "install_openapi"]

DEFINITION_REF = "#/components/schemas/PipelineSpec"


def definition_schemas() -> dict[str, Any]:
    """``PipelineSpec`` and every model it uses, keyed by name, referring to each other as components."""
    schema = PipelineSpec.model_json_schema(mode="validation", ref_template="#/components/schemas/{model}")
    defs: dict[str, Any] = schema.pop("$defs", {})
    return {**defs, "PipelineSpec": schema}


def install_openapi(app: FastAPI) -> None:
    """Wrap ``app.openapi`` so that the document carries the definition components (built once, cached)."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = plain()
            components = document.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in definition_schemas().items():
                if name in components and components[name] != schema:
                    raise RuntimeError(f"OpenAPI component {name!r} is both an API schema and a definition model")
                components[name] = schema
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the document
