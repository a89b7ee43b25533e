"""Webhooks: created by editors, received in public by token (and a timed HMAC signature when they have a secret)."""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import uvicorn
from tests.integration.api.conftest import _free_port

from lockgate.api.app import create_app
from lockgate.runtime.clock import SystemClock
from lockgate.security.api_keys import Role
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.database import Database
from lockgate.store.pipelines import save_version
from lockgate.triggers.webhook import sign, sign_delivery

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.integration.api.conftest import Server


def save_pipeline(server: Server, name: str, value: Any, **extra: Any) -> None:
    spec = PipelineSpec.model_validate(
        {"name": name, "nodes": [{"id": "echo", "kind": "transform", "config": {"value": value}}], **extra}
    )
    db = Database(server.settings.db_url)
    try:
        with db.write() as conn:
            save_version(conn, spec, SystemClock().now())
    finally:
        db.dispose()


def create_hook(server: Server, pipeline: str, *, secret: bool = False) -> dict[str, Any]:
    with server.client(Role.EDITOR) as editor:
        response = editor.post(f"/api/v1/pipelines/{pipeline}/webhooks", json={"secret": secret})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def hook_path(created: dict[str, Any]) -> str:
    path = httpx.URL(created["url"]).path
    assert path == f"/api/v1/hooks/{created['token']}"
    return path


def test_create_list_delete_and_roles(server: Server) -> None:
    save_pipeline(server, "greet", "{{ input }}")
    created = create_hook(server, "greet", secret=True)
    assert created["signed"] is True
    assert len(created["secret"]) == 64
    with server.client(Role.VIEWER) as viewer:
        listed = viewer.get("/api/v1/pipelines/greet/webhooks")
        assert listed.status_code == 200
        assert [h["id"] for h in listed.json()] == [created["id"]]
        assert "token" not in listed.json()[0]
        assert created["token"] not in listed.text
        assert created["secret"] not in listed.text
        assert viewer.post("/api/v1/pipelines/greet/webhooks", json={}).status_code == 403
        assert viewer.delete(f"/api/v1/webhooks/{created['id']}").status_code == 403
    with server.client(None) as anonymous:
        assert anonymous.get("/api/v1/pipelines/greet/webhooks").status_code == 401
    with server.client(Role.EDITOR) as editor:
        assert editor.post("/api/v1/pipelines/nope/webhooks", json={}).status_code == 404
        assert editor.delete(f"/api/v1/webhooks/{created['id']}").status_code == 204
        assert editor.delete(f"/api/v1/webhooks/{created['id']}").status_code == 404
    with server.client(None) as anonymous:  # a deleted hook is an unknown one
        assert anonymous.post(hook_path(created), json={}).status_code == 404


def test_unknown_token_is_404(server: Server) -> None:
    with server.client(None) as anonymous:
        response = anonymous.post("/api/v1/hooks/not-a-token", json={"a": 1})
    assert response.status_code == 404
    assert "not-a-token" not in response.text


def signed(secret: str, body: bytes, ago: float = 0, **extra: str) -> dict[str, str]:
    return {"Lockgate-Signature": sign_delivery(secret, body, SystemClock().now() - timedelta(seconds=ago)), **extra}


def test_hmac_signature_good_bad_missing(server: Server) -> None:
    save_pipeline(server, "signed", "{{ input.body.n }}")
    created = create_hook(server, "signed", secret=True)
    body = b'{"n": 7}'
    path = hook_path(created)
    with server.client(None) as anonymous:
        missing = anonymous.post(path, content=body)
        bad = anonymous.post(path, content=body, headers=signed("wrong", body))
        other_body = anonymous.post(path, content=b'{"n": 8}', headers=signed(created["secret"], body))
        old_scheme = anonymous.post(path, content=body, headers={"X-Lockgate-Signature": sign(created["secret"], body)})
        stale = anonymous.post(path, content=body, headers=signed(created["secret"], body, ago=301))
        good = anonymous.post(path, content=body, headers=signed(created["secret"], body))
    refused = [missing, bad, other_body, old_scheme, stale]
    assert [r.status_code for r in refused] == [401] * 5
    assert "send Lockgate-Signature: t=<unix seconds>,v1=" in missing.json()["detail"]
    assert "does not match" in bad.json()["detail"] and "does not match" in other_body.json()["detail"]
    assert "X-Lockgate-Signature (an HMAC of the body alone) is no longer accepted" in old_scheme.json()["detail"]
    assert "before the server's clock" in stale.json()["detail"] and "within 300 s" in stale.json()["detail"]
    assert good.status_code == 202, good.text
    accepted = good.json()
    assert accepted["number"] == 1
    assert accepted["status_url"] == f"/api/v1/runs/{accepted['run_id']}"


