from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from lockgate.errors import PermanentStepError
from lockgate.handlers import wait
from lockgate.spec.nodes import WaitConfig

if TYPE_CHECKING:
    from tests.unit.handlers.conftest import FakeContext

pytestmark = pytest.mark.anyio


async def test_duration_counts_from_the_first_dispatch(ctx: FakeContext) -> None:
    ctx.first_queued_at = datetime.now(UTC) - timedelta(seconds=0.1)
    started = time.monotonic()
    result = await wait.run(ctx, WaitConfig(duration=timedelta(seconds=0.3)), {})
    elapsed = time.monotonic() - started
    assert 0.1 <= elapsed < 1.0  # about 0.2 s: the 0.1 s already spent in the queue counts
    assert result.output == {"waited_until": (ctx.first_queued_at + timedelta(seconds=0.3)).isoformat()}


async def test_a_duration_already_elapsed_returns_at_once(ctx: FakeContext) -> None:
    ctx.first_queued_at = datetime.now(UTC) - timedelta(hours=1)
    started = time.monotonic()
    await wait.run(ctx, WaitConfig(duration=timedelta(minutes=5)), {})
    assert time.monotonic() - started < 0.1


async def test_until_in_the_past_returns_at_once(ctx: FakeContext) -> None:
    started = time.monotonic()
    result = await wait.run(ctx, WaitConfig(until="2020-01-02T03:04:05+02:00"), {})
    assert time.monotonic() - started < 0.1
    assert result.output == {"waited_until": "2020-01-02T01:04:05+00:00"}


async def test_naive_until_means_utc(ctx: FakeContext) -> None:
    result = await wait.run(ctx, WaitConfig(until="2020-01-02T03:04:05"), {})
    assert result.output == {"waited_until": "2020-01-02T03:04:05+00:00"}


async def test_until_in_the_near_future_waits(ctx: FakeContext) -> None:
    target = datetime.now(UTC) + timedelta(seconds=0.2)
    started = time.monotonic()
    await wait.run(ctx, WaitConfig(until=target.isoformat()), {})
    assert 0.1 <= time.monotonic() - started < 1.0


async def test_invalid_until_is_a_permanent_config_error(ctx: FakeContext) -> None:
    with pytest.raises(PermanentStepError) as caught:
        await wait.run(ctx, WaitConfig(until="next tuesday"), {})
    assert caught.value.kind == "invalid_config"
    assert "until" in caught.value.detail


async def test_long_waits_heartbeat(ctx: FakeContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wait, "_HEARTBEAT_EVERY", 0.05)  # the 30 s cadence, shrunk
    ctx.first_queued_at = datetime.now(UTC)
    await wait.run(ctx, WaitConfig(duration=timedelta(seconds=0.3)), {})
    assert len(ctx.heartbeats) >= 3
