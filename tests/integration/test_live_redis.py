"""Live updates across processes: what a Celery worker commits and streams reaches a server's SSE clients.

One PostgreSQL database, a Celery broker on the session's Redis, live updates on a Redis of their own (so
that it can be restarted without touching the broker), one ``lockgate worker`` and one ``lockgate serve``,
shared by the tests of this module. The server reads the events table unprompted only every 30 s while
Redis carries wake-ups (``LOCKGATE_LIVE_POLL_INTERVAL``), so a worker's event reaching its stream well
before that came over pub/sub. Steps wait for files the test writes: the stream is connected first.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from tests.conftest import RedisServer, _create_database, _drop_database, _free_port, _start_redis, _stop_pid
from tests.integration.agents.conftest import add_model, agent_pipeline
from tests.integration.celery_fixtures import worker_rows
from tests.integration.helpers import cli_env, fast_settings, poll, select_rows, spawn_cli, stop_processes
from tests.openai_server import Reply, chat_server

from lockgate.runtime.clock import SystemClock
from lockgate.security.api_keys import Role
from lockgate.store import auth as auth_store
from lockgate.store.database import Database
from lockgate.store.migrate import upgrade
from lockgate.store.tables import attempts, events

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Callable, Iterator

    from tests.conftest import PostgresServer

pytestmark = [pytest.mark.integration]

POLL_INTERVAL = 30.0  # the server's unprompted reads while Redis carries wake-ups
SOON = 15.0  # seconds: well within POLL_INTERVAL, yet far beyond the fraction of a second pub/sub takes
HOLD = """
import time
from pathlib import Path
Path(work, f"started-{name}").touch()
while not Path(work, f"release-{name}").exists():
    time.sleep(0.02)
output = name
"""


@dataclass
class Cluster:
    db: str
    home: Path
    work: Path
    url: str
    key: str
    live: RedisServer
    live_dir: Path
    live_pid: int

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=30)

    def numsub(self) -> int:
        """How many processes (the server) are subscribed to the live channel of database 0."""
        import redis

        client = redis.Redis(host=self.live.host, port=self.live.port, socket_connect_timeout=1)
        try:
            [(_, count)] = client.pubsub_numsub("lockgate:live:0")
            return int(count)
        except redis.ConnectionError:
            return 0
        finally:
            client.close()

    def stop_live_redis(self) -> None:
        _stop_pid(self.live_pid)

    def start_live_redis(self) -> None:
        """Again, on the port it had (the processes' URL)."""
        _, self.live_pid = _start_redis(self.live_dir, self.live.port)


def _prepare(db: str) -> str:
    """The schema, and an editor's API key (in this process: a CLI call per key costs seconds on a busy machine)."""
    database = Database(db)
    try:
        upgrade(database)  # once, before the server and the worker start together
        with database.write() as conn:
            now = SystemClock().now()
            _, key = auth_store.create_key(conn, auth_store.create_user(conn, "editor", Role.EDITOR, now), "t", now)
            return key.plaintext
    finally:
        database.dispose()


def _ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> bool:
    assert proc.poll() is None, log.read_text()
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"{url}/ready", timeout=2).status_code == 200
    return False


