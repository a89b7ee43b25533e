"""A small MCP server for tests, run over stdio: ``python tests/mcp_server.py``.

Its tools: ``add`` (a sum), ``whoami`` (what the server's environment holds under ``MCP_TOKEN``, so a test
can check that a credential reached it) and ``write_note`` (a file in its cwd, the agent's workspace).
"""

from __future__ import annotations

import os
from pathlib import Path

from mcp.server.mcpserver import MCPServer

server = MCPServer("calc")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def whoami() -> str:
    """The token this server was started with."""
    return os.environ.get("MCP_TOKEN", "none")


@server.tool()
def write_note(text: str) -> str:
    """Write text to note.txt in the working folder."""
    Path("note.txt").write_text(text)
    return "written"


if __name__ == "__main__":
    server.run()
