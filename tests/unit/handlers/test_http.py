"""The http handler against a real server on loopback: no transport is mocked."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from tests.local_http import QuietHandler, serving

from lockgate.errors import PermanentStepError, RetryableStepError
from lockgate.handlers import http
from lockgate.spec.nodes import HttpConfig

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.unit.handlers.conftest import FakeContext

pytestmark = pytest.mark.anyio


class _Handler(QuietHandler):
    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _route(self) -> None:
        path = self.path.split("?")[0]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if path == "/json":
            self._send(200, b'{"hits": [1, 2]}', "application/json; charset=utf-8", {"X-Trace": "abc"})
        elif path == "/text":
            self._send(200, b"plain words", "text/plain")
        elif path == "/missing":
            self._send(404, b"no such thing here", "text/plain")
        elif path == "/busy":
            self._send(503, b"try later", "text/plain", {"Retry-After": "7"})
        elif path == "/limited":
            self._send(429, b"slow down", "text/plain")
        elif path == "/created":
            self._send(201, b"{}", "application/json")
        elif path == "/slow":
            time.sleep(0.3)
            with contextlib.suppress(OSError):  # the client gave up waiting: that is the point
                self._send(200, b"late", "text/plain")
        elif path == "/redirect":
            self._send(302, b"", "text/plain", {"Location": "/json"})
        else:  # /echo: what the server received
            echo = {"method": self.command, "path": self.path, "auth": self.headers.get("Authorization"),
                    "type": self.headers.get("Content-Type"), "body": body}  # fmt: skip
            self._send(200, json.dumps(echo).encode(), "application/json")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _route


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serving(_Handler) as url:
        yield url


async def test_json_response(ctx: FakeContext, server: str) -> None:
    result = await http.run(ctx, HttpConfig(url=f"{server}/json"), {})
    assert isinstance(result.output, dict)
    assert result.output["status"] == 200
    assert result.output["body"] == {"hits": [1, 2]}
    headers = result.output["headers"]
    assert isinstance(headers, dict)
    assert headers["x-trace"] == "abc"
    assert headers["content-type"] == "application/json; charset=utf-8"


async def test_text_response(ctx: FakeContext, server: str) -> None:
    result = await http.run(ctx, HttpConfig(url=f"{server}/text"), {})
    assert isinstance(result.output, dict)
    assert result.output["body"] == "plain words"


async def test_sends_method_headers_query_and_json_body(ctx: FakeContext, server: str) -> None:
    config = HttpConfig(
        method="POST",
        url=f"{server}/echo",
        headers={"Authorization": "Bearer top-secret"},
        query={"q": "a b", "n": "2"},
        json_body={"x": [1, 2]},
    )
    result = await http.run(ctx, config, {})
    assert isinstance(result.output, dict)
    assert result.output["body"] == {
        "method": "POST",
        "path": "/echo?q=a+b&n=2",
        "auth": "Bearer top-secret",
        "type": "application/json",
        "body": '{"x":[1,2]}',
    }


async def test_sends_a_text_body(ctx: FakeContext, server: str) -> None:
    result = await http.run(ctx, HttpConfig(method="PUT", url=f"{server}/echo", body="raw text"), {})
    assert isinstance(result.output, dict)
    body = result.output["body"]
    assert isinstance(body, dict)
    assert body["body"] == "raw text"


async def test_header_values_are_never_logged(ctx: FakeContext, server: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG", logger=ctx.logger.name)
    config = HttpConfig(url=f"{server}/echo?token=query-secret", headers={"Authorization": "Bearer top-secret"})
    await http.run(ctx, config, {})
    assert "GET" in caplog.text
    assert "200" in caplog.text
    assert "top-secret" not in caplog.text
    assert "query-secret" not in caplog.text


async def test_not_found_is_permanent_with_a_body_excerpt(ctx: FakeContext, server: str) -> None:
    with pytest.raises(PermanentStepError) as caught:
        await http.run(ctx, HttpConfig(url=f"{server}/missing"), {})
    assert caught.value.kind == "http_status"
    assert "404" in caught.value.detail
    assert "no such thing here" in caught.value.detail


async def test_unavailable_is_retryable_after_retry_after(ctx: FakeContext, server: str) -> None:
    with pytest.raises(RetryableStepError) as caught:
        await http.run(ctx, HttpConfig(url=f"{server}/busy"), {})
    assert caught.value.kind == "http_status"
    assert caught.value.retry_after == timedelta(seconds=7)
    assert "503" in caught.value.detail


async def test_rate_limited_is_retryable(ctx: FakeContext, server: str) -> None:
    with pytest.raises(RetryableStepError) as caught:
        await http.run(ctx, HttpConfig(url=f"{server}/limited"), {})
    assert caught.value.retry_after is None


async def test_expect_status_accepts_only_the_listed_codes(ctx: FakeContext, server: str) -> None:
    result = await http.run(ctx, HttpConfig(url=f"{server}/missing", expect_status=[404]), {})
    assert isinstance(result.output, dict)
    assert result.output["status"] == 404
    with pytest.raises(PermanentStepError):
        await http.run(ctx, HttpConfig(method="POST", url=f"{server}/created", expect_status=[200]), {})


async def test_any_2xx_by_default(ctx: FakeContext, server: str) -> None:
    result = await http.run(ctx, HttpConfig(method="POST", url=f"{server}/created"), {})
    assert isinstance(result.output, dict)
    assert result.output["status"] == 201


async def test_redirects_followed_or_not(ctx: FakeContext, server: str) -> None:
    followed = await http.run(ctx, HttpConfig(url=f"{server}/redirect"), {})
    assert isinstance(followed.output, dict)
    assert followed.output["body"] == {"hits": [1, 2]}
    kept = await http.run(ctx, HttpConfig(url=f"{server}/redirect", follow_redirects=False, expect_status=[302]), {})
    assert isinstance(kept.output, dict)
    assert kept.output["status"] == 302


async def test_connection_refused_is_retryable(ctx: FakeContext) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(RetryableStepError) as caught:
        await http.run(ctx, HttpConfig(url=f"http://127.0.0.1:{port}/"), {})
    assert caught.value.kind == "connect_error"


async def test_request_timeout_is_retryable(ctx: FakeContext, server: str) -> None:
    with pytest.raises(RetryableStepError) as caught:
        await http.run(ctx, HttpConfig(url=f"{server}/slow", request_timeout=timedelta(seconds=0.05)), {})
    assert caught.value.kind == "timeout"
