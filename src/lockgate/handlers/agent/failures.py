"""pydantic-ai's failures as step errors that name their cause, each its own kind.

Real servers report trouble in ways OpenAI does not: a context overflow as an empty 200 stream, an answer
cut by the context window as ``finish_reason: length``, an interrupted stream as a normal end. The kinds:

| kind | retryable | when |
| --- | --- | --- |
| ``context_overflow`` | no | the prompt and answer do not fit the model's context window (with the numbers) |
| ``output_cap`` | no | the answer reached the output cap before it was complete |
| ``stream_interrupted`` | yes | the server ended the answer without finishing it, or sent an empty stream |
| ``schema_rejected`` | no | the answer broke the output schema every time (the validation message itself) |
| ``model_unavailable`` | yes | the server could not be reached, failed (5xx) or is rate limiting (429) |
| ``model_error`` | no | the server refused the request (4xx) |
| ``invalid_output`` | no | any other answer pydantic-ai could not use |
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pydantic_ai.exceptions import (
    ModelAPIError,
    ModelContextWindowExceededError,
    ModelHTTPError,
    OutputTokenLimitExceeded,
    UnexpectedModelBehavior,
    UsageLimitExceeded,
    UserError,
)
from pydantic_ai.messages import ModelRequest, ModelResponse, RetryFeedbackPart, RetryPromptPart

from lockgate.errors import PermanentStepError, RetryableStepError, StepError
from lockgate.handlers.agent.metering import measured_input, output_tokens

if TYPE_CHECKING:
    from pydantic_ai.messages import ModelMessage

    from lockgate.handlers.agent.modeling import MemberLedger

__all__ = ["step_error"]

_CONTEXT = re.compile(r"context (length|window|size)|n_ctx|maximum context|prompt is too long|too many tokens|"
                      r"exceeds? (the )?(model'?s? )?(maximum|context)", re.IGNORECASE)  # fmt: skip
_EMPTY = "ended without content"
_RETRIES = "Exceeded maximum output retries"


def _last_response(messages: list[ModelMessage]) -> ModelResponse | None:
    return next((m for m in reversed(messages) if isinstance(m, ModelResponse)), None)


def _rejection(messages: list[ModelMessage]) -> str | None:
    """The last reason an answer was sent back (the schema validation message), as the model was told it."""
    for message in reversed(messages):
        if not isinstance(message, ModelRequest):
            continue
        for part in reversed(message.parts):
            if isinstance(part, RetryPromptPart | RetryFeedbackPart):
                content = getattr(part, "content", None)
                return content if isinstance(content, str) else part.model_response()
    return None


def _fit(ledger: MemberLedger) -> str:
    """The numbers of the last request: its prompt (counted locally), its output cap, the context window."""
    sent, window = ledger.last_sent, ledger.profile.context_window
    prompt = f"~{measured_input(sent.messages, sent.parameters):,} tokens" if sent is not None else "unknown size"
    cap = f"{sent.cap:,}" if sent is not None and sent.cap is not None else "none"
    known = f"{window:,} tokens" if window is not None else "not known (set the model profile's context_window)"
    return f"prompt {prompt}, output cap {cap}, context window {known}"


def _overflowing(ledger: MemberLedger) -> bool:
    sent, window = ledger.last_sent, ledger.profile.context_window
    if sent is None or window is None:
        return False
    return measured_input(sent.messages, sent.parameters) + (sent.cap or 0) > window


def _cut_short(who: str, ledger: MemberLedger, messages: list[ModelMessage]) -> StepError:
    """``finish_reason: length``: the output cap ended the answer, or (below the cap) the context window did."""
    response, sent = _last_response(messages), ledger.last_sent
    cap = sent.cap if sent is not None else None
    produced = 0
    if response is not None:
        produced = response.usage.output_tokens or output_tokens(response)
    if cap is not None and produced >= cap:
        return PermanentStepError("output_cap", f"{who}: the answer reached the output cap of {cap:,} tokens before "
                                                "it was complete (config.max_tokens, the model profile's max_tokens, "
                                                "or what the budget affords)")  # fmt: skip
    return PermanentStepError("context_overflow", f"{who}: the answer stopped after {produced:,} tokens, below the "
                                                  f"output cap: the conversation filled the model's context window "
                                                  f"({_fit(ledger)})")  # fmt: skip


def _model_behavior(who: str, exc: UnexpectedModelBehavior, ledger: MemberLedger,
                    messages: list[ModelMessage]) -> StepError:  # fmt: skip
    last = _last_response(messages)
    if isinstance(exc, OutputTokenLimitExceeded) or (last is not None and last.finish_reason == "length"):
        return _cut_short(who, ledger, messages)
    if _EMPTY in exc.message:
        if _overflowing(ledger):
            return PermanentStepError("context_overflow", f"{who}: the model server sent an empty answer: the "
                                                          f"conversation does not fit its context window "
                                                          f"({_fit(ledger)})")  # fmt: skip
        # Not known to overflow: the likelier cause is a server serving one request at a time, which ends an
        # answer (before its first token, under load) when another request arrives.
        return RetryableStepError("stream_interrupted", f"{who}: the model server sent an empty answer "
                                                        f"({_fit(ledger)}); servers that serve one request at a "
                                                        "time do this when another arrives: set the model "
                                                        "profile's max_concurrency")  # fmt: skip
    reason = _rejection(messages)
    if exc.message.startswith(_RETRIES) and reason is not None:
        return PermanentStepError("schema_rejected", f"{who}: {exc.message}; the last answer was rejected: {reason}")
    return PermanentStepError("invalid_output", f"{who}: {exc.message}")


def step_error(exc: Exception, ledger: MemberLedger, messages: list[ModelMessage]) -> StepError:
    """The step error for a failed turn; ``messages``: the turn's conversation as far as it got."""
    who = f"agent {ledger.member!r}"
    if isinstance(exc, StepError):
        return exc
    if isinstance(exc, UsageLimitExceeded):
        return PermanentStepError("tool_call_limit", f"{who}: {exc.message} (config.max_tool_calls)")
    if isinstance(exc, ModelContextWindowExceededError) or (isinstance(exc, ModelAPIError)
                                                            and _CONTEXT.search(exc.message or "")):  # fmt: skip
        return PermanentStepError("context_overflow", f"{who}: the conversation does not fit the model's "
                                                      f"context window ({_fit(ledger)}); the server said: "
                                                      f"{exc.message}")  # fmt: skip
    if isinstance(exc, ModelHTTPError) and exc.status_code != 429 and exc.status_code < 500:
        return PermanentStepError("model_error", f"{who}: the model server refused the request: {exc.message}")
    if isinstance(exc, ModelAPIError):
        return RetryableStepError("model_unavailable", f"{who}: the model server failed: {exc.message}")
    if isinstance(exc, UnexpectedModelBehavior):
        return _model_behavior(who, exc, ledger, messages)
    if isinstance(exc, UserError):
        return PermanentStepError("agent_error", f"{who}: {exc}")
    raise exc
