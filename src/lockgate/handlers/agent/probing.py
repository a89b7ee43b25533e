"""What a model server does on the wire, found by asking it (``lockgate models test``, POST /models/{name}/test).

OpenAI-compatible servers differ where it matters to budgets and answers: whether streams carry usage, which
field caps the output, whether ``tool_choice`` and ``response_format: json_schema`` are honoured, how many
requests they serve at once, how large their context window is. A probe sends a handful of small requests
(about nine, each capped at a few dozen tokens) and reports each finding with what it saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import TYPE_CHECKING, Any

import httpx

from lockgate.handlers.agent.findings import ProbeReport
from lockgate.handlers.agent.metering import count_tokens
from lockgate.handlers.agent.services import Provider

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from lockgate.handlers.agent.services import ModelProfileData

__all__ = ["ProbeReport", "probe"]

_CAP = 8
_COUNT = "Count from 1 to 60, the numbers separated by spaces, and nothing else."
_TOOL = {"type": "function", "function": {"name": "answer", "description": "Give the answer.",
                                          "parameters": {"type": "object", "properties": {"text": {"type": "string"}},
                                                         "required": ["text"]}}}  # fmt: skip
_SCHEMA = {"type": "object", "properties": {"greeting": {"type": "string"}}, "required": ["greeting"]}
_WINDOW_KEYS = ("context_window", "context_length", "max_model_len", "max_context_length", "n_ctx")


class _Prober:
    def __init__(self, client: httpx.AsyncClient, model_id: str) -> None:
        self.client = client
        self.model_id = model_id
        self.requests = 0
        self.notes: list[str] = []

    def body(self, prompt: str, **extra: Any) -> dict[str, Any]:
        return {"model": self.model_id, "messages": [{"role": "user", "content": prompt}], "temperature": 0, **extra}

    async def complete(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """One non-streamed request: its message and usage, or None (refused: noted)."""
        self.requests += 1
        response = await self.client.post("/chat/completions", json=body)
        if response.status_code != 200:
            self.notes.append(f"HTTP {response.status_code} for {sorted(set(body) - {'model', 'messages'})}: "
                              f"{response.text[:200]}")  # fmt: skip
            return None
        data: dict[str, Any] = response.json()
        return data

    @contextlib.asynccontextmanager
    async def stream(self, body: dict[str, Any]) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        """One streamed request: its chunks as they come (an ``error`` chunk included)."""
        self.requests += 1
        async with self.client.stream("POST", "/chat/completions", json={**body, "stream": True}) as response:

            async def chunks() -> AsyncIterator[dict[str, Any]]:
                async for line in response.aiter_lines():
                    if line.startswith("data:") and line[5:].strip() != "[DONE]":
                        yield json.loads(line[5:])

            yield chunks()


def _output_size(data: dict[str, Any]) -> tuple[int, str | None]:
    choice = (data.get("choices") or [{}])[0]
    usage = data.get("usage") or {}
    content = (choice.get("message") or {}).get("content") or ""
    return int(usage.get("completion_tokens") or count_tokens(content)), choice.get("finish_reason")


async def _cap(prober: _Prober, field: str) -> bool | None:
    data = await prober.complete(prober.body(_COUNT, **{field: _CAP}))
    if data is None:
        return False
    size, finish = _output_size(data)
    honoured = size <= _CAP + 2 or (finish == "length" and size <= _CAP * 2)
    prober.notes.append(f"{field}={_CAP}: the answer had {size} tokens (finish_reason {finish}): "
                        f"{'honoured' if honoured else 'ignored'}")  # fmt: skip
    return honoured


async def _stream_usage(prober: _Prober, cap: dict[str, int]) -> bool:
    usage = None
    async with prober.stream(prober.body("Say hi.", stream_options={"include_usage": True}, **cap)) as chunks:
        async for chunk in chunks:
            usage = chunk.get("usage") or usage
    prober.notes.append(f"stream usage: {'reported' if usage else 'not reported'}")
    return usage is not None


async def _tool_choice(prober: _Prober, choice: Any, cap: dict[str, int]) -> bool:
    data = await prober.complete(prober.body("Say hello.", tools=[_TOOL], tool_choice=choice, **cap))
    calls = ((data or {}).get("choices") or [{}])[0].get("message", {}).get("tool_calls") if data else None
    what = "required" if choice == "required" else "named"
    prober.notes.append(f"tool_choice {what}: {'a tool call' if calls else 'answered without calling the tool'}")
    return bool(calls)


async def _json_schema(prober: _Prober, cap: dict[str, int]) -> bool:
    response_format = {"type": "json_schema", "json_schema": {"name": "answer", "schema": _SCHEMA, "strict": True}}
    data = await prober.complete(prober.body("Greet me.", response_format=response_format, **cap))
    content = ((data or {}).get("choices") or [{}])[0].get("message", {}).get("content") if data else None
    try:
        honoured = isinstance(json.loads(content or ""), dict) and "greeting" in json.loads(content or "")
    except json.JSONDecodeError:
        honoured = False
    prober.notes.append(
        f"response_format json_schema: {'honoured' if honoured else 'ignored'} ({(content or '')[:60]!r})"
    )
    return honoured


async def _concurrency(prober: _Prober, cap: dict[str, int]) -> int | None:
    """Two streams, the second sent once the first answers: does the first end properly, did they overlap?"""
    first_done: float | None = None
    second_first: float | None = None
    finished = False

    async def second() -> None:
        nonlocal second_first
        async with prober.stream(prober.body("Say hi.", **cap)) as chunks:
            async for _ in chunks:
                second_first = second_first or time.monotonic()

    task: asyncio.Task[None] | None = None
    async with prober.stream(prober.body(_COUNT, **{next(iter(cap), "max_tokens"): 64})) as chunks:
        async for chunk in chunks:
            task = task or asyncio.create_task(second())
            finished = finished or any(c.get("finish_reason") for c in chunk.get("choices") or [])
    first_done = time.monotonic()
    if task is not None:
        await task
    if not finished:
        prober.notes.append("concurrency: a second request interrupted the first answer: one at a time")
        return 1
    if second_first is not None and second_first >= first_done:
        prober.notes.append("concurrency: the second request waited for the first: one at a time")
        return 1
    prober.notes.append("concurrency: two requests were answered at once: no limit found")
    return None


async def _context_window(client: httpx.AsyncClient, model_id: str) -> int | None:
    """From the server's own description: /models (vLLM, LM Studio…) or /props (llama.cpp)."""
    with contextlib.suppress(httpx.HTTPError, ValueError):
        models = (await client.get("/models")).json().get("data") or []
        entry = next((m for m in models if m.get("id") == model_id), models[0] if len(models) == 1 else {})
        for key in _WINDOW_KEYS:
            if isinstance(entry.get(key), int):
                return int(entry[key])
    with contextlib.suppress(httpx.HTTPError, ValueError):
        props = (await client.get(str(client.base_url).rstrip("/").removesuffix("/v1") + "/props")).json()
        n_ctx = (props.get("default_generation_settings") or {}).get("n_ctx")
        if isinstance(n_ctx, int):
            return n_ctx
    return None


