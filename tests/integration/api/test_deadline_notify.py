"""A deadline's notification over HTTP: signed, retried with backoff against a failing receiver, each try recorded."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.api.people import API, events, open_task, wait_run, wait_status
from tests.local_http import QuietHandler, serving

from lockgate.triggers.webhook import signature_ok

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx

SECRET = "s3cret-for-hooks"


@dataclass
class Receiver:
    url: str
    fail_first: int  # answers 503, then drops the connection, … for the first N deliveries
    delay: float = 0.0  # seconds before each answer
    hits: list[tuple[float, dict[str, Any], bool]] = field(default_factory=list)  # (when, body, signature ok)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="", fail_first=2)

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            state.hits.append((time.monotonic(), json.loads(raw),
                               signature_ok(SECRET, raw, self.headers.get("X-Lockgate-Signature"))))  # fmt: skip
            n = len(state.hits)
            time.sleep(state.delay)
            if n <= state.fail_first and n % 2 == 0:
                self.close_connection = True  # no answer at all: the sender sees a broken connection
                return
            self.send_response(503 if n <= state.fail_first else 204)
            self.end_headers()

    with serving(Handler) as url:
        state.url = f"{url}/hook"
        yield state


def _pipeline(name: str, url: str, attempts: int) -> dict[str, Any]:
    review = {"approve_complete": True, "deadline": "0.3s", "on_deadline": "notify", "notify_url": url,
              "notify_attempts": attempts, "notify_backoff": "0.3s", "notify_secret": "hook-key"}  # fmt: skip
    nodes = [{"id": "work", "kind": "transform", "config": {"value": "v1"}, "review": review},
             {"id": "after", "kind": "noop"}]  # fmt: skip
    return {"name": name, "nodes": nodes, "edges": [{"source": "work", "target": "after"}]}


def _tries(admin: httpx.Client, run: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = [e for e in events(admin, run) if e["type"] == "deadline_notification_attempted"]
        if len(found) >= count:
            return found
        assert wait_status(admin, run, {"running"})["status"] == "running"
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} deliveries recorded")


def test_a_failing_receiver_gets_signed_retries_until_one_is_delivered(admin: httpx.Client,
                                                                       receiver: Receiver) -> None:  # fmt: skip
    hook_key = {"name": "hook-key", "value": SECRET, "pipelines": ["late-hook"]}  # signing is a use: granted
    assert admin.post(f"{API}/credentials", json=hook_key).status_code == 201
    assert admin.post(f"{API}/pipelines", json=_pipeline("late-hook", receiver.url, 5)).status_code in {200, 201}
    run = admin.post(f"{API}/pipelines/late-hook/runs", json={}).json()["id"]
    task = open_task(admin, run, "work")
    tries = _tries(admin, run, 3)
    time.sleep(1.0)  # a delivered notification is not sent again
    tries = _tries(admin, run, 3)
    assert [(t["data"]["delivery"], t["data"]["delivered"], t["data"]["status_code"]) for t in tries] == [
        (1, False, 503), (2, False, None), (3, True, 204)]  # fmt: skip
    assert "RemoteProtocolError" in tries[1]["data"]["error"]
    assert len(receiver.hits) == 3
    bodies = [body for _, body, _ in receiver.hits]
    assert {(b["task"], b["event"], b["deliveries"]) for b in bodies} == {(task["id"], "human_task_deadline", 5)}
    assert [b["delivery"] for b in bodies] == [1, 2, 3]
    assert all(ok for _, _, ok in receiver.hits)  # signed with the credential, as webhooks are
    gaps = [b[0] - a[0] for a, b in zip(receiver.hits, receiver.hits[1:], strict=False)]
    assert gaps[0] >= 0.3 and gaps[1] >= 0.6  # the backoff doubles
    # the task stayed open all along, and answering it finishes the run
    assert admin.post(f"{API}/tasks/{task['id']}/approve", json={}).status_code == 200
    assert wait_run(admin, run)["status"] == "succeeded"


def test_retries_stop_at_the_bound_and_never_hold_up_the_run(admin: httpx.Client, receiver: Receiver) -> None:
    receiver.fail_first, receiver.delay = 100, 2.0  # slow, then failing: the run must not wait on it
    hook_key = {"name": "hook-key", "value": SECRET, "pipelines": ["dead-hook"]}
    assert admin.post(f"{API}/credentials", json=hook_key).status_code == 201
    assert admin.post(f"{API}/pipelines", json=_pipeline("dead-hook", receiver.url, 2)).status_code in {200, 201}
    run = admin.post(f"{API}/pipelines/dead-hook/runs", json={}).json()["id"]
    task = open_task(admin, run, "work")
    other = admin.post(f"{API}/pipelines", json={"name": "quick", "nodes": [{"id": "a", "kind": "noop"}]})
    assert other.status_code in {200, 201}
    while not receiver.hits:  # the first delivery is in flight (the receiver takes 2 s to answer)
        time.sleep(0.02)
    started = time.monotonic()
    quick = admin.post(f"{API}/pipelines/quick/runs", json={}).json()["id"]
    assert wait_run(admin, quick)["status"] == "succeeded"  # the engine goes on while a delivery hangs
    assert time.monotonic() - started < 1.5
    tries = _tries(admin, run, 2)
    time.sleep(1.0)
    assert [t["data"]["delivered"] for t in _tries(admin, run, 2)] == [False, False] and len(receiver.hits) == 2
    assert admin.get(f"{API}/tasks/{task['id']}").json()["status"] == "open"
    assert tries[-1]["data"]["delivery"] == 2
