"""Credentials: stored only encrypted, never returned, rotated with MultiFernet, granted to nodes by name."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from tests.integration.helpers import fast_settings, running, select_rows
from tests.local_http import QuietHandler, serving
from typer.testing import CliRunner, Result

from lockgate.cli.main import app
from lockgate.engine import RunStatus
from lockgate.security.api_keys import Role
from lockgate.security.credentials import CredentialCipher, CredentialKeyError
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store import credential_grants as grant_store
from lockgate.store import credentials as credential_store
from lockgate.store.tables import attempts, credentials, events, steps

if TYPE_CHECKING:
    from pathlib import Path

    from tests.integration.api.conftest import Server

SECRET = "tok-7f3a9c-DO-NOT-LEAK"
OTHER = "second-value-DO-NOT-LEAK"


def _everything_under(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def _dump(database_url: str, *tables: sa.Table) -> str:
    return repr([select_rows(database_url, t) for t in tables])


def test_crud_never_returns_or_stores_the_value(server: Server) -> None:
    url = server.settings.db_url
    with server.client(Role.ADMIN) as admin:
        created = admin.post("/api/v1/credentials", json={"name": "token", "value": SECRET, "description": "gh"})
        assert created.status_code == 201, created.text
        assert set(created.json()) == {"name", "description", "created_at", "updated_at", "pipelines", "allowed_hosts"}
        assert admin.post("/api/v1/credentials", json={"name": "token", "value": "x"}).status_code == 409
        bad = admin.post("/api/v1/credentials", json={"name": "Bad Name", "value": SECRET})
        assert bad.status_code == 422
        assert SECRET not in bad.text

        row = select_rows(url, credentials, credentials.c.name == "token")[0]
        assert SECRET not in repr(row)
        assert row["ciphertext"].startswith("gAAAA")  # a Fernet token

        one = admin.get("/api/v1/credentials/token")
        assert one.json()["description"] == "gh"
        updated = admin.put("/api/v1/credentials/token", json={"value": OTHER})
        assert updated.status_code == 200, updated.text
        assert updated.json()["description"] == "gh"  # unchanged when absent
        assert select_rows(url, credentials)[0]["ciphertext"] != row["ciphertext"]
        assert admin.put("/api/v1/credentials/nope", json={"value": "x"}).status_code == 404

        listed = admin.get("/api/v1/credentials")
        assert [c["name"] for c in listed.json()] == ["token"]
        responses = [created, one, updated, listed]
        assert all(SECRET not in r.text and OTHER not in r.text for r in responses)

        rotated = admin.post("/api/v1/credentials/rotate-key")
        assert rotated.json() == {"rotated": 1}
        assert admin.delete("/api/v1/credentials/token").status_code == 204
        assert admin.get("/api/v1/credentials/token").status_code == 404
        assert admin.delete("/api/v1/credentials/token").status_code == 404
    assert SECRET.encode() not in _everything_under(server.settings.home)


def test_editors_list_names_admins_write(server: Server) -> None:
    with server.client(Role.ADMIN) as admin:
        admin.post("/api/v1/credentials", json={"name": "token", "value": SECRET}).raise_for_status()
    with server.client(Role.EDITOR) as editor:
        assert editor.get("/api/v1/credentials").status_code == 200
        assert editor.get("/api/v1/credentials/token").status_code == 200
        assert editor.post("/api/v1/credentials", json={"name": "x", "value": "y"}).status_code == 403
        assert editor.put("/api/v1/credentials/token", json={"value": "y"}).status_code == 403
        assert editor.delete("/api/v1/credentials/token").status_code == 403
        assert editor.post("/api/v1/credentials/rotate-key").status_code == 403
    with server.client(Role.OPERATOR) as operator:
        assert operator.get("/api/v1/credentials").status_code == 403


def test_the_generated_key_file_is_owner_only(server: Server) -> None:
    key_file = server.settings.home / "secret.key"
    assert key_file.stat().st_mode & 0o777 == 0o600


class _Echo(QuietHandler):
    """Says whether the credential arrived in the header and the query; never echoes it."""

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        body = json.dumps({"header": self.headers.get("Authorization") == f"Bearer {SECRET}",
                           "query": query.get("key") == [SECRET]}).encode()  # fmt: skip
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _spec(echo: str) -> PipelineSpec:
    sha = hashlib.sha256(SECRET.encode()).hexdigest()
    check = (
        "import hashlib, os\n"
        "value = os.environ.get('LOCKGATE_CREDENTIAL_TOKEN')\n"
        f"print('value seen:', value is not None)\n"
        f"output = value is not None and hashlib.sha256(value.encode()).hexdigest() == {sha!r}\n"
    )
    nodes: list[dict[str, Any]] = [
        {"id": "granted", "kind": "script", "credentials": ["token"], "config": {"code": check}},
        {"id": "not_granted", "kind": "script", "config": {"code": check}},
        {"id": "undefined", "kind": "script", "credentials": ["nope"], "on_error": "continue",
         "config": {"code": "output = 1"}},
        {"id": "call", "kind": "http", "credentials": ["token"],
         "config": {"url": echo + "/check?key=${credential:token}",
                    "headers": {"Authorization": "Bearer ${credential:token}"}}},
        {"id": "call_not_granted", "kind": "http", "on_error": "continue",
         "config": {"url": echo + "/check", "headers": {"Authorization": "Bearer ${credential:token}"}}},
    ]  # fmt: skip
    return PipelineSpec.model_validate({"name": "secrets", "nodes": nodes, "edges": []})


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_only_nodes_that_list_a_credential_see_it_and_it_leaks_nowhere(
    tmp_path: Path, database_url: str, anyio_backend: str
) -> None:
    home = tmp_path / "home"
    settings = fast_settings(home, database_url)
    async with running(settings) as runtime:

        def store_it() -> None:
            with runtime.db.write() as conn:
                credential_store.create_credential(conn, runtime.cipher, "token", SECRET, None, runtime.clock.now())
                grant_store.set_grants(conn, "token", ["secrets"], "test", runtime.clock.now())
                grant_store.set_hosts(conn, "token", ["127.0.0.1"])

        await runtime.db_call(store_it)
        with serving(_Echo) as echo:
            head = await runtime.create_run(_spec(echo), {})
            state = await asyncio.wait_for(runtime.wait(head.id), 60)
    assert state.status is RunStatus.SUCCEEDED  # the undefined credential failed its step only (on_error: continue)
    assert state.steps["granted"].output is True
    assert state.steps["not_granted"].output is False
    error = state.steps["undefined"].error
    assert error is not None
    assert (error.kind, error.message) == ("missing_credential", "credential 'nope' is not defined")
    call = state.steps["call"].output
    assert isinstance(call, dict)
    assert call["body"] == {"header": True, "query": True}
    not_granted = state.steps["call_not_granted"].error
    assert not_granted is not None
    assert not_granted.kind == "missing_credential"

    recorded = _dump(database_url, events, steps, attempts, credentials)
    assert SECRET not in recorded
    assert SECRET.encode() not in _everything_under(home)  # logs, workspaces, artifacts, SQLite file
    assert b"value seen: True" in _everything_under(home)  # the logs were there to be searched


def test_cli_set_list_delete_and_rotate_with_env_keys(tmp_path: Path, database_url: str) -> None:
    runner = CliRunner()  # in-process: the subprocess start-up of the real command is covered by test_cli
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    base = ["--home", str(tmp_path / "home"), "--database-url", database_url, "credentials"]

    def run(*args: str, keys: str = old, stdin: str | None = None) -> Result:
        return runner.invoke(app, [*base, *args], input=stdin, env={"LOCKGATE_SECRET_KEY": keys, "GH_TOKEN": SECRET})

    done = run("set", "token", "--value-from-env", "GH_TOKEN")
    assert done.exit_code == 0, done.output
    assert SECRET not in done.output
    piped = run("set", "other", "--description", "from stdin", stdin=OTHER + "\n")
    assert piped.exit_code == 0, piped.output
    assert run("set", "Bad Name", stdin="x").exit_code != 0
    listed = run("list")
    assert "token" in listed.output
    assert "from stdin" in listed.output
    assert SECRET not in listed.output
    assert OTHER not in listed.output

    rotate = run("rotate-key", keys=f"{new},{old}")
    assert rotate.exit_code == 0, rotate.output
    assert "re-encrypted 2" in rotate.output
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        values = credential_store.reveal_credentials(conn, CredentialCipher([new]), ["token", "other", "absent"])
        assert values == {"token": SECRET, "other": OTHER}
        with pytest.raises(CredentialKeyError):
            credential_store.reveal_credentials(conn, CredentialCipher([old]), ["token"])
    engine.dispose()
    assert SECRET not in _dump(database_url, credentials)

    assert run("delete", "token", keys=new).exit_code == 0
    assert run("delete", "token", keys=new).exit_code != 0


def test_cli_grant_revoke_hosts_and_uses(tmp_path: Path, database_url: str) -> None:
    runner = CliRunner()
    base = ["--home", str(tmp_path / "home"), "--database-url", database_url, "credentials"]

    def run(*args: str, stdin: str | None = None) -> Result:
        return runner.invoke(
            app, [*base, *args], input=stdin, env={"LOCKGATE_SECRET_KEY": Fernet.generate_key().decode()}
        )

    assert run("set", "token", stdin=SECRET).exit_code == 0
    short = run("set", "pin", stdin="1234")
    assert short.exit_code != 0 and "at least 8 characters" in short.output
    granted = run("grant", "token", "alpha", "beta")
    assert granted.exit_code == 0, granted.output
    assert "granted to: alpha beta" in granted.output
    assert "granted to: beta" in run("revoke", "token", "alpha").output
    assert run("grant", "token", "Not A Name").exit_code != 0
    assert run("grant", "nope", "alpha").exit_code != 0
    hosts = run("hosts", "token", "API.example.com", "*.example.org")
    assert hosts.exit_code == 0, hosts.output
    assert "api.example.com" in hosts.output
    assert run("hosts", "token", "http://bad/").exit_code != 0
    listed = run("list", "--json")
    [row] = json.loads(listed.output)
    assert (row["pipelines"], row["allowed_hosts"]) == (["beta"], ["*.example.org", "api.example.com"])
    uses = run("uses", "--json")
    assert uses.exit_code == 0 and json.loads(uses.output) == []  # no run used it yet
    assert SECRET not in listed.output + granted.output + uses.output

    spec = tmp_path / "gamma.json"
    spec.write_text(json.dumps({"name": "gamma", "nodes": [{"id": "use", "kind": "noop", "credentials": ["token"]}]}))
    home = ["--home", str(tmp_path / "home"), "--database-url", database_url]
    refused = runner.invoke(app, [*home, "validate", str(spec), "--json"])
    assert refused.exit_code == 2, refused.output
    [problem] = json.loads(refused.output)["errors"]
    assert (problem["node_id"], problem["field"]) == ("use", "credentials[0]")
    assert run("grant", "token", "gamma").exit_code == 0
    assert runner.invoke(app, [*home, "validate", str(spec)]).exit_code == 0
