"""What OpenAI-compatible servers need on the wire that OpenAI does not (llama-cpp-python's, found by a real run).

- An assistant message that only calls tools is sent with ``content: ""``: llama-cpp-python refuses null.
- A streamed tool call whose chunks each repeat the whole tool name (llama-cpp-python) keeps the name once.
- ``output_mode: named_tool``: ``tool_choice: required`` with one tool goes as that tool's name.

Each is a hook pydantic-ai documents for subclasses of its OpenAI chat model (pydantic-ai-slim is pinned).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic_ai.models.openai import OpenAIChatModel, OpenAIStreamedResponse

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from openai.types import chat
    from openai.types.chat import chat_completion_chunk
    from pydantic_ai.messages import ModelMessage, ModelResponseStreamEvent
    from pydantic_ai.models import ModelRequestParameters
    from pydantic_ai.settings import ModelSettings

__all__ = ["CompatibleChatModel"]


@dataclass
class _OnceNamedStream(OpenAIStreamedResponse):
    _names: dict[int, str] = field(default_factory=dict, init=False)

    def _map_tool_call_delta(self, choice: chat_completion_chunk.Choice) -> Iterable[ModelResponseStreamEvent]:
        for call in choice.delta.tool_calls or []:
            function = call.function
            if function is None or not function.name:
                continue
            if self._names.get(call.index) == function.name:  # the whole name again, not a piece of it
                function.name = None
            else:
                self._names[call.index] = self._names.get(call.index, "") + function.name
        return super()._map_tool_call_delta(choice)


class CompatibleChatModel(OpenAIChatModel):
    """OpenAI's chat model, tolerant of what OpenAI-compatible servers do differently."""

    def __init__(self, *args: Any, named_tool: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._named_tool = named_tool

    @property
    def _streamed_response_cls(self) -> type[OpenAIStreamedResponse]:
        return _OnceNamedStream

    async def _map_messages(
        self,
        messages: Sequence[ModelMessage],
        model_request_parameters: ModelRequestParameters,
        *,
        model_settings: ModelSettings | None = None,
    ) -> list[chat.ChatCompletionMessageParam]:
        mapped = await super()._map_messages(messages, model_request_parameters, model_settings=model_settings)
        for message in mapped:
            if message["role"] == "assistant" and message.get("content") is None:
                message["content"] = ""
        return mapped

    def _get_tool_choice(self, model_settings: Any, model_request_parameters: ModelRequestParameters) -> Any:
        tools, choice = super()._get_tool_choice(model_settings, model_request_parameters)
        if self._named_tool and choice == "required" and len(tools) == 1:
            return tools, {"type": "function", "function": {"name": tools[0]["function"]["name"]}}
        return tools, choice
