"""The built-in tools through an agent step driven by a FunctionModel.

http_get/http_post against a local server (and the allow-list); run_python confined as script steps are
(no write outside its folder, no network, a time limit that stops it).
"""

from __future__ import annotations

import json
import shutil
import socket
import time
from typing import TYPE_CHECKING, Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from tests.local_http import QuietHandler, serving

from lockgate.handlers.agent import run
from lockgate.handlers.context import SandboxMode, ScriptPolicy
from lockgate.spec.agent import AgentConfig

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.unit.handlers.conftest import FakeContext

pytestmark = pytest.mark.anyio


class Site:
    """A local HTTP server that records each request: (method, path, JSON body)."""

    def __init__(self) -> None:
        self.hits: list[tuple[str, str, Any]] = []
        site = self

        class Handler(QuietHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                site.hits.append((self.command, self.path, body))
                payload = json.dumps({"you_sent": body, "path": self.path}).encode()
                self.send_response(201 if self.command == "POST" else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

        self.handler = Handler
        self.url = ""


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site()
    with serving(server.handler) as url:
        server.url = url
        yield server


def scripted(*calls: tuple[str, dict[str, Any]]) -> FunctionModel:
    """A model that makes the given tool calls one per turn, then answers with every tool's answer as JSON."""

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        returns = [p for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, ToolReturnPart)]
        if len(returns) < len(calls):
            name, args = calls[len(returns)]
            return ModelResponse(parts=[ToolCallPart(name, args, tool_call_id=f"call-{len(returns)}")])
        return ModelResponse(parts=[TextPart(json.dumps([str(r.content) for r in returns]))])

    return FunctionModel(model)


async def _answers(ctx: FakeContext, config: dict[str, Any], *calls: tuple[str, dict[str, Any]]) -> list[str]:
    ctx.agent.model_factory = lambda _: scripted(*calls)
    result = await run(ctx, AgentConfig.model_validate({"prompt": "Use your tools", "stream": False, **config}), {})
    assert isinstance(result.output, str)
    answers: list[str] = json.loads(result.output)
    return answers


async def test_http_tools_reach_allowed_urls_and_refuse_the_rest(ctx: FakeContext, site: Site) -> None:
    config = {"tools": ["http_get", "http_post"], "http_allow": [f"{site.url}/api/"]}
    got, posted, elsewhere, scheme = await _answers(
        ctx, config,
        ("http_get", {"url": f"{site.url}/api/items?page=2"}),
        ("http_post", {"url": f"{site.url}/api/items", "body": {"name": "pen", "qty": 3}}),
        ("http_post", {"url": f"{site.url}/admin/drop", "body": {"all": True}}),
        ("http_get", {"url": "file:///etc/passwd"}),
    )  # fmt: skip
    assert got.startswith("HTTP 200\n") and json.loads(got.split("\n", 1)[1])["path"] == "/api/items?page=2"
    assert posted.startswith("HTTP 201\n")
    assert json.loads(posted.split("\n", 1)[1])["you_sent"] == {"name": "pen", "qty": 3}
    assert elsewhere.startswith("error: this URL is not allowed") and f"{site.url}/api/" in elsewhere
    assert scheme == "error: only http and https URLs may be fetched"
    assert site.hits == [("GET", "/api/items?page=2", None), ("POST", "/api/items", {"name": "pen", "qty": 3})]
    [turn] = ctx.agent.turns
    assert turn.tool_calls == 4 and turn.error is None


async def test_an_unreachable_url_is_an_answer_the_model_can_act_on(ctx: FakeContext) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/gone"
    (answer,) = await _answers(ctx, {"tools": ["http_get"]}, ("http_get", {"url": url}))
    assert answer.startswith(f"error: GET {url} failed: ConnectError")


_BWRAP = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")


@_BWRAP
async def test_run_python_is_confined_like_a_script_step(ctx: FakeContext) -> None:
    ctx.sandbox = SandboxMode.BWRAP
    outside = ctx.workspace.parent / "escaped.txt"
    inside = "open('table.csv', 'w').write('a,b\\n1,2\\n')\nprint('rows: 1')\noutput = {'ok': True}"
    home = f"open({str(outside)!r}, 'w').write('out')\noutput = 'written'"
    system = "open('/usr/lib/escaped.txt', 'w').write('out')"
    network = "import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=2)"
    wrote, elsewhere, usr, net = await _answers(
        ctx, {"tools": ["run_python"]},
        ("run_python", {"code": inside}), ("run_python", {"code": home}), ("run_python", {"code": system}),
        ("run_python", {"code": network}),
    )  # fmt: skip
    assert json.loads(wrote) == {"output": {"ok": True}, "stdout": "rows: 1\n"}
    assert (ctx.workspace / "table.csv").read_text() == "a,b\n1,2\n"  # becomes an artifact of the step
    # the sandbox shows a private, empty /tmp: the write lands there and vanishes, the real file is never made
    assert json.loads(elsewhere)["output"] == "written" and not outside.exists()
    assert usr.startswith("error: the script exited with code 1") and "Read-only file system" in usr
    assert (net.startswith("error: the script exited with code 1") and "OSError" in net) or "Error" in net


@pytest.mark.parametrize("mode", [SandboxMode.NONE, pytest.param(SandboxMode.BWRAP, marks=_BWRAP)])
async def test_run_python_is_stopped_at_its_time_limit(ctx: FakeContext, mode: SandboxMode) -> None:
    ctx.sandbox = mode
    started = time.monotonic()
    sleeper, spinner = await _answers(
        ctx, {"tools": ["run_python"], "python_time_limit": "1s"},
        ("run_python", {"code": "import time\ntime.sleep(60)"}), ("run_python", {"code": "while True: pass"}),
    )  # fmt: skip
    assert time.monotonic() - started < 15
    assert sleeper.startswith("error: the script ran longer than 0:00:01")
    assert spinner.startswith(("error: the script ran longer than 0:00:01", "error: the script used more than 1s"))


async def test_run_python_without_a_sandbox_needs_the_administrator_s_consent(ctx: FakeContext) -> None:
    ctx.sandbox = SandboxMode.NONE
    ctx.script_policy = ScriptPolicy(allow_unconfined=False)
    (answer,) = await _answers(ctx, {"tools": ["run_python"]}, ("run_python", {"code": "open('ran', 'w')"}))
    assert answer.startswith("error: scripts would run without a sandbox (LOCKGATE_SANDBOX=none)")
    assert "LOCKGATE_ALLOW_UNCONFINED_SCRIPTS=true" in answer
    assert not (ctx.workspace / "ran").exists()
