"""A script's own heartbeat channel, attacked from inside bubblewrap.

The sandbox gains one thing: the write end of a pipe (``lockgate_step.heartbeat``). A script that floods it, writes
lines past the bound, JSON no database keeps, forged events or its credential, gets at most one heartbeat
recorded a second, details of at most 1 KiB of storable JSON, the credential redacted, and nothing else: it cannot
read the pipe, and no other event comes of it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tests.security.hostile import API

if TYPE_CHECKING:
    from tests.security.hostile import Hostile

SECRET = "hb-secret-5e1a-LEAK"

FLOOD = """
import errno, json, os, stat, time, lockgate_step
secret = os.environ["LOCKGATE_CREDENTIAL_HB_TOKEN"]
fifos = [fd for fd in range(3, 1024) if _is_fifo(fd)]
assert len(fifos) == 1, fifos
beat = fifos[0]
try:
    os.read(beat, 1)
    readable = True
except OSError as exc:
    readable = exc.errno != errno.EBADF
flags = __import__("fcntl").fcntl(beat, __import__("fcntl").F_GETFL) & os.O_ACCMODE
junk = [b"x" * 100_000 + b"\\n", b'{"type": "step_succeeded", "output": "FORGED-77"}\\n', b"NaN\\n",
        b'"\\\\ud800"\\n', b"[" * 5000 + b"\\n", b"\\x00\\xff garbage\\n", secret.encode() + b"\\n"]
calls = recorded = 0
started = time.monotonic()
while time.monotonic() - started < 2.5:
    calls += 1
    recorded += bool(lockgate_step.heartbeat({"n": calls, "token": secret}))
    for line in junk:
        try:
            os.write(beat, line)
        except BlockingIOError:
            pass
output = {"readable": readable, "write_only": flags == os.O_WRONLY, "calls": calls,
          "elapsed": time.monotonic() - started}
"""
IS_FIFO = """
def _is_fifo(fd):
    try:
        return stat.S_ISFIFO(os.fstat(fd).st_mode)
    except OSError:
        return False
"""


def _events(hostile: Hostile, run_id: str) -> list[dict[str, Any]]:
    with hostile.client("viewer") as viewer:
        page = viewer.get(f"{API}/runs/{run_id}/events", params={"limit": 1000})
    assert page.status_code == 200, page.text
    items: list[dict[str, Any]] = page.json()["items"]
    return items


def test_a_flooded_heartbeat_pipe_records_one_small_redacted_heartbeat_a_second(hostile: Hostile) -> None:
    body = {"name": "hb-token", "value": SECRET, "pipelines": ["flood"], "allowed_hosts": []}
    with hostile.client("admin") as admin:
        assert admin.post(f"{API}/credentials", json=body).status_code == 201
    code = FLOOD.replace("import errno, json, os, stat, time, lockgate_step\n",
                         "import errno, json, os, stat, time, lockgate_step\n" + IS_FIFO)  # fmt: skip
    definition = {"name": "flood", "nodes": [{"id": "flood", "kind": "script", "credentials": ["hb-token"],
                                              "config": {"code": code}}]}  # fmt: skip
    run = hostile.save_and_run(definition)
    assert run["status"] == "succeeded", run
    events = _events(hostile, run["id"])
    [succeeded] = [e for e in events if e["type"] == "step_succeeded"]
    output = succeeded["data"]["output"]
    assert output["readable"] is False and output["write_only"] is True  # only the write end reached the sandbox
    assert output["calls"] > 100  # it tried hard
    beats = [e for e in events if e["type"] == "step_heartbeat"]
    assert 1 <= len(beats) <= output["elapsed"] + 2  # one a second at most (and the last, as the pipe drains)
    for beat in beats:
        details = beat["data"]["details"]
        assert len(json.dumps(details)) <= 1100
    assert {e["type"] for e in events} <= {"run_started", "step_started", "step_heartbeat", "step_succeeded"}
    seen = hostile.viewer_reads(run["id"])
    assert SECRET not in seen and "[redacted:hb-token]" in seen
    assert "FORGED-77" not in json.dumps(output)
    hostile.assert_intact()
