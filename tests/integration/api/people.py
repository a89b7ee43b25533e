"""Helpers for tests in which people answer human tasks over HTTP."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from collections.abc import Collection

    import httpx

__all__ = ["API", "EDITORIAL", "events", "load_editorial", "open_task", "wait_run", "wait_status"]

API = "/api/v1"
EDITORIAL = Path(__file__).resolve().parents[3] / "examples" / "editorial.yaml"


def load_editorial(client: httpx.Client) -> None:
    response = client.post(f"{API}/pipelines", json=yaml.safe_load(EDITORIAL.read_text()))
    assert response.status_code in {200, 201}, response.text


def open_task(
    client: httpx.Client, run: str, step: str, *, not_in: Collection[str] = (), timeout: float = 60
) -> dict[str, Any]:
    """The open task of a step (any assignee), once it is there and is not one of ``not_in``."""
    deadline = time.monotonic() + timeout
    while True:
        page = client.get(f"{API}/tasks", params={"run": run, "step": step, "assigned": "any"}).json()
        fresh: list[dict[str, Any]] = [t for t in page["items"] if t["id"] not in not_in]
        if fresh:
            return fresh[0]
        status = client.get(f"{API}/runs/{run}").json()["status"]
        assert status in {"running", "paused"} and time.monotonic() < deadline, f"no task for {step}; run {status}"
        time.sleep(0.05)


def wait_status(client: httpx.Client, run: str, statuses: set[str], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = client.get(f"{API}/runs/{run}").json()
        if body["status"] in statuses:
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def wait_run(client: httpx.Client, run: str) -> dict[str, Any]:
    done = wait_status(client, run, {"succeeded", "failed", "cancelled"})
    assert done["status"] == "succeeded", done
    return done


def events(client: httpx.Client, run: str) -> list[dict[str, Any]]:
    page: dict[str, Any] = client.get(f"{API}/runs/{run}/events", params={"limit": 1000}).json()
    return list(page["items"])
