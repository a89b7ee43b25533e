"""Counting tokens where the server does not: the output cap enforced on the stream, usage estimated locally.

Many OpenAI-compatible servers ignore ``max_completion_tokens`` (or every cap) and send no usage in streams.
A ``Meter`` watches a streamed answer as it arrives: it counts the tokens locally and, once the cap is
reached, ends the stream as a server honouring the cap would (``finish_reason: length``). When the server
reported no usage, the request is charged the local count, marked ``estimated``.

The local count is a pre-tokeniser, not the model's vocabulary: it splits words, digits and symbols the way
byte-pair encoders do and rounds up (a word is at least one token per three letters, every digit and symbol
one), so it errs on the side of counting more than the server would — a budget charged with it is not
overspent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from pydantic_ai.messages import (
    ModelMessagesTypeAdapter,
    ModelRequest,
    ModelResponse,
    PartDeltaEvent,
    PartStartEvent,
    TextPart,
    TextPartDelta,
    ThinkingPart,
    ThinkingPartDelta,
    ToolCallPart,
    ToolCallPartDelta,
)

from lockgate.errors import RetryableStepError

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Callable

    from pydantic_ai.messages import ModelMessage, ModelResponseStreamEvent
    from pydantic_ai.models import ModelRequestParameters, StreamedResponse

__all__ = ["Meter", "count_tokens", "estimate_input_tokens", "measured_input", "output_tokens", "reported"]

_PIECES = re.compile(r"[A-Za-z]+|[0-9]|\s*\n\s*| {2,}|[^\sA-Za-z0-9]")
_CHARS_PER_TOKEN = 3  # a cautious estimate of a request's size (English averages about 4 characters a token)
_PER_MESSAGE = 4  # the role and separators each message costs in a chat template


def count_tokens(text: str) -> int:
    """Tokens in ``text``, counted locally and rounded up (see the module's docstring)."""
    total = 0
    for piece in _PIECES.findall(text):
        total += -(-len(piece) // 3) if piece[0].isalpha() and piece.isascii() else 1
    return total


def _response_text(response: ModelResponse) -> str:
    texts: list[str] = []
    for part in response.parts:
        if isinstance(part, TextPart | ThinkingPart):
            texts.append(part.content)
        elif isinstance(part, ToolCallPart):
            texts += [part.tool_name, part.args_as_json_str()]
    return "".join(texts)


def output_tokens(response: ModelResponse) -> int:
    return count_tokens(_response_text(response))


def measured_input(messages: list[ModelMessage], parameters: ModelRequestParameters) -> int:
    """What a request's input most likely cost: its messages and tool definitions, counted locally."""
    texts: list[str] = []
    for message in messages:
        if isinstance(message, ModelRequest):
            texts += [str(getattr(p, "content", "")) for p in message.parts]
            texts.append(message.instructions or "")
        else:
            texts.append(_response_text(message))
    texts += [f"{t.name} {t.description or ''} {t.parameters_json_schema}" for t in parameters.tool_defs.values()]
    return sum(count_tokens(t) for t in texts) + _PER_MESSAGE * (len(messages) + 1)


def estimate_input_tokens(messages: list[ModelMessage], parameters: ModelRequestParameters) -> int:
    """What a request's input may cost at most (held by budgets): never less than ``measured_input``."""
    size = len(ModelMessagesTypeAdapter.dump_json(messages))
    size += sum(len(str(t.parameters_json_schema)) + len(t.name) + len(t.description or "")
                for t in parameters.tool_defs.values())  # fmt: skip
    return max(size // _CHARS_PER_TOKEN + 1, measured_input(messages, parameters))


def reported(response: ModelResponse) -> bool:
    """Whether the server reported the request's usage (a stream without a usage chunk did not)."""
    usage = response.usage
    return not usage.unmeasured_requests and (usage.input_tokens > 0 or usage.output_tokens > 0)


def _event_text(event: ModelResponseStreamEvent) -> str:
    match event:
        case PartStartEvent(part=TextPart(content=text) | ThinkingPart(content=text)):
            return text
        case PartStartEvent(part=ToolCallPart() as call):
            return call.tool_name + call.args_as_json_str()
        case PartDeltaEvent(delta=TextPartDelta(content_delta=text)):
            return text
        case PartDeltaEvent(delta=ThinkingPartDelta(content_delta=text)):
            return text or ""
        case PartDeltaEvent(delta=ToolCallPartDelta(args_delta=args)):
            return args if isinstance(args, str) else str(args or "")
        case _:
            return ""


@dataclass
class Meter:
    """One streamed answer: its tokens as they arrive, cut at ``cap`` (None: never cut)."""

    cap: int | None
    member: str
    tokens: int = 0
    cut: bool = False
    interrupted: bool = False

    def watch(self, stream: StreamedResponse) -> None:
        """Count (and cap) the stream's events as its consumer reads them.

        pydantic-ai reads a stream through ``_get_event_iterator``: the instance's own is put in front of the
        provider's, the one seam that sees every event before the agent does (pydantic-ai-slim is pinned).
        """
        source: Callable[[], AsyncIterator[ModelResponseStreamEvent]] = stream._get_event_iterator

        async def metered() -> AsyncIterator[ModelResponseStreamEvent]:
            events = source()
            try:
                async for event in events:
                    self.tokens += count_tokens(_event_text(event))
                    yield event
                    if self.cap is not None and self.tokens >= self.cap:
                        self.cut = True
                        stream.finish_reason = "length"  # as a server that honours the cap ends it
                        return
            finally:
                await cast("AsyncGenerator[ModelResponseStreamEvent]", events).aclose()
            if not self._finished_by_server(stream):
                self.interrupted = True
                raise RetryableStepError(
                    "stream_interrupted",
                    f"agent {self.member!r}: the model server ended the answer without finishing it (after "
                    f"{self.tokens} tokens); servers that serve one request at a time do this when another "
                    "arrives: set the model profile's max_concurrency",
                )

        stream._get_event_iterator = metered  # type: ignore[method-assign]

    @staticmethod
    def _finished_by_server(stream: StreamedResponse) -> bool:
        # OpenAI's stream knows whether a finish_reason came; other providers' streams always end properly
        finished: Any = getattr(stream, "_has_finish_reason", True)
        return bool(finished) or getattr(stream, "_has_refusal", False) is True
