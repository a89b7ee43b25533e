"""Credentials against a hostile editor: granted, redacted, kept out of the database, sent only where allowed.

A credential is named only by pipelines an admin granted it to; whatever a step prints of it a viewer reads
as ``[redacted:NAME]``; the database file never holds it; http nodes send it only to the hosts it allows;
each use is in the audit.
"""

from __future__ import annotations

import base64
import html
import json
import threading
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, quote_plus

from tests.local_http import QuietHandler, serving
from tests.security.hostile import API

if TYPE_CHECKING:
    from tests.security.hostile import Hostile

# '/', '+', space, quote, backslash and a non-ASCII letter: every encoding below differs from the value.
SECRET = 'tok/+ 9f"Qz\\ä-LEAK-7c1e'
TOKEN = "api-key-4d9e0b71-LEAK"  # plain ASCII: it goes into an HTTP header


def _b64(value: bytes, *, urlsafe: bool = False) -> str:
    return (base64.urlsafe_b64encode(value) if urlsafe else base64.b64encode(value)).decode()


def forms(secret: str) -> dict[str, str]:
    """The value in the encodings a script reaches for first (computed here, not by the redactor)."""
    raw = secret.encode()
    return {
        "verbatim": secret,
        "json": json.dumps(secret)[1:-1],
        "json_utf8": json.dumps(secret, ensure_ascii=False)[1:-1],
        "percent": quote(secret, safe=""),
        "plus": quote_plus(secret),
        "html": html.escape(secret),
        "hex": raw.hex(),
        "base64": _b64(raw),
        "base64_bare": _b64(raw).rstrip("="),
        "urlsafe": _b64(raw, urlsafe=True).rstrip("="),
        # inside a longer base64 text, at offsets 1 and 2: the characters that depend on the value alone
        "base64_at_1": _b64(b"x" + raw)[2:20],
        "base64_at_2": _b64(b"xy" + raw)[3:20],
    }


def _admin_stores(
    hostile: Hostile, name: str, value: str, pipelines: list[str], hosts: list[str] | None = None
) -> None:
    body = {"name": name, "value": value, "pipelines": pipelines, "allowed_hosts": hosts or []}
    with hostile.client("admin") as admin:
        stored = admin.post(f"{API}/credentials", json=body)
    assert stored.status_code == 201, stored.text
    assert value not in stored.text


def _database_bytes(hostile: Hostile) -> bytes:
    return b"".join((hostile.home / n).read_bytes() for n in ("lockgate.db", "lockgate.db-wal")
                    if (hostile.home / n).exists())  # fmt: skip


def _home_bytes(hostile: Hostile) -> bytes:
    """Every file of the home (database, logs, artifacts, failed workspaces) but the Fernet key."""
    files = sorted(p for p in hostile.home.rglob("*") if p.is_file() and not p.is_symlink() and p.name != "secret.key")
    return b"".join(p.read_bytes() for p in files)


def _uses(hostile: Hostile, run_id: str) -> list[dict[str, Any]]:
    with hostile.client("admin") as admin:
        page = admin.get(f"{API}/credential-uses", params={"run_id": run_id})
    assert page.status_code == 200, page.text
    items: list[dict[str, Any]] = page.json()["items"]
    return items


def test_an_editor_cannot_name_a_credential_not_granted_to_the_pipeline(hostile: Hostile) -> None:
    _admin_stores(hostile, "deploy-key", SECRET, ["other"])
    definition = {"name": "grab", "nodes": [
        {"id": "fetch", "kind": "script", "credentials": ["deploy-key"], "config": {"code": "output = 1"}},
        {"id": "ping", "kind": "noop", "credentials": ["no-such-key"]},
    ]}  # fmt: skip
    refused = hostile.save(definition)
    assert refused.status_code == 422, refused.text
    errors = {(e["node_id"], e["field"]): e["message"] for e in refused.json()["errors"]}
    assert errors[("fetch", "credentials[0]")].startswith("credential 'deploy-key' is not granted to pipeline 'grab'")
    assert errors[("ping", "credentials[0]")] == "credential 'no-such-key' does not exist"
    with hostile.client("editor") as editor:
        validated = editor.post(f"{API}/pipelines/validate", json=definition)
        assert validated.status_code == 422
        assert ("fetch", "credentials[0]") in {(e["node_id"], e["field"]) for e in validated.json()["errors"]}
        # an editor can neither grant nor read the audit; a value too short to redact is refused
        assert editor.put(f"{API}/credentials/deploy-key/grants", json={"pipelines": ["grab"]}).status_code == 403
        assert editor.get(f"{API}/credential-uses").status_code == 403
        assert editor.get(f"{API}/pipelines/grab").status_code == 404  # nothing was saved
    with hostile.client("admin") as admin:
        short = admin.post(f"{API}/credentials", json={"name": "pin", "value": "1234"})
        assert short.status_code == 422 and "at least 8 characters" in short.text
    hostile.assert_intact()


