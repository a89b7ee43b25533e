"""Commands that talk to a running server (``lockgate serve``) over its API, as the key's user."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import typer

from lockgate.cli.options import EXIT_DEFINITION, EXIT_FAILED, print_problems

if TYPE_CHECKING:  # httpx is imported by the commands that call a server, not by every command
    from collections.abc import Iterator

    import httpx

__all__ = ["KeyOption", "UrlOption", "segment", "server"]

UrlOption = Annotated[str, typer.Option("--url", envvar="LOCKGATE_URL", help="the server's address")]
KeyOption = Annotated[
    str | None, typer.Option("--key", envvar="LOCKGATE_API_KEY", help="an API key (lockgate keys create)")
]
DEFAULT_URL = "http://127.0.0.1:8080"
_TIMEOUT = 60.0


def segment(value: str) -> str:
    """An id as one URL path segment: whatever it holds (``/``, ``?``, ``#``, ``..``), it names that id, no route."""
    if value in {".", ".."}:  # dot segments are unreserved, and clients resolve them away
        return value.replace(".", "%2E")
    return quote(value, safe="")


def _refused(response: httpx.Response) -> typer.Exit:
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        body = {"code": f"http_{response.status_code}", "detail": response.text[:500]}
    code, errors = body.get("code", response.status_code), body.get("errors") or []
    problems = []
    for error in errors:
        where = ".".join(str(p) for p in (error.get("node_id"), error.get("field")) if p)
        line = error.get("line")
        problems.append((f"line {line}: {where}" if line else where, str(error.get("message", ""))))
    # with problems listed, the detail (their summary joined) would say each a second time
    print_problems(f"{code}: {len(errors)} problem(s)" if errors else f"{code}: {body.get('detail', '')}", problems)
    return typer.Exit(EXIT_DEFINITION if response.status_code == 422 else EXIT_FAILED)


class Server:
    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON answer; a refusal prints the server's code, detail and field errors and exits non-zero."""
        response = self._request(method, path, **kwargs)
        if not response.is_success:  # a redirect is no answer either
            raise _refused(response)
        return response.json() if response.content else None

    def find(self, path: str) -> Any:
        """``GET path``'s JSON answer, None for a 404 (what is looked up may not exist yet); else as ``call``."""
        response = self._request("GET", path)
        if response.status_code == 404:
            return None
        if not response.is_success:
            raise _refused(response)
        return response.json()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        import httpx

        try:
            return self._client.request(method, f"/api/v1{path}", **kwargs)
        except httpx.HTTPError as exc:
            print_problems(f"cannot reach the server at {self._client.base_url}: {exc}", [])
            raise typer.Exit(EXIT_FAILED) from None


@contextlib.contextmanager
def server(url: str, key: str | None) -> Iterator[Server]:
    if not key:
        print_problems("an API key is needed: --key or LOCKGATE_API_KEY (lockgate keys create)", [])
        raise typer.Exit(EXIT_FAILED)
    import httpx

    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=_TIMEOUT) as client:
        yield Server(client)
