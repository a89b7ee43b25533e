"""A webhook caller who replays: a copied signed request starts one run, ever; a stale or forged one none.

The attacker saw one signed request go by (a log, a proxy, a misdirected retry) and sends it again, as is,
with an old timestamp, or with the signature of a guessed secret; after a server restart too.
"""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
from tests.integration.helpers import poll
from tests.security.hostile import API

from lockgate.runtime.clock import SystemClock
from lockgate.triggers.webhook import sign, sign_delivery

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.security.hostile import Hostile

PIPELINE = {"name": "paid", "nodes": [{"id": "ship", "kind": "transform", "config": {"value": "{{ input.body }}"}}]}
BODY = b'{"order": "ord-7731", "amount": 120}'


def _hook(hostile: Hostile) -> tuple[str, str]:
    """A signed webhook on the pipeline: its path (with the token) and its secret."""
    saved = hostile.save(PIPELINE)
    assert saved.status_code in {200, 201}, saved.text
    with hostile.client("editor") as editor:
        created: dict[str, Any] = editor.post(f"{API}/pipelines/paid/webhooks", json={"secret": True}).json()
    return httpx.URL(created["url"]).path, created["secret"]


def _signed(secret: str, ago: float = 0, body: bytes = BODY) -> dict[str, str]:
    at = SystemClock().now() - timedelta(seconds=ago)
    return {"Lockgate-Signature": sign_delivery(secret, body, at), "Content-Type": "application/json"}


def _send(hostile: Hostile, path: str, headers: dict[str, str], body: bytes = BODY) -> httpx.Response:
    with httpx.Client(base_url=hostile.url, timeout=60) as anonymous:
        return anonymous.post(path, content=body, headers=headers)


def _runs(hostile: Hostile) -> list[dict[str, Any]]:
    """The pipeline's runs, as a viewer lists them."""
    with hostile.client("viewer") as viewer:
        items: list[dict[str, Any]] = viewer.get(f"{API}/runs", params={"pipeline": "paid"}).json()["items"]
    return items


def test_the_same_signed_request_sent_three_times_starts_one_run(hostile: Hostile) -> None:
    path, secret = _hook(hostile)
    headers = _signed(secret)
    first, *replays = [_send(hostile, path, headers) for _ in range(3)]
    assert first.status_code == 202, first.text
    run_id = first.json()["run_id"]
    for replay in replays:
        assert replay.status_code == 409, replay.text
        assert replay.json()["code"] == "duplicate_delivery" and replay.json()["run_id"] == run_id
    assert [r["id"] for r in _runs(hostile)] == [run_id]
    assert hostile.finish(run_id)["output"] == {"ship": {"order": "ord-7731", "amount": 120}}
    hostile.assert_intact()


def test_an_old_timestamp_a_forged_signature_and_the_old_header_start_nothing(hostile: Hostile) -> None:
    path, secret = _hook(hostile)
    stale = _send(hostile, path, _signed(secret, ago=6 * 60))  # the default window is 5 minutes
    future = _send(hostile, path, _signed(secret, ago=-6 * 60))
    forged = _send(hostile, path, _signed("a-guessed-secret"))
    body_only = _send(hostile, path, {"X-Lockgate-Signature": sign(secret, BODY)})
    tampered = _send(hostile, path, _signed(secret), body=BODY.replace(b"120", b"1200"))
    for refused in (stale, future, forged, body_only, tampered):
        assert refused.status_code == 401, refused.text
    assert "before the server's clock" in stale.json()["detail"]
    assert "after the server's clock" in future.json()["detail"]
    assert "does not match" in forged.json()["detail"] and "does not match" in tampered.json()["detail"]
    assert "no longer accepted" in body_only.json()["detail"]
    assert _runs(hostile) == []
    fresh = _send(hostile, path, _signed(secret))  # a fresh delivery still works
    assert fresh.status_code == 202, fresh.text
    assert [r["id"] for r in _runs(hostile)] == [fresh.json()["run_id"]]
    seen = hostile.viewer_reads(fresh.json()["run_id"])
    assert "ord-7731" in seen and secret not in seen
    hostile.assert_intact()


def test_a_delivery_is_still_refused_after_a_restart(hostile: Hostile) -> None:
    path, secret = _hook(hostile)
    headers = _signed(secret)
    first = _send(hostile, path, headers)
    assert first.status_code == 202, first.text
    hostile.finish(first.json()["run_id"])
    hostile.stop()
    hostile.start()  # the same home: what it remembers is in the database, not in the process
    replay = _send(hostile, path, headers)
    assert replay.status_code == 409, replay.text
    assert replay.json()["run_id"] == first.json()["run_id"]
    assert len(_runs(hostile)) == 1
    hostile.assert_intact()


def _remembered(hostile: Hostile) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{hostile.home / 'lockgate.db'}?mode=ro", uri=True)) as conn:
        count: int = conn.execute("SELECT count(*) FROM webhook_deliveries").fetchone()[0]
    return count


def test_deliveries_are_forgotten_once_their_window_closed(hostile_factory: Callable[..., Hostile]) -> None:
    hostile = hostile_factory(env={"LOCKGATE_WEBHOOK_TOLERANCE": "2"})
    path, secret = _hook(hostile)
    headers = _signed(secret)
    assert _send(hostile, path, headers).status_code == 202
    assert _remembered(hostile) == 1
    poll(lambda: _remembered(hostile) == 0, timeout=30, what="maintenance to forget the delivery")
    late = _send(hostile, path, headers)  # forgotten, and refused all the same: its time is past
    assert late.status_code == 401, late.text
    assert "within 2 s" in late.json()["detail"]
    assert len(_runs(hostile)) == 1
    hostile.assert_intact()