async def probe(profile: ModelProfileData, request_timeout: float = 120.0) -> ProbeReport:
    """Ask the profile's server how it behaves; raises httpx.HTTPError when it cannot be reached."""
    if profile.provider is Provider.ANTHROPIC:
        return ProbeReport(notes=["Anthropic's API behaves as documented: nothing to probe"])
    base = profile.base_url or "https://api.openai.com/v1"
    headers = {"authorization": f"Bearer {profile.api_key}"} if profile.api_key else {}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=request_timeout) as client:
        prober = _Prober(client, profile.model_id)
        window = await _context_window(client, profile.model_id)
        prober.notes.append(
            f"context window: {window:,} tokens" if window else "context window: the server does not say"
        )
        completion = await _cap(prober, "max_completion_tokens")
        tokens = None if completion else await _cap(prober, "max_tokens")
        field = "max_completion_tokens" if completion else "max_tokens"
        cap = {field: 48}
        return ProbeReport(
            stream_usage=await _stream_usage(prober, {field: _CAP}), max_completion_tokens=completion,
            max_tokens=tokens, tool_choice_required=await _tool_choice(prober, "required", cap),
            tool_choice_named=await _tool_choice(prober, {"type": "function", "function": {"name": "answer"}}, cap),
            json_schema=await _json_schema(prober, cap), max_concurrency=await _concurrency(prober, {field: _CAP}),
            context_window=window, requests=prober.requests, notes=prober.notes,
        )  # fmt: skip
