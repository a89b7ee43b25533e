"""``--json`` on the commands that print data: the API's shapes, and never a secret that the table hides."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.integration.helpers import cli, cli_env, write_pipeline
from tests.integration.test_cli import INVALID_REFERENCES, PIPELINE

if TYPE_CHECKING:
    from pathlib import Path


def test_keys_and_credentials_as_json(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "home"
    made = cli(home, database_url, "keys", "create", "--user", "ada", "--role", "editor", "--expires-in-days", "3",
               "--json")  # fmt: skip
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)
    assert (key["user"], key["role"], key["name"], key["revoked_at"]) == ("ada", "editor", "cli", None)
    assert key["key"].startswith(key["prefix"]) and key["expires_at"] is not None
    listed = cli(home, database_url, "keys", "list", "--json")
    [row] = json.loads(listed.stdout)
    assert row["id"] == key["id"] and "key" not in row and key["key"] not in listed.stdout

    stored = cli(home, database_url, "credentials", "set", "token", "--description", "for the API",
                 "--value-from-env", "SECRET_VALUE", env=cli_env(SECRET_VALUE="s3cret-value"))  # fmt: skip
    assert stored.returncode == 0, stored.stderr
    credentials = cli(home, database_url, "credentials", "list", "--json")
    assert [(c["name"], c["description"]) for c in json.loads(credentials.stdout)] == [("token", "for the API")]
    assert "s3cret-value" not in credentials.stdout


def test_validate_as_json(tmp_path: Path) -> None:
    good = cli(tmp_path / "home", None, "validate", str(write_pipeline(tmp_path, PIPELINE)), "--json")
    assert good.returncode == 0, good.stderr
    assert {k: v for k, v in json.loads(good.stdout).items() if k != "hash"} == {
        "valid": True, "name": "squares", "nodes": 3, "edges": 2, "levels": 3}  # fmt: skip
    bad = cli(
        tmp_path / "home", None, "validate", str(write_pipeline(tmp_path, INVALID_REFERENCES, "b.yaml")), "--json"
    )
    assert bad.returncode == 2
    report = json.loads(bad.stdout)
    assert report["valid"] is False
    where = {(e["node_id"], e["field"]) for e in report["errors"]}
    assert ("second", "inputs.x") in where and ("third", "config.value") in where
    assert all(e["message"] for e in report["errors"])


def test_task_answers_as_json_refuse_like_tables(tmp_path: Path) -> None:
    # No server listens there: the answer is a clear error and a non-zero exit, JSON asked for or not.
    env = cli_env(LOCKGATE_URL="http://127.0.0.1:9", LOCKGATE_API_KEY="lg_nothing")
    for args in (("approve", "t1", "--json"), ("tasks", "list", "--json")):
        result = cli(tmp_path / "home", None, *args, env=env)
        assert result.returncode == 1 and "cannot reach the server at http://127.0.0.1:9" in result.stderr
        assert result.stdout == ""
