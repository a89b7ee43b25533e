"""A draft run queued by flow control keeps its pins through a crash.

SIGKILL the server between the run's queueing and its start, start another, and the run takes the pinned
output when it is let in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.api.people import open_task
from tests.integration.helpers import poll

if TYPE_CHECKING:
    from tests.integration.served import Served

API = "/api/v1"
PINNED: dict[str, Any] = {
    "name": "pinned",
    "concurrency": {"max_runs": 1},  # the second draft run waits for the first
    "nodes": [
        {"id": "fetch", "kind": "transform", "config": {"value": "live"}},
        {"id": "shape", "kind": "transform", "config": {"value": "shaped {{ nodes.fetch.output }}"}},
        {"id": "hold", "kind": "human", "config": {}},  # keeps a run open until answered
    ],
    "edges": [{"source": "fetch", "target": "shape"}, {"source": "shape", "target": "hold"}],
}


def _outputs(run: dict[str, Any]) -> dict[str, Any]:
    return {s["key"]: s["output"] for s in run["steps"] if s["status"] == "succeeded"}


@pytest.mark.timeout(240)  # two servers start, one after the other
def test_a_queued_draft_run_keeps_its_pins_when_the_server_dies_before_it_starts(served: Served) -> None:
    served.start()
    with served.client("editor") as editor:
        saved = editor.put(f"{API}/pipelines/pinned/draft", json={"definition": PINNED, "pins": {"fetch": "pinned"}})
        assert saved.status_code == 200 and saved.json()["problems"] == [], saved.text
        first = editor.post(f"{API}/pipelines/pinned/draft/runs", json={}).json()
        open_task(editor, first["id"], "hold")
        # the pins change after the second run was asked for: it keeps the ones it was started with
        second = editor.post(f"{API}/pipelines/pinned/draft/runs", json={}).json()
        assert second["status"] == "queued", second
        editor.put(f"{API}/pipelines/pinned/draft", json={"definition": PINNED, "pins": {"fetch": "changed"}})
    served.kill()  # SIGKILL: the queued run's start exists only in the database now

    served.start()
    with served.client("editor") as editor:
        task = open_task(editor, first["id"], "hold")
        assert editor.post(f"{API}/tasks/{task['id']}/submit", json={"values": {}}).status_code == 200

        def shaped() -> dict[str, Any] | None:
            outputs = _outputs(editor.get(f"{API}/runs/{second['id']}").json())
            return outputs if "shape" in outputs else None

        outputs = poll(shaped, timeout=60, what="the queued draft run to start after the restart")
    assert outputs == {"fetch": "pinned", "shape": "shaped pinned"}  # the pin it was started with, not "live"
