"""MCP tools through an agent step: a real MCP server (tests/mcp_server.py) over stdio, pydantic-ai's client."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from lockgate.handlers.agent import run
from lockgate.spec.agent import AgentConfig

if TYPE_CHECKING:
    from tests.unit.handlers.conftest import FakeContext

pytestmark = pytest.mark.anyio

SERVER = str(Path(__file__).resolve().parents[3] / "mcp_server.py")


def _calling(offered: list[list[str]], *calls: tuple[str, dict[str, Any]]) -> FunctionModel:
    """Makes the calls one per turn, noting the tools it was offered, then answers with every tool answer."""

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        offered.append(sorted(t.name for t in info.function_tools))
        returns = [p for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, ToolReturnPart)]
        if len(returns) < len(calls):
            name, args = calls[len(returns)]
            return ModelResponse(parts=[ToolCallPart(name, args, tool_call_id=f"call-{len(returns)}")])
        return ModelResponse(parts=[TextPart(json.dumps([str(r.content) for r in returns]))])

    return FunctionModel(model)


def _config(**server: Any) -> AgentConfig:
    mcp = {"name": "calc", "command": sys.executable, "args": [SERVER], **server}
    return AgentConfig.model_validate({"prompt": "Use your tools", "stream": False, "tools": [], "mcp_servers": [mcp]})


async def test_an_agent_calls_an_mcp_servers_tools_with_its_credential(ctx: FakeContext) -> None:
    offered: list[list[str]] = []
    ctx.credentials = {"calc-token": "t0k3n"}
    ctx.credential_hosts = {"calc-token": ("*",)}  # a server process may reach any host: the admin allowed that
    calls: list[tuple[str, dict[str, Any]]] = [
        ("calc_add", {"a": 2, "b": 40}),
        ("calc_whoami", {}),
        ("calc_write_note", {"text": "from the agent"}),
    ]
    ctx.agent.model_factory = lambda _: _calling(offered, *calls)

    result = await run(ctx, _config(env={"MCP_TOKEN": "${credential:calc-token}"}), {})

    assert json.loads(str(result.output)) == ["42", "t0k3n", "written"]
    assert offered[0] == ["calc_add", "calc_whoami", "calc_write_note"]  # named <server>_<tool>
    # the server runs in the step's workspace: what it writes there is the step's
    assert (ctx.workspace / "note.txt").read_text() == "from the agent"
    [turn] = ctx.agent.turns
    assert turn.tool_calls == 3 and turn.error is None


async def test_only_the_listed_tools_of_a_server_are_offered(ctx: FakeContext) -> None:
    offered: list[list[str]] = []
    ctx.agent.model_factory = lambda _: _calling(offered, ("calc_add", {"a": 1, "b": 1}))

    result = await run(ctx, _config(tools=["add"]), {})

    assert json.loads(str(result.output)) == ["2"]
    assert offered and all(names == ["calc_add"] for names in offered)