def test_a_signed_request_starts_one_run_however_often_it_is_sent(server: Server) -> None:
    save_pipeline(server, "once", "{{ input.body.n }}")
    created = create_hook(server, "once", secret=True)
    body = b'{"n": 1}'
    headers = signed(created["secret"], body)
    with server.client(None) as anonymous:
        first = anonymous.post(hook_path(created), content=body, headers=headers)
        again = [anonymous.post(hook_path(created), content=body, headers=headers) for _ in range(2)]
        # the same bytes signed a second later are another delivery (a sender that wants one run sends an id)
        later = anonymous.post(hook_path(created), content=body, headers=signed(created["secret"], body, ago=-1))
    assert first.status_code == 202, first.text
    run_id = first.json()["run_id"]
    for replay in again:
        assert replay.status_code == 409, replay.text
        assert replay.json() == {
            "code": "duplicate_delivery", "run_id": run_id, "status_url": f"/api/v1/runs/{run_id}",
            "detail": f"this signed request was received before: it started run {run_id}; a delivery starts one run",
        }  # fmt: skip
    assert later.status_code == 202, later.text
    with server.client(Role.VIEWER) as viewer:
        runs = viewer.get("/api/v1/runs", params={"pipeline": "once"}).json()["items"]
    assert sorted(r["number"] for r in runs) == [1, 2]


def test_a_delivery_id_makes_retries_start_one_run(server: Server) -> None:
    save_pipeline(server, "retried", 1)
    signed_hook, plain_hook = create_hook(server, "retried", secret=True), create_hook(server, "retried")
    secret, body = signed_hook["secret"], b"{}"
    with server.client(None) as anonymous:

        def send(hook: dict[str, Any], delivery: str, ago: float = 0) -> httpx.Response:
            headers = signed(secret, body, ago) if hook is signed_hook else {}
            return anonymous.post(hook_path(hook), content=body, headers={**headers, "Lockgate-Delivery": delivery})

        first = send(signed_hook, "evt_1", ago=5)
        resigned = send(signed_hook, "evt_1")  # the sender retried, signing anew
        other = send(signed_hook, "evt_2")
        plain = [send(plain_hook, "evt_1") for _ in range(2)]  # each webhook has its own deliveries
        too_long = send(plain_hook, "x" * 201)
    assert (first.status_code, resigned.status_code, other.status_code) == (202, 409, 202)
    assert resigned.json()["run_id"] == first.json()["run_id"]
    assert "Lockgate-Delivery 'evt_1' was received before" in resigned.json()["detail"]
    assert [p.status_code for p in plain] == [202, 409]
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "headers.lockgate-delivery"


def test_wait_mode_returns_the_output_and_unsigned_hooks_need_no_signature(server: Server) -> None:
    value = {"body": "{{ input.body }}", "event": "{{ input.headers['x-event'] }}", "q": "{{ input.query.k }}",
             "hidden": "{{ 'authorization' in input.headers }}"}  # fmt: skip
    save_pipeline(server, "echo", value)
    path = hook_path(create_hook(server, "echo"))
    with server.client(None) as anonymous:
        response = anonymous.post(f"{path}?wait=true&timeout=20&k=v", json={"hello": "world"},
                                  headers={"X-Event": "push", "Authorization": "Bearer secret"})  # fmt: skip
    assert response.status_code == 200, response.text
    finished = response.json()
    assert finished["status"] == "succeeded"
    assert finished["output"] == {"echo": {"body": {"hello": "world"}, "event": "push", "q": "v", "hidden": False}}


