"""The tools an agent may call: the built-in ones (over the handler context) and MCP servers' tools.

A built-in tool that fails tells the model why (its answer is the error text), so that it can do better;
only the platform's own limits (budgets, tool-call cap) end the attempt.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from pydantic_ai import Tool

from lockgate.errors import PermanentStepError, StepError
from lockgate.security.grants import ANY_HOST, host_allowed, host_refusal
from lockgate.security.safe_files import RefusedFileError, write_file
from lockgate.spec.agent import BuiltinTool
from lockgate.spec.nodes import ScriptConfig

if TYPE_CHECKING:
    from datetime import timedelta

    from pydantic import JsonValue
    from pydantic_ai.toolsets import AbstractToolset

    from lockgate.handlers.context import HandlerContext
    from lockgate.spec.agent import AgentConfig, McpServer

__all__ = ["TEXT_LIMIT", "builtin_tools", "mcp_toolsets"]

TEXT_LIMIT = 100_000  # characters of a tool answer the model sees
_CREDENTIAL = re.compile(r"\$\{credential:([a-z][a-z0-9_-]{0,62})\}")


def _clip(text: str) -> str:
    if len(text) <= TEXT_LIMIT:
        return text
    return text[:TEXT_LIMIT] + f"\n[… truncated: {len(text) - TEXT_LIMIT} more characters]"


def _allowed(url: str, allow: list[str]) -> str | None:
    if not url.startswith(("http://", "https://")):
        return "only http and https URLs may be fetched"
    if allow and not any(url.startswith(prefix) for prefix in allow):
        return f"this URL is not allowed; allowed prefixes: {', '.join(allow)}"
    return None


def _http_tools(config: AgentConfig) -> list[Tool[Any]]:
    async def send(method: str, url: str, body: JsonValue = None) -> str:
        problem = _allowed(url, config.http_allow)
        if problem is not None:
            return f"error: {problem}"
        try:
            async with httpx.AsyncClient(timeout=30, follow_redirects=True) as client:
                response = await client.request(method, url, json=body if method == "POST" else None)
        except httpx.HTTPError as exc:
            return f"error: {method} {url} failed: {type(exc).__name__}: {exc}"
        return _clip(f"HTTP {response.status_code}\n{response.text}")

    async def http_get(url: str) -> str:
        """Fetch a URL with GET; returns the status line and the body as text."""
        return await send("GET", url)

    async def http_post(url: str, body: dict[str, Any]) -> str:
        """POST a JSON body to a URL; returns the status line and the body as text."""
        return await send("POST", url, body)

    tools: list[Tool[Any]] = []
    if BuiltinTool.HTTP_GET in config.tools:
        tools.append(Tool(http_get, takes_ctx=False))
    if BuiltinTool.HTTP_POST in config.tools:
        tools.append(Tool(http_post, takes_ctx=False))
    return tools


def _artifact_tools(ctx: HandlerContext) -> list[Tool[Any]]:
    def list_artifacts(step: str, run: int | None = None) -> str:
        """List the files an earlier step left (in this run, or in run number `run` of this pipeline)."""
        try:
            names = ctx.artifacts.names(step, "**/*", run)
        except StepError as exc:
            return f"error: {exc.detail}"
        return "\n".join(names) if names else f"step {step!r} left no artifacts"

    def read_artifact(step: str, name: str, run: int | None = None) -> str:
        """Read a file an earlier step left (in this run, or in run number `run` of this pipeline) as text."""
        try:
            data = ctx.artifacts.read(step, name, run)
        except StepError as exc:
            return f"error: {exc.detail}"
        return _clip(data.decode(errors="replace"))

    return [Tool(list_artifacts, takes_ctx=False), Tool(read_artifact, takes_ctx=False)]


def _write_tool(ctx: HandlerContext) -> Tool[Any]:
    def write_artifact(name: str, content: str) -> str:
        """Write a text file (a relative path) that becomes an artifact of this step when it succeeds."""
        relative = "/".join(p for p in Path(name).as_posix().split("/") if p != ".")
        if name.startswith("/") or not relative:
            return "error: give a relative file path inside the step's folder"
        try:  # the workspace is the step's: a link planted there (run_python) is replaced, never followed
            write_file(ctx.workspace, relative, content.encode())
        except RefusedFileError as exc:
            return f"error: give a relative file path inside the step's folder ({exc.path}: {exc.reason})"
        except OSError as exc:
            return f"error: cannot write {relative}: {exc.strerror or exc}"
        return f"wrote {len(content.encode())} bytes to {relative}"

    return Tool(write_artifact, takes_ctx=False)


def _python_tool(ctx: HandlerContext, limit: timedelta) -> Tool[Any]:
    from lockgate.handlers.script import run_code

    async def run_python(code: str) -> str:
        """Run Python 3 in a sandbox without network (cwd: the step's folder; limited in time).

        Set the global `output` (JSON) or print: both are returned. Files written become artifacts.
        """
        config = ScriptConfig(code=code, cpu_time=limit, memory_mb=1024, network=False)
        try:
            ran = await run_code(ctx, config, {}, limit=limit)
        except StepError as exc:
            return f"error: {exc.detail}"
        output, stdout = ran.output, ran.stdout
        # What the model sees leaves for its provider: never a value the step was given.
        return _clip(ctx.redactor.text(json.dumps({"output": output, "stdout": stdout[-20_000:]}, default=str)))

    return Tool(run_python, takes_ctx=False)


def builtin_tools(ctx: HandlerContext, config: AgentConfig, allowed: frozenset[BuiltinTool]) -> list[Tool[Any]]:
    """The built-in tools of ``allowed`` (a member may have fewer than its node)."""
    tools = [t for t in _http_tools(config) if BuiltinTool(t.name) in allowed]
    if BuiltinTool.READ_ARTIFACT in allowed:
        tools += _artifact_tools(ctx)
    if BuiltinTool.WRITE_ARTIFACT in allowed:
        tools.append(_write_tool(ctx))
    if BuiltinTool.RUN_PYTHON in allowed:
        tools.append(_python_tool(ctx, config.python_time_limit))
    return tools


def _with_credentials(text: str, credentials: dict[str, str] | Any, where: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in credentials:
            raise PermanentStepError("missing_credential", f"{where}: credential {name!r} is not listed in the node's "
                                                           "credentials")  # fmt: skip
        return str(credentials[name])

    return _CREDENTIAL.sub(value, text)


def _check_hosts(ctx: HandlerContext, server: McpServer, where: str) -> None:
    """A credential goes to an MCP server's host if it allows it; to a server process only if it allows any."""
    texts = server.headers.values() if server.url is not None else server.env.values()
    host = httpx.URL(server.url).host if server.url is not None else "any host an MCP server process reaches"
    for name in dict.fromkeys(m.group(1) for text in texts for m in _CREDENTIAL.finditer(text)):
        patterns = ctx.credential_hosts.get(name, ())
        allowed = host_allowed(patterns, host) if server.url is not None else ANY_HOST in patterns
        if name in ctx.credentials and not allowed:
            raise PermanentStepError("credential_host_not_allowed", f"{where}: {host_refusal(name, host, patterns)}")


def _mcp_toolset(ctx: HandlerContext, server: McpServer) -> AbstractToolset[Any]:
    from pydantic_ai.mcp import MCPToolset

    where = f"config.mcp_servers.{server.name}"
    _check_hosts(ctx, server, where)
    if server.url is not None:
        headers = {k: _with_credentials(v, ctx.credentials, where) for k, v in server.headers.items()}
        toolset: AbstractToolset[Any] = MCPToolset(server.url, headers=headers or None, id=server.name)
    else:
        from fastmcp.client.transports import StdioTransport

        env = {k: _with_credentials(v, ctx.credentials, where) for k, v in server.env.items()}
        transport = StdioTransport(command=server.command or "", args=list(server.args), env=env or None,
                                   cwd=str(ctx.workspace))  # fmt: skip
        toolset = MCPToolset(transport, id=server.name)
    if server.tools is not None:
        wanted = frozenset(server.tools)
        toolset = toolset.filtered(lambda _ctx, tool: tool.name in wanted)
    return toolset.prefixed(server.name.replace("-", "_"))


def mcp_toolsets(ctx: HandlerContext, config: AgentConfig) -> list[AbstractToolset[Any]]:
    """One toolset per MCP server, its tools named ``<server>_<tool>``."""
    return [_mcp_toolset(ctx, server) for server in config.mcp_servers]
