"""Write the server's OpenAPI document to web/src/api/openapi.json (the TS client is generated from it).

``python scripts/export_openapi.py`` writes the file; ``--check`` only compares and exits 1 when it is stale.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from lockgate.api.app import create_app
from lockgate.settings import Settings

TARGET = Path(__file__).resolve().parents[1] / "web" / "src" / "api" / "openapi.json"


def document() -> str:
    app = create_app(Settings(home=Path(tempfile.gettempdir()) / "lockgate-openapi"))  # built, never started
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = document()
    if "--check" in argv:
        if not TARGET.is_file() or TARGET.read_text() != text:
            print(f"{TARGET} is stale: run `make web-client`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
