"""The live channel: the in-process bus (the default), how a round crosses Redis, and Redis away."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from lockgate.runtime.live import LiveBus, LiveDelta, Wake
from lockgate.runtime.live_redis import Envelope, RedisLive, build_live
from lockgate.settings import ExecutorKind, Settings

pytestmark = pytest.mark.anyio

DELTA = LiveDelta("run", "write", 1, "agent", 1, "Hello", datetime(2026, 1, 1, tzinfo=UTC))


def test_the_bus_tells_watchers_of_commits_and_subscribers_of_deltas_until_they_leave() -> None:
    bus = LiveBus()
    wakes: list[Wake] = []
    deltas: list[LiveDelta] = []
    unwatch, unsubscribe = bus.watch(wakes.append), bus.subscribe(deltas.append)
    bus.committed("run", 3)
    bus.wake(Wake(None))
    bus.publish(DELTA)
    unwatch()
    unsubscribe()
    bus.committed("run", 4)
    bus.publish(DELTA)
    assert wakes == [Wake("run", 3), Wake(None)]
    assert deltas == [DELTA]
    assert not bus.crosses_processes  # feeds poll for other processes' commits


def test_live_updates_cross_processes_only_when_a_redis_is_configured() -> None:
    assert isinstance(build_live(Settings(broker_url=None, live_url=None)), LiveBus)
    assert isinstance(build_live(Settings(live_url="redis://127.0.0.1:6379/2")), RedisLive)
    assert isinstance(
        build_live(Settings(executor=ExecutorKind.CELERY, broker_url="redis://127.0.0.1:6379/0")), RedisLive
    )


def test_a_live_url_must_be_a_redis_one_and_another_broker_carries_no_live_updates() -> None:
    with pytest.raises(ValueError, match="LOCKGATE_LIVE_URL: a Redis URL"):
        Settings(live_url="amqp://guest@localhost//")
    rabbit = Settings(executor=ExecutorKind.CELERY, broker_url="amqp://guest@localhost//")
    assert isinstance(build_live(rabbit), LiveBus)


def test_a_round_survives_its_trip_as_json() -> None:
    envelope = Envelope(origin="a", wakes={"run": 7}, deltas=[DELTA])
    assert Envelope.model_validate_json(envelope.model_dump_json()) == envelope


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_redis_away_never_fails_the_publisher_and_local_watchers_still_hear(
    caplog: pytest.LogCaptureFixture,
) -> None:
    live = RedisLive("redis://127.0.0.1:1/0")  # nothing listens on port 1
    wakes: list[Wake] = []
    live.watch(wakes.append)
    for seq in range(1, 50):
        live.committed("run", seq)
        live.publish(DELTA)
        await asyncio.sleep(0)
    await asyncio.sleep(0.3)  # a few rounds of retries
    await live.stop()
    assert wakes == [Wake("run", seq) for seq in range(1, 50)]  # this process's feeds, at once
    assert not live.crosses_processes
    sent = [r for r in caplog.records if "cannot reach Redis" in r.getMessage()]
    assert len(sent) == 1  # once per outage, not once per delta
