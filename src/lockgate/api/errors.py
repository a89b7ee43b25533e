"""Domain errors → HTTP, in one table (routes never raise HTTPException)."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from lockgate.errors import (
    AmbiguousIdError,
    ConflictError,
    DefinitionError,
    DefinitionErrors,
    InvalidInputError,
    LockgateError,
    MissingExtraError,
    NotFoundError,
    PermissionDeniedError,
    UnavailableError,
    validation_message,
)

__all__ = ["AuthenticationError", "allowed_methods", "install_error_handlers"]


class AuthenticationError(LockgateError):
    code = "unauthenticated"


STATUS: tuple[tuple[type[LockgateError], int], ...] = (
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (AmbiguousIdError, 400),  # a short id that starts several: the request must name one
    (ConflictError, 409),
    (DefinitionErrors, 422),
    (DefinitionError, 422),
    (InvalidInputError, 422),
    (UnavailableError, 503),
    (MissingExtraError, 501),
)


def _body(exc: LockgateError) -> dict[str, object]:
    body: dict[str, object] = {"code": exc.code, "detail": exc.detail}
    if isinstance(exc, DefinitionErrors):
        body["errors"] = [_definition_error(e) for e in exc.errors]
    elif isinstance(exc, DefinitionError):
        body["errors"] = [{"node_id": exc.node_id, "field": exc.field, "message": exc.detail}]
    elif isinstance(exc, InvalidInputError):
        body["errors"] = [{"field": field, "message": message} for field, message in exc.parts()]
    return body


def _definition_error(error: DefinitionError) -> dict[str, object]:
    shown: dict[str, object] = {"node_id": error.node_id, "field": error.field, "message": error.detail}
    if error.line is not None:  # a YAML definition: where in the text sent
        shown["line"] = error.line
    return shown


def status_of(exc: LockgateError) -> int:
    return next((status for kind, status in STATUS if isinstance(exc, kind)), 400)


async def _lockgate_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LockgateError)  # noqa: S101 - registered for this type only
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthenticationError) else None
    return JSONResponse(_body(exc), status_code=status_of(exc), headers=headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": validation_message(e)} for e in exc.errors()]
    return JSONResponse({"code": "invalid_request", "detail": "the request is not valid", "errors": errors}, 422)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path.

    Starlette answers 405 with the methods of the first route whose path matched, but a path such as
    ``/pipelines/{name}`` is served by several routes, one per method. Each method is tried against every
    route (routers included by FastAPI match as one); the UI's static mount would take any method, so not it.
    """
    routes = [r for r in request.app.router.routes if not isinstance(r, Mount)]
    allowed = [m for m in _METHODS if any(r.matches({**request.scope, "method": m})[0] is Match.FULL for r in routes)]
    return ", ".join(allowed)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Errors raised by the framework itself (unparsable body, unknown path, wrong method): the same body shape."""
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_").replace("-", "_")
    headers = exc.headers
    if exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        headers = {**(headers or {}), "Allow": allowed_methods(request)}
    return JSONResponse({"code": code, "detail": str(exc.detail)}, exc.status_code, headers=headers)


async def _unstorable(_: Request, exc: Exception) -> JSONResponse:
    # A value the database cannot hold (PostgreSQL refuses a NUL character in text): the request's fault, not a 500.
    detail = f"a value cannot be stored: {str(getattr(exc, 'orig', exc)).splitlines()[0][:200]}"
    return JSONResponse({"code": "invalid_request", "detail": detail}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DataError, _unstorable)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(LockgateError, _lockgate_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