_PRINTER = r"""
import base64, json, os, sys, time, urllib.parse
s = os.environ["LOCKGATE_CREDENTIAL_TOKEN"]
raw = s.encode()
print("stdout:", s)
print("stderr:", s, file=sys.stderr)
print("b64:", base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("="))
print("embedded:", base64.b64encode(b"x" + raw + b"tail").decode(), base64.b64encode(b"xy" + raw).decode())
print("url:", urllib.parse.quote(s, safe=""), urllib.parse.quote_plus(s))
print("json:", json.dumps({"v": s}), json.dumps(s, ensure_ascii=False))
print("hex:", raw.hex())
sys.stdout.flush()
for half in (s[:6], s[6:] + "\n"):  # one value over two writes: two reads of the pipe
    sys.stdout.write(half)
    sys.stdout.flush()
    time.sleep(0.2)
open("note.txt", "w").write("file " + s + " " + base64.b64encode(raw).decode())
open("data.json", "w").write(json.dumps({"key": s, "b64": base64.b64encode(raw).decode()}))
os.makedirs("deep", exist_ok=True)
open("deep/raw.bin", "wb").write(b"\x00\x01" + raw + b"\xff")
output = {"plain": s, "url": urllib.parse.quote(s), "b64": base64.b64encode(raw).decode(), s: "as a key"}
"""

_FAILER = r"""
import os
raise RuntimeError("boom with " + os.environ["LOCKGATE_CREDENTIAL_TOKEN"])
"""


def test_a_granted_credential_printed_every_way_is_redacted_from_all_a_viewer_reads(hostile: Hostile) -> None:
    _admin_stores(hostile, "token", SECRET, ["leaky"])
    definition = {"name": "leaky", "nodes": [
        {"id": "print", "kind": "script", "credentials": ["token"], "config": {"code": _PRINTER}},
        {"id": "fail", "kind": "script", "credentials": ["token"], "on_error": "continue",
         "config": {"code": _FAILER}},
    ]}  # fmt: skip
    run = hostile.save_and_run(definition)
    assert run["status"] == "succeeded", run
    steps = {s["key"]: s for s in run["steps"]}
    assert steps["print"]["status"] == "succeeded"
    assert steps["fail"]["status"] == "failed"
    assert "[redacted:token]" in steps["fail"]["error"]["message"]
    seen = hostile.viewer_reads(run["id"])
    leaked = {name: form for name, form in forms(SECRET).items() if form in seen}
    assert leaked == {}
    assert "[redacted:token]" in seen and "note.txt" in seen and "deep/raw.bin" in seen  # the reading reached them
    assert "stdout: [redacted:token]" in seen and "stderr: [redacted:token]" in seen
    # nowhere in the database (file and WAL), the logs, the artifacts, the failed workspace, the server's log
    stored = _database_bytes(hostile)
    assert SECRET.encode() not in stored
    assert all(form.encode() not in stored for form in forms(SECRET).values())
    assert SECRET.encode() not in _home_bytes(hostile)
    assert SECRET not in hostile.log()
    # the audit shows both uses, never the value
    uses = _uses(hostile, run["id"])
    assert sorted((u["credential"], u["purpose"], u["pipeline"], u["step"], u["attempt"]) for u in uses) == [
        ("token", "node", "leaky", "fail", 1), ("token", "node", "leaky", "print", 1)]  # fmt: skip
    hostile.assert_intact()


