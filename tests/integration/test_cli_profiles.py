"""``lockgate models …`` and ``lockgate agents …``: add, show, update (only what is given), list, as JSON too."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tests.integration.helpers import cli, select_rows, write_pipeline
from tests.openai_server import Reply, chat_server

from lockgate.store.tables import agent_profiles, model_profiles

if TYPE_CHECKING:
    from pathlib import Path

AGENT: dict[str, Any] = {"name": "asks", "nodes": [{"id": "ask", "kind": "agent",
                                                   "config": {"model": "local", "prompt": "One word."}}]}  # fmt: skip


def _profile(rows: list[dict[str, Any]]) -> dict[str, Any]:
    [row] = rows
    return {k: v for k, v in row.items() if k not in {"id", "created_at", "updated_at"}}


def test_models_update_changes_only_the_given_fields(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "home"
    added = cli(home, database_url, "models", "add", "local", "--provider", "openai_compatible", "--model-id", "m1",
                "--base-url", "http://127.0.0.1:9/v1", "--max-tokens", "100", "--description", "first",
                "--json")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["max_tokens"] == 100
    before = _profile(select_rows(database_url, model_profiles))

    with chat_server(lambda _: Reply(text="word")) as server:
        # The profile points nowhere: the run fails. Pointing it at the server (and nothing else) mends it.
        assert cli(home, database_url, "run", str(write_pipeline(tmp_path, AGENT)), "-q").returncode == 1
        changed = cli(home, database_url, "models", "update", "local", "--base-url", server.base_url,
                      "--input-price", "3", "--clear", "description")  # fmt: skip
        assert changed.returncode == 0, changed.stderr
        assert f'base_url: "http://127.0.0.1:9/v1" → "{server.base_url}"' in changed.stdout
        assert 'description: "first" → null' in changed.stdout and "input_price: 0.0 → 3.0" in changed.stdout
        ran = cli(home, database_url, "run", str(write_pipeline(tmp_path, AGENT)), "-q", "--json")
        assert ran.returncode == 0, ran.stderr + ran.stdout
        assert server.count == 1
    after = _profile(select_rows(database_url, model_profiles))
    assert after == {**before, "base_url": server.base_url, "input_price": 3.0, "description": None}

    shown = json.loads(cli(home, database_url, "models", "show", "local", "--json").stdout)
    assert (shown["model_id"], shown["max_tokens"], shown["input_price"]) == ("m1", 100, 3.0)
    assert shown["updated_at"].endswith("Z") and "T" in shown["updated_at"]  # ISO 8601, as the API writes it
    listed = json.loads(cli(home, database_url, "models", "list", "--json").stdout)
    assert [m["name"] for m in listed] == ["local"]


def test_models_update_refusals_change_nothing(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "home"
    assert cli(home, database_url, "models", "add", "local", "--provider", "openai", "--model-id", "m1").returncode == 0
    before = _profile(select_rows(database_url, model_profiles))
    refusals = {
        ("--clear", "model-id"): "--clear: model_id cannot be cleared",
        ("--clear", "input-price", "--clear", "provider"): "input_price, provider cannot be cleared",
        ("--model-id", ""): "--model-id: String should have at least 1 character",
        ("--clear", "colour"): "--clear: 'colour' is not a field",
        ("--base-url", "http://h/v1", "--clear", "base-url"): "the field is also given a value",
        (): "nothing to change",
    }
    for args, message in refusals.items():
        result = cli(home, database_url, "models", "update", "local", *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert message in result.stderr, (args, result.stderr)
    ghost = cli(home, database_url, "models", "update", "ghost", "--max-tokens", "5")
    assert ghost.returncode == 1 and "model profile 'ghost' not found" in ghost.stderr
    assert _profile(select_rows(database_url, model_profiles)) == before


def test_agents_update_and_show(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "home"
    made = cli(home, database_url, "agents", "add", "critic", "--instructions", "Be harsh.", "--tool", "read_artifact")
    assert made.returncode == 0, made.stderr
    notes = tmp_path / "critic.md"
    notes.write_text("Be fair.\nName one strength first.\n")
    changed = cli(home, database_url, "agents", "update", "critic", "--instructions-file", str(notes),
                  "--tool", "http_get", "--tool", "read_artifact", "--temperature", "0.2", "--json")  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    read = json.loads(changed.stdout)
    assert read["instructions"] == notes.read_text()
    assert (read["tools"], read["temperature"]) == (["http_get", "read_artifact"], 0.2)
    cleared = cli(home, database_url, "agents", "update", "critic", "--clear", "tools")
    assert cleared.returncode == 0 and 'tools: ["http_get", "read_artifact"] → null' in cleared.stdout
    row = _profile(select_rows(database_url, agent_profiles))
    assert (row["tools"], row["temperature"], row["instructions"]) == (None, 0.2, notes.read_text())
    shown = cli(home, database_url, "agents", "show", "critic")
    assert "Name one strength first." in shown.stdout and "temperature  0.2" in shown.stdout
    both = cli(home, database_url, "agents", "update", "critic", "--instructions", "x", "--instructions-file",
               str(notes))  # fmt: skip
    assert both.returncode == 2 and "not both" in both.stderr
    assert json.loads(cli(home, database_url, "agents", "list", "--json").stdout)[0]["name"] == "critic"