@pytest.fixture(scope="module")
def cluster(
    postgres_server: PostgresServer, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    import redis

    tmp = tmp_path_factory.mktemp("live")
    name = _create_database(postgres_server)
    db = postgres_server.url(name)
    key = _prepare(db)
    broker = redis_server.url(5)
    client = redis.Redis.from_url(broker)
    client.flushdb()
    client.close()
    live_dir = tmp / "redis"
    live_dir.mkdir()
    live, live_pid = _start_redis(live_dir)
    env = cli_env(LOCKGATE_EXECUTOR="celery", LOCKGATE_BROKER_URL=broker, LOCKGATE_LIVE_URL=live.url(0),
                  LOCKGATE_LIVE_POLL_INTERVAL=f"PT{POLL_INTERVAL:.0f}S")  # fmt: skip
    home, work, port = tmp / "home", tmp / "work", _free_port()
    work.mkdir()
    url = f"http://127.0.0.1:{port}"
    cluster = Cluster(db, home, work, url, key, live, live_dir, live_pid)
    procs = [spawn_cli(home, db, "worker", "--concurrency", "2", log=tmp / "worker.log", env=env),
             spawn_cli(home, db, "serve", "--port", str(port), log=tmp / "serve.log", env=env)]  # fmt: skip
    try:
        poll(lambda: worker_rows(db) or None, timeout=60, what="the worker to register")
        poll(lambda: _ready(url, procs[1], tmp / "serve.log"), timeout=60, what="the server to be ready")
        yield cluster
    finally:
        stop_processes(procs)
        _stop_pid(cluster.live_pid)
        _drop_database(postgres_server, name)


@dataclass
class Stream:
    """One SSE client of a run's events: the frames with an id (stored events) and the agent deltas."""

    stored: list[dict[str, Any]] = field(default_factory=list)
    deltas: list[dict[str, Any]] = field(default_factory=list)

    def types(self) -> list[str]:
        return [e["type"] for e in self.stored]


def _frames(response: httpx.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    kind, data = "", ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            kind = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data = line.removeprefix("data: ")
        elif not line and data:
            yield kind, json.loads(data)
            kind, data = "", ""


def _watch(cluster: Cluster, run_id: str, until: Any, then: Any) -> Stream:
    """Read the run's stream to its end; once ``until(stream)`` holds, call ``then()`` (once)."""
    stream, done = Stream(), False
    with (
        cluster.client() as client,
        client.stream("GET", f"/api/v1/runs/{run_id}/events/stream", timeout=60) as response,
    ):
        assert response.status_code == 200, response.read()
        for kind, data in _frames(response):
            (stream.deltas if kind == "agent_delta" else stream.stored).append(data)
            if not done and until(stream):
                done = True
                then()
    return stream


def _subscribed(cluster: Cluster) -> None:
    poll(lambda: cluster.numsub() >= 1 or None, timeout=20, what="the server to subscribe to live updates")


def _start(cluster: Cluster, spec: dict[str, Any]) -> str:
    with cluster.client() as editor:
        saved = editor.post("/api/v1/pipelines", json=spec)
        assert saved.status_code in {200, 201}, saved.text
        started = editor.post(f"/api/v1/pipelines/{spec['name']}/runs", json={})
        assert started.status_code == 201, started.text
        run_id: str = started.json()["id"]
        return run_id


def _held(name: str, steps: list[str], work: Path) -> dict[str, Any]:
    nodes = [{"id": s, "kind": "script", "inputs": {"work": str(work), "name": f"{name}-{s}"},
              "config": {"code": HOLD}} for s in steps]  # fmt: skip
    edges = [{"source": a, "target": b} for a, b in itertools.pairwise(steps)]
    return {"name": name, "nodes": nodes, "edges": edges}


def _table(db: str, run_id: str) -> list[tuple[int, str]]:
    rows = select_rows(db, events, events.c.run_id == run_id)
    return sorted((r["id"], r["type"]) for r in rows)


def _release(cluster: Cluster, what: str) -> float:
    (cluster.work / f"release-{what}").touch()
    return time.monotonic()


@pytest.mark.timeout(150)
def test_tokens_an_agent_streams_on_a_worker_reach_the_servers_sse_client(cluster: Cluster) -> None:
    text = "Tokens cross from the worker to the server over Redis, in order, while the model is still talking."
    go = threading.Event()

    def answer(_: dict[str, Any]) -> Reply:
        go.wait(60)  # the model speaks once the stream is connected
        return Reply(text=text, chunk=3, pause=0.01)

    with chat_server(answer) as model:
        add_model(fast_settings(cluster.home, cluster.db), model.base_url, name="streamer")
        spec = agent_pipeline("tokens", {"prompt": "Talk", "model": "streamer"})
        run_id = _start(cluster, spec.model_dump(mode="json", exclude_none=True))

        def release() -> None:
            _subscribed(cluster)
            go.set()

        stream = _watch(cluster, run_id, lambda s: bool(s.stored), release)
    assert stream.types()[-1] == "step_succeeded"  # the stream ends once the run has succeeded
    # A busy machine may cost an attempt its lease: the one that succeeded is the one whose tokens count.
    won = stream.stored[-1]["data"]["attempt"]
    deltas = [d for d in stream.deltas if d["attempt"] == won]
    assert "".join(d["text"] for d in deltas) == text
    assert [d["seq"] for d in deltas] == list(range(1, len(deltas) + 1))
    worker_ids = {r["id"] for r in worker_rows(cluster.db)}
    ran = select_rows(cluster.db, attempts, attempts.c.run_id == run_id)
    assert {a["worker"] for a in ran} <= worker_ids  # the agent ran on the worker, not in the server


@pytest.mark.timeout(150)
def test_an_event_a_worker_applies_reaches_the_servers_stream_over_pub_sub(cluster: Cluster) -> None:
    run_id = _start(cluster, _held("prompt", ["held"], cluster.work))
    poll(lambda: (cluster.work / "started-prompt-held").exists(), timeout=30, what="the step to start")
    released = 0.0

    def release() -> None:
        nonlocal released
        _subscribed(cluster)
        released = _release(cluster, "prompt-held")

    stream = _watch(cluster, run_id, lambda s: bool(s.stored), release)
    took = time.monotonic() - released
    assert stream.types()[-1] == "step_succeeded"
    # Applied by the worker; without a wake-up over Redis the server would not read them for 30 s.
    assert took < SOON, f"the worker's events took {took:.1f} s: they came by polling, not over pub/sub"
    assert [(e["id"], e["type"]) for e in stream.stored] == _table(cluster.db, run_id)


@pytest.mark.timeout(150)
def test_a_stream_survives_a_redis_restart_and_loses_nothing(cluster: Cluster) -> None:
    run_id = _start(cluster, _held("restart", ["first", "second"], cluster.work))
    poll(lambda: (cluster.work / "started-restart-first").exists(), timeout=30, what="the first step to start")
    released: dict[str, float] = {}

    def outage() -> None:
        _subscribed(cluster)
        cluster.stop_live_redis()  # the worker's next events are found by reading the table (every 0.5 s)
        released["first"] = _release(cluster, "restart-first")

    def restart() -> None:
        released["outage"] = time.monotonic() - released["first"]
        cluster.start_live_redis()
        _subscribed(cluster)  # the server subscribed again
        released["second"] = _release(cluster, "restart-second")

    def started(step: str) -> Callable[[Stream], bool]:
        return lambda s: any(e["type"] == "step_started" and e["data"].get("step") == step for e in s.stored)

    stages = iter([(started("first"), outage), (started("second"), restart)])
    until, then = next(stages)

    def advance(stream: Stream) -> bool:
        nonlocal until, then
        if not until(stream):
            return False
        then()
        with contextlib.suppress(StopIteration):
            until, then = next(stages)
            return False
        return True

    stream = _watch(cluster, run_id, advance, lambda: None)
    took = time.monotonic() - released["second"]
    assert stream.types()[-1] == "step_succeeded"
    assert released["outage"] < SOON, f"events during the outage took {released['outage']:.1f} s: no fallback"
    assert took < SOON, f"events after the restart took {took:.1f} s: pub/sub did not resume"
    ids = [e["id"] for e in stream.stored]
    assert ids == sorted(set(ids))
    assert [(e["id"], e["type"]) for e in stream.stored] == _table(cluster.db, run_id)