def test_declared_fields_take_body_keys_and_are_validated(server: Server) -> None:
    fields = {"topic": {"type": "string", "required": True}, "count": {"type": "integer", "default": 1}}
    save_pipeline(server, "typed", {"topic": "{{ input.topic }}", "count": "{{ input.count }}"}, input=fields)
    path = hook_path(create_hook(server, "typed"))
    with server.client(None) as anonymous:
        ok = anonymous.post(f"{path}?wait=true", json={"topic": "cats", "count": 3, "sender": "ignored"})
        defaulted = anonymous.post(f"{path}?wait=true", json={"topic": "dogs"})
        missing = anonymous.post(path, json={"count": 2})
        mistyped = anonymous.post(path, json={"topic": "x", "count": "two"})
        text = anonymous.post(path, content=b"plain text")
    assert ok.status_code == 200, ok.text
    assert ok.json()["output"] == {"echo": {"topic": "cats", "count": 3}}
    assert defaulted.json()["output"] == {"echo": {"topic": "dogs", "count": 1}}
    for refused, field in [(missing, "input.topic"), (mistyped, "input.count"), (text, "input.topic")]:
        assert refused.status_code == 422, refused.text
        assert field in {e["field"] for e in refused.json()["errors"]}


@pytest.mark.parametrize("timeout", ["0", "301"])
def test_wait_timeout_is_bounded(server: Server, timeout: str) -> None:
    save_pipeline(server, "bounded", 1)
    path = hook_path(create_hook(server, "bounded"))
    with server.client(None) as anonymous:
        assert anonymous.post(f"{path}?wait=true&timeout={timeout}", json={}).status_code == 422


def test_wait_that_times_out_answers_202(server: Server) -> None:
    # a script that sleeps longer than the wait
    db = Database(server.settings.db_url)
    try:
        with db.write() as conn:
            save_version(conn, PipelineSpec.model_validate({"name": "slow", "nodes": [
                {"id": "nap", "kind": "script", "config": {"code": "import time\ntime.sleep(3)\noutput = 1"}}]}),
                SystemClock().now())  # fmt: skip
    finally:
        db.dispose()
    path = hook_path(create_hook(server, "slow"))
    started = time.monotonic()
    with server.client(None) as anonymous:
        response = anonymous.post(f"{path}?wait=true&timeout=0.5", json={})
    assert response.status_code == 202, response.text
    assert time.monotonic() - started < 2.5
    assert response.json()["status"] == "running"


@contextlib.contextmanager
def second_server(server: Server) -> Iterator[str]:
    """Another server process's worth (its own runtime and engine) on the same database."""
    port = _free_port()
    config = uvicorn.Config(create_app(server.settings), host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, name="uvicorn-2", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the second server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(timeout=30)


def test_two_servers_on_one_database_take_a_delivery_once(server: Server) -> None:
    save_pipeline(server, "shared", 1)
    created = create_hook(server, "shared", secret=True)
    with second_server(server) as other:
        for n in range(3):  # the same request to both at once, three times over (three deliveries)
            body = f'{{"n": {n}}}'.encode()
            headers = signed(created["secret"], body)
            barrier = threading.Barrier(2)

            def send(base: str, body: bytes = body, headers: dict[str, str] = headers,
                     barrier: threading.Barrier = barrier) -> int:  # fmt: skip
                with httpx.Client(base_url=base, timeout=30) as anonymous:
                    barrier.wait()
                    return anonymous.post(hook_path(created), content=body, headers=headers).status_code

            with ThreadPoolExecutor(2) as pool:
                codes = sorted(pool.map(send, [server.base_url, other]))
            assert codes == [202, 409], n
    with server.client(Role.VIEWER) as viewer:
        assert len(viewer.get("/api/v1/runs", params={"pipeline": "shared"}).json()["items"]) == 3
