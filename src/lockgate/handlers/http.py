"""The ``http`` kind: one HTTP request; the response becomes the output."""

from __future__ import annotations

import email.utils
import json
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus

from lockgate.errors import PermanentStepError, RetryableStepError
from lockgate.handlers.context import HandlerContext, StepResult
from lockgate.security.grants import host_allowed, host_refusal

if TYPE_CHECKING:  # httpx is imported by the first request: every process registers this kind at start
    from collections.abc import Awaitable, Callable

    import httpx
    from pydantic import JsonValue

    from lockgate.spec.nodes import HttpConfig

__all__ = ["run"]

_EXCERPT = 500
# Secrets never pass through templates (the engine renders those): the handler fills these placeholders itself.
_CREDENTIAL = re.compile(r"\$\{credential:([a-z][a-z0-9_-]{0,62})\}")


async def run(ctx: HandlerContext, config: HttpConfig, inputs: dict[str, JsonValue]) -> StepResult:  # noqa: ARG001 - the handler signature is fixed
    import httpx

    # Only the request line is logged: header values and query strings may carry credentials.
    ctx.logger.info("http %s %s", config.method, _redacted(config.url))
    url = _with_credentials(config.url, ctx)
    headers = {name: _with_credentials(value, ctx) for name, value in config.headers.items()}
    query = {name: _with_credentials(value, ctx) for name, value in config.query.items()}
    timeout = config.request_timeout.total_seconds()
    hooks = {"request": [_host_guard(ctx, _named(config))]}
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=config.follow_redirects,
                                 event_hooks=hooks) as client:  # fmt: skip
        try:
            response = await client.request(
                config.method,
                url,
                headers=headers,
                params=query or None,
                json=config.json_body,
                # A JSON body wins: only one of the two can be sent.
                content=config.body.encode() if config.json_body is None and config.body is not None else None,
            )
        except httpx.TimeoutException as exc:
            detail = f"{config.method} {_redacted(config.url)}: {type(exc).__name__}"
            raise RetryableStepError("timeout", detail) from None
        except httpx.TransportError as exc:
            raise RetryableStepError("connect_error", f"{config.method} {_redacted(config.url)}: {exc}") from None
    ctx.logger.info("http %s %s -> %d", config.method, _redacted(config.url), response.status_code)
    _check_status(config, response)
    return StepResult(
        output={"status": response.status_code, "headers": _headers(response), "body": _body_of(response)}
    )


def _with_credentials(text: str, ctx: HandlerContext) -> str:
    """``${credential:NAME}`` → the value; only the credentials the node lists are in ``ctx.credentials``."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in ctx.credentials:
            detail = f"credential {name!r} is not listed in the node's credentials"
            raise PermanentStepError("missing_credential", detail)
        return ctx.credentials[name]

    return _CREDENTIAL.sub(value, text)


def _named(config: HttpConfig) -> list[str]:
    texts = [config.url, *config.headers.values(), *config.query.values()]
    return list(dict.fromkeys(m.group(1) for text in texts for m in _CREDENTIAL.finditer(text)))


def _carries(request: httpx.Request, value: str) -> bool:
    url = str(request.url)
    in_url = any(form in url for form in (value, quote(value, safe=""), quote_plus(value, safe="")))
    return in_url or any(value in v for v in request.headers.values())


def _host_guard(ctx: HandlerContext, names: list[str]) -> Callable[[httpx.Request], Awaitable[None]]:
    """Before each request is sent (redirects included): a credential goes only to a host it allows.

    The first request carries every credential the config names; a redirect (which keeps custom headers)
    is checked for each credential whose value it still carries.
    """
    first = True

    async def check(request: httpx.Request) -> None:
        nonlocal first
        host = request.url.host
        for name in names:
            patterns = ctx.credential_hosts.get(name, ())
            if (first or _carries(request, ctx.credentials[name])) and not host_allowed(patterns, host):
                where = "" if first else "a redirect: "
                raise PermanentStepError("credential_host_not_allowed", where + host_refusal(name, host, patterns))
        first = False

    return check


def _redacted(url: str) -> str:
    import httpx

    # userinfo and query may hold secrets; the scheme, host and path say enough in a log.
    parsed = httpx.URL(url)
    return str(parsed.copy_with(userinfo=b"", query=None, fragment=None)) if parsed.is_absolute_url else url


def _check_status(config: HttpConfig, response: httpx.Response) -> None:
    status = response.status_code
    expected = status in config.expect_status if config.expect_status else 200 <= status < 300
    if expected:
        return
    detail = f"{config.method} {_redacted(config.url)} returned {status}: {response.text[:_EXCERPT]!r}"
    if status == 429 or status >= 500:  # rate limited or server-side: worth another attempt
        raise RetryableStepError("http_status", detail, retry_after=_retry_after(response))
    raise PermanentStepError("http_status", detail)


def _retry_after(response: httpx.Response) -> timedelta | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    if value.strip().isdigit():
        return timedelta(seconds=int(value))
    try:  # the other form RFC 9110 allows: an HTTP date
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when - datetime.now(UTC), timedelta(0)) if when.tzinfo is not None else None


def _headers(response: httpx.Response) -> dict[str, JsonValue]:
    headers: dict[str, JsonValue] = {}
    for name, value in response.headers.multi_items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def _body_of(response: httpx.Response) -> JsonValue:
    media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            value: JsonValue = json.loads(response.content)
        except ValueError:
            return response.text
        return value
    return response.text
