"""``lockgate models test`` probes a server and stores what it does; every finding can be set by hand.

Also: the default model from the environment, and what ``lockgate run`` records of a failing step's request.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tests.integration.helpers import cli, cli_env, write_pipeline
from tests.openai_server import MODES, Reply, chat_server, model_like

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path


def _json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def test_models_test_stores_what_the_server_does_and_each_finding_can_be_set_by_hand(
    tmp_path: Path, database_url: str
) -> None:
    home = tmp_path / "home"
    with chat_server(model_like, MODES["llama"]) as server:
        added = cli(home, database_url, "models", "add", "local", "--provider", "openai_compatible",
                    "--model-id", "local-model", "--base-url", server.base_url)  # fmt: skip
        assert added.returncode == 0, added.stderr
        profile = _json(cli(home, database_url, "models", "test", "local", "--json"))
        assert server.count <= 9
    notes = "\n".join(profile["probe"]["notes"])
    assert "stream usage: not reported" in notes and "max_tokens=8: the answer had 8 tokens" in notes
    assert "tool_choice required: answered without calling the tool" in notes
    assert "response_format json_schema: ignored" in notes and "HTTP 500" in notes
    found = {k: profile[k] for k in ("stream_usage", "cap_field", "output_mode", "max_concurrency", "context_window")}
    assert found == {"stream_usage": False, "cap_field": "max_tokens", "output_mode": "named_tool",
                     "max_concurrency": 1, "context_window": 4000}  # fmt: skip
    assert profile["probe"]["requests"] == server.count and profile["probed_at"] is not None

    profile = _json(cli(home, database_url, "models", "update", "local", "--output-mode", "prompted",
                        "--max-concurrency", "2", "--clear", "context-window", "--stream-usage", "--json"))  # fmt: skip
    assert (profile["output_mode"], profile["max_concurrency"], profile["context_window"], profile["stream_usage"]) == (
        "prompted", 2, None, True)  # fmt: skip


def test_models_test_names_a_server_it_cannot_reach(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "home"
    added = cli(home, database_url, "models", "add", "gone", "--provider", "openai_compatible", "--model-id", "m",
                "--base-url", "http://127.0.0.1:9/v1")  # fmt: skip
    assert added.returncode == 0, added.stderr
    tested = cli(home, database_url, "models", "test", "gone")
    assert tested.returncode != 0
    assert "model profile 'gone': the server at http://127.0.0.1:9/v1 could not be probed" in tested.stderr
    missing = cli(home, database_url, "models", "test", "nowhere")
    assert missing.returncode != 0 and "nowhere" in missing.stderr


PIPELINE: dict[str, Any] = {
    "name": "local",
    "nodes": [{"id": "ask", "kind": "agent", "config": {"prompt": "Say something.", "model": None}}],
}


def test_lockgate_run_on_an_ollama_model_name_records_the_request_a_failing_step_was_served(
    tmp_path: Path, database_url: str
) -> None:
    home = tmp_path / "home"
    # the server answers part of the way, then ends the stream without finishing it (and without usage)
    with chat_server(lambda _: Reply(text="A partial answer that goes", finish=""), MODES["no_stream_usage"]) as server:
        env = cli_env(LOCKGATE_MODEL="llama3.2:3b", OPENAI_BASE_URL=server.base_url)
        ran = cli(home, database_url, "run", str(write_pipeline(tmp_path, PIPELINE)), "-q", env=env)
        assert ran.returncode != 0
        assert "stream_interrupted" in ran.stdout + ran.stderr
        assert server.requests[0]["model"] == "llama3.2:3b"
    report = json.loads(cli(home, database_url, "runs", "costs", "local/v1", "--json").stdout)
    assert report["totals"]["requests"] == server.count == 1
    assert report["totals"]["estimated"] == 1 and report["totals"]["output_tokens"] > 0
    shown = cli(home, database_url, "runs", "costs", "local/v1")
    assert "1 (1 estimated)" in shown.stdout, shown.stdout
