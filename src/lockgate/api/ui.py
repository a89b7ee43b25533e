"""The built web UI at ``/``: files as they are, any other path the single-page app's ``index.html``.

Deep links (``/runs/abc``, ``/pipelines/hello/edit``) are client-side routes: a reload must get the app, not a
404. Paths under ``/api/`` are never the app: an unknown API path stays a JSON 404, as clients expect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.staticfiles import StaticFiles

from lockgate.api.errors import allowed_methods

if TYPE_CHECKING:
    from starlette.types import Scope

__all__ = ["SinglePageApp"]

_NOT_APP = ("api/",)


class SinglePageApp(StaticFiles):
    """``StaticFiles`` with an ``index.html`` fallback for client routes; hashed assets cached for a year."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path == "api" or path.startswith(_NOT_APP):
            # The mount matches every method, so an API path served for other methods lands here: still a 405.
            allowed = allowed_methods(Request(scope))
            if allowed:
                detail = f"{scope['method']} is not served at /{path}"
                return JSONResponse({"code": "method_not_allowed", "detail": detail}, 405, headers={"Allow": allowed})
            return JSONResponse({"code": "not_found", "detail": f"no such path: /{path}"}, status_code=404)
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or path.startswith("assets/"):
                raise
            response = await super().get_response("index.html", scope)
        if response.status_code == 404 and not path.startswith("assets/"):
            response = await super().get_response("index.html", scope)
        if path.startswith("assets/") and response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        elif response.status_code == 200:
            response.headers["Cache-Control"] = "no-cache"  # index.html names the current assets
        return response