class _Receiver(QuietHandler):
    """Records each request's path and API key header; /bounce redirects to localhost (another host)."""

    seen: ClassVar[list[tuple[str, str | None]]] = []
    lock = threading.Lock()

    def do_GET(self) -> None:
        with self.lock:
            self.seen.append((self.path, self.headers.get("X-Api-Key")))
        if self.path.startswith("/bounce"):
            port = self.headers.get("Host", "").rsplit(":", 1)[-1]
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{port}/landed")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"got_key": self.headers.get("X-Api-Key") == TOKEN}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _call(node_id: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": "http", "credentials": ["api-key"], "on_error": "continue",
            "config": {"url": url, "headers": {"X-Api-Key": "${credential:api-key}"}, **extra}}  # fmt: skip


def test_an_http_node_sends_a_credential_only_to_the_hosts_it_allows(hostile: Hostile) -> None:
    _admin_stores(hostile, "api-key", TOKEN, ["caller"], ["127.0.0.1"])
    _Receiver.seen = []
    with serving(_Receiver) as local:
        port = local.rsplit(":", 1)[1]
        definition = {"name": "caller", "nodes": [
            _call("allowed", f"{local}/allowed"),
            _call("elsewhere", f"http://localhost:{port}/elsewhere"),
            _call("bounce", f"{local}/bounce", follow_redirects=True),
        ]}  # fmt: skip
        run = hostile.save_and_run(definition)
    steps = {s["key"]: s for s in run["steps"]}
    assert steps["allowed"]["status"] == "succeeded"
    assert steps["allowed"]["output"]["body"] == {"got_key": True}
    for key in ("elsewhere", "bounce"):
        error = steps[key]["error"]
        assert steps[key]["status"] == "failed" and error["kind"] == "credential_host_not_allowed", steps[key]
        assert "credential 'api-key' may not be sent to host 'localhost'" in error["message"]
        assert "127.0.0.1" in error["message"]  # it names where it may go
    # the allowed host got the key; the other host got nothing, not even by the redirect
    assert ("/allowed", TOKEN) in _Receiver.seen and ("/bounce", TOKEN) in _Receiver.seen
    assert not [path for path, _ in _Receiver.seen if path in {"/elsewhere", "/landed"}]
    seen = hostile.viewer_reads(run["id"])
    assert TOKEN not in seen and all(form not in seen for form in forms(TOKEN).values())
    assert len(_uses(hostile, run["id"])) == 3  # handed to three attempts (two then refused to send it)
    hostile.assert_intact()


def test_a_revoked_grant_fails_the_next_run_clearly(hostile: Hostile) -> None:
    _admin_stores(hostile, "token", SECRET, ["nightly"])
    code = "import os\noutput = len(os.environ['LOCKGATE_CREDENTIAL_TOKEN'])"
    definition = {"name": "nightly", "nodes": [
        {"id": "use", "kind": "script", "credentials": ["token"], "config": {"code": code}},
    ]}  # fmt: skip
    first = hostile.save_and_run(definition)
    assert first["status"] == "succeeded", first
    assert first["steps"][0]["output"] == len(SECRET)

    with hostile.client("admin") as admin:
        revoked = admin.put(f"{API}/credentials/token/grants", json={"pipelines": []})
    assert revoked.status_code == 200 and revoked.json()["pipelines"] == [], revoked.text
    second = hostile.finish(hostile.run("nightly"))
    assert second["status"] == "failed"
    error = second["steps"][0]["error"]
    assert error["kind"] == "credential_not_granted" and not error["retryable"]
    assert error["message"].startswith("credential 'token' is not granted to pipeline 'nightly'")
    assert _uses(hostile, second["id"]) == []  # refused before any value was read
    assert [u["run_id"] for u in _uses(hostile, first["id"])] == [first["id"]]
    assert SECRET not in hostile.viewer_reads(second["id"])
    hostile.assert_intact()


def test_a_script_with_network_access_gets_only_a_credential_allowed_anywhere(hostile: Hostile) -> None:
    _admin_stores(hostile, "token", SECRET, ["online"], ["api.example.com"])
    definition = {"name": "online", "nodes": [
        {"id": "net", "kind": "script", "credentials": ["token"], "config": {"code": "output = 1", "network": True}},
    ]}  # fmt: skip
    run = hostile.save_and_run(definition)
    assert run["status"] == "failed"
    error = run["steps"][0]["error"]
    assert error["kind"] == "credential_host_not_allowed"
    assert "it may go only to api.example.com" in error["message"]
    hostile.assert_intact()
