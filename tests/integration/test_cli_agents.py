"""``lockgate runs costs`` and ``runs conversation`` on runs whose agents talk to a local OpenAI-compatible server."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.helpers import cli, write_pipeline
from tests.openai_server import Reply, ToolCall, chat_server, tool_results

if TYPE_CHECKING:
    from pathlib import Path

# Every answer of the local server uses 10 input and 5 output tokens.
CHEAP = 10 * 1.0 / 1e6 + 5 * 2.0 / 1e6  # US$ 1 / 2 per million tokens in / out
DEAR = 10 * 10.0 / 1e6 + 5 * 20.0 / 1e6

PIPELINE: dict[str, Any] = {
    "name": "priced",
    "nodes": [
        {"id": "ask", "kind": "agent", "config": {"model": "cheap", "prompt": "One word.",
                                                   "budget": {"max_requests": 10}}},
        {"id": "panel", "kind": "agent", "config": {
            "model": "cheap", "prompt": "Another word.",
            "team": {"mode": "parallel", "members": [{"name": "thrifty"}, {"name": "lavish", "model": "dear"}]}}},
    ],
    "edges": [{"source": "ask", "target": "panel"}],
}  # fmt: skip


def _add_model(home: Path, database_url: str, name: str, base_url: str, prices: tuple[str, str]) -> None:
    added = cli(home, database_url, "models", "add", name, "--provider", "openai_compatible",
                "--model-id", f"{name}-model", "--base-url", base_url,
                "--input-price", prices[0], "--output-price", prices[1])  # fmt: skip
    assert added.returncode == 0, added.stderr


def test_runs_costs_per_step_member_and_model_against_the_budgets(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "home"
    with chat_server(lambda _: Reply(text="word")) as server:
        _add_model(home, database_url, "cheap", server.base_url, ("1", "2"))
        _add_model(home, database_url, "dear", server.base_url, ("10", "20"))
        file = write_pipeline(tmp_path, PIPELINE)
        ran = cli(home, database_url, "run", str(file), "-q", "--budget-cost", "0.01")
        assert ran.returncode == 0, ran.stderr + ran.stdout
    assert server.count == 3

    result = cli(home, database_url, "runs", "costs", "priced/v1", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ref"] == "priced/v1"
    assert report["totals"]["requests"] == 3
    assert (report["totals"]["input_tokens"], report["totals"]["output_tokens"]) == (30, 15)
    assert report["totals"]["cost"] == pytest.approx(2 * CHEAP + DEAR)
    steps = {s["step"]: s["totals"]["cost"] for s in report["steps"]}
    assert steps == {"ask": pytest.approx(CHEAP), "panel": pytest.approx(CHEAP + DEAR)}
    members = {(m["step"], m["member"]): (m["requests"], m["cost"]) for m in report["members"]}
    assert members == {("ask", "agent"): (1, pytest.approx(CHEAP)), ("panel", "lavish"): (1, pytest.approx(DEAR)),
                       ("panel", "thrifty"): (1, pytest.approx(CHEAP))}  # fmt: skip
    models = {m["model"]: (m["requests"], m["input_tokens"], m["cost"]) for m in report["models"]}
    assert models == {"cheap": (2, 20, pytest.approx(2 * CHEAP)), "dear": (1, 10, pytest.approx(DEAR))}
    assert report["held"] == {"cost": 0.0, "tokens": 0, "requests": 0}  # nothing in flight once the run ended
    assert report["budget"] == {"max_cost": 0.01, "max_tokens": None, "max_requests": None}
    budgets = {b["scope"]: b for b in report["budgets"]}
    assert set(budgets) == {"run", "node ask"}
    assert budgets["run"]["left"]["cost"] == pytest.approx(0.01 - 2 * CHEAP - DEAR)
    assert (budgets["node ask"]["spent"]["requests"], budgets["node ask"]["left"]) == (1, {"requests": 9})

    table = cli(home, database_url, "runs", "costs", "priced/v1")
    assert table.returncode == 0, table.stderr
    for fragment in ("priced/v1  agent costs", "lavish", "thrifty", "dear", "cheap", "total", "budget (run): $0.01;",
                     "budget (node ask): 10 requests; spent 1 requests"):  # fmt: skip
        assert fragment in table.stdout, (fragment, table.stdout)

    missing = cli(home, database_url, "runs", "costs", "priced/v9")
    assert missing.returncode == 1 and "not_found" in missing.stderr

    per_run = json.loads(cli(home, database_url, "runs", "costs", "--pipeline", "priced", "--json").stdout)
    assert [(r["number"], r["requests"]) for r in per_run["runs"]] == [(1, 3)]
    assert per_run["totals"]["cost"] == pytest.approx(2 * CHEAP + DEAR)
    assert "v1" in cli(home, database_url, "runs", "costs", "-p", "priced").stdout
    neither = cli(home, database_url, "runs", "costs")
    assert neither.returncode == 2 and "one of them" in neither.stderr


def test_runs_costs_of_a_run_without_agents(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "home"
    plain = {"name": "plain", "nodes": [{"id": "n", "kind": "noop"}]}
    assert cli(home, database_url, "run", str(write_pipeline(tmp_path, plain)), "-q").returncode == 0
    shown = cli(home, database_url, "runs", "costs", "plain/v1")
    assert shown.returncode == 0 and "no model requests in this run" in shown.stdout
    report = json.loads(cli(home, database_url, "runs", "costs", "plain/v1", "--json").stdout)
    assert (report["steps"], report["members"], report["models"], report["budgets"]) == ([], [], [], [])
    assert report["totals"]["cost"] == 0


def _note_then_answer(body: dict[str, Any]) -> Reply:
    """First a tool call (write a note), then, with its result in the history, the answer."""
    if tool_results(body):
        return Reply(text="Noted: " + "x" * 600)
    return Reply(tool_calls=(ToolCall("write_artifact", {"name": "note.txt", "content": "remember"}),))


def test_runs_conversation_shows_turns_messages_and_tool_calls(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "home"
    config = {"model": "cheap", "instructions": "You keep notes.", "prompt": "Note it.", "tools": ["write_artifact"]}
    noting = {"name": "noting", "nodes": [{"id": "note", "kind": "agent", "config": config}]}
    with chat_server(_note_then_answer) as server:
        _add_model(home, database_url, "cheap", server.base_url, ("1", "2"))
        ran = cli(home, database_url, "run", str(write_pipeline(tmp_path, noting)), "-q")
        assert ran.returncode == 0, ran.stderr + ran.stdout

    as_json = cli(home, database_url, "runs", "conversation", "noting/v1", "note", "--json")
    assert as_json.returncode == 0, as_json.stderr
    read = json.loads(as_json.stdout)
    [attempt] = read["attempts"]
    [turn] = attempt["turns"]
    assert (turn["member"], turn["requests"], turn["tool_calls"]) == ("agent", 2, 1)
    assert attempt["totals"]["requests"] == 2

    shown = cli(home, database_url, "runs", "conversation", "noting/v1", "note")
    assert shown.returncode == 0, shown.stderr
    for fragment in ("attempt 1", "agent (agent)", "instructions  You keep notes.", "user          Note it.",
                     'tool call     write_artifact({"name": "note.txt", "content": "remember"})',
                     "tool result   write_artifact:", "model         Noted: xxx",
                     "more characters: --full"):  # fmt: skip
        assert fragment in shown.stdout, (fragment, shown.stdout)
    full = cli(home, database_url, "runs", "conversation", "noting/v1", "note", "--full")
    assert "x" * 600 in full.stdout and "--full]" not in full.stdout
    unknown = cli(home, database_url, "runs", "conversation", "noting/v1", "ghost")
    assert unknown.returncode == 1 and "step 'ghost' not found" in unknown.stderr
