"""The web UI's TypeScript client is generated from the server's OpenAPI document: both committed files are current.

``web/src/api/openapi.json`` must equal what ``create_app()`` describes now, and ``web/src/api/schema.ts`` must be
what openapi-typescript makes of it. Regenerate both with ``make web-client``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from scripts.export_openapi import TARGET, document
from tests.conftest import _unavailable

from lockgate.spec import pipeline_json_schema

WEB = Path(__file__).resolve().parents[2] / "web"


def test_the_committed_openapi_document_is_the_servers() -> None:
    assert TARGET.read_text() == document(), "web/src/api/openapi.json is stale: run `make web-client`"


def test_the_definition_models_are_components_of_the_document() -> None:
    components = json.loads(document())["components"]["schemas"]
    kinds = [
        ref["$ref"].rsplit("/", 1)[1]
        for ref in components["PipelineDefinition"]["properties"]["nodes"]["items"]["oneOf"]
    ]
    assert sorted(kinds) == sorted(n for n in pipeline_json_schema()["$defs"] if n.endswith("Node") and n != "NodeBase")
    assert all(kind in components for kind in kinds)
    mapping = components["PipelineDefinition"]["properties"]["nodes"]["items"]["discriminator"]["mapping"]
    assert all(target.startswith("#/components/schemas/") for target in mapping.values())  # resolvable by generators
    body = json.loads(document())["paths"]["/api/v1/pipelines"]["post"]["requestBody"]["content"]
    assert body["application/json"]["schema"] == {"$ref": "#/components/schemas/PipelineDefinition"}


def test_the_committed_typescript_client_is_generated_from_it(tmp_path: Path) -> None:
    generator = WEB / "node_modules" / ".bin" / "openapi-typescript"
    if not generator.exists() or shutil.which("node") is None:
        _unavailable("openapi-typescript is not installed: run `npm ci` in web/")
    out = tmp_path / "schema.ts"
    subprocess.run(
        [str(generator), str(TARGET), "--default-non-nullable", "false", "-o", str(out)],
        cwd=WEB, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert out.read_text() == (WEB / "src" / "api" / "schema.ts").read_text(), "schema.ts is stale: `make web-client`"
