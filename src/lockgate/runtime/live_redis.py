"""Live updates across processes over Redis pub/sub: every process publishes, those with watchers listen.

After its commits a process publishes a wake-up per run (its id and the seq its committed events reached)
and every token delta its agents produce: one message per round on one channel per Redis database. A
process with watchers (a server's SSE and WebSocket feeds) holds one subscription, however many feeds it
serves, and fans out to them. Its own messages come back too and are dropped: it told its watchers at once.

Redis is never needed for correctness; the events table is the record. Publishing never waits in the
caller: a failure is logged once per outage and retried with backoff, keeping the wake-ups (one per run)
and the newest ``OUTBOX`` deltas. The subscriber reconnects with backoff; on losing Redis and on getting it
back it wakes every feed (``Wake(None)``) to read the table, and ``crosses_processes`` tells feeds to poll
meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from lockgate.errors import MissingExtraError
from lockgate.runtime.live import LiveBus, LiveChannel, LiveDelta, Wake
from lockgate.settings import REDIS_SCHEMES

if TYPE_CHECKING:
    from collections.abc import Callable

    from lockgate.settings import Settings

__all__ = ["OUTBOX", "Envelope", "RedisLive", "build_live"]

log = logging.getLogger(__name__)

OUTBOX = 2000  # deltas kept while Redis is slow or away; older ones are dropped (tokens are best effort)
FIRST_PAUSE, MAX_PAUSE = 0.1, 2.0  # seconds: the backoff after a failure, doubling up to the most
TIMEOUT = 2.0  # seconds a connect or a command may take before Redis counts as away
HEALTH = 5.0  # seconds: an idle subscription PINGs this often, so that a silently dead connection is found


class Envelope(BaseModel):
    """One round of one process's live updates, as it crosses Redis."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    origin: str  # the publishing process: it told its own watchers already
    wakes: dict[str, int] = {}  # run id → the seq its committed events reached
    deltas: list[LiveDelta] = []


def build_live(settings: Settings) -> LiveChannel:
    """Over Redis when ``LOCKGATE_LIVE_URL`` (default: a Redis broker) is set; else this process only."""
    url = settings.live_url or settings.broker_url
    if url and url.startswith(REDIS_SCHEMES):  # a broker of another kind (amqp://) carries no live updates
        return RedisLive(url)
    return LiveBus()


def _client(url: str) -> Any:
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    # No retries inside redis-py: a failure comes back at once, and the loops here decide when to try again.
    return Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT, health_check_interval=HEALTH,
                          retry=Retry(NoBackoff(), 0))  # fmt: skip


class RedisLive:
    """Implements ``LiveChannel``: this process's watchers at once, other processes' through Redis."""

    def __init__(self, url: str) -> None:
        try:
            self._publisher = _client(url)
        except ImportError as exc:
            raise MissingExtraError("celery") from exc
        self._url = url
        self._local = LiveBus()
        self._origin = uuid.uuid4().hex
        # Pub/sub ignores the database number: the channel names it, so installations sharing a Redis stay apart.
        self._channel = f"lockgate:live:{self._publisher.connection_pool.connection_kwargs.get('db', 0)}"
        self._wakes: dict[str, int] = {}
        self._deltas: deque[LiveDelta] = deque(maxlen=OUTBOX)
        self._pending = asyncio.Event()
        self._sending = False
        self._publish_failing = False
        self._listening = False
        self._sender: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None

    @property
    def crosses_processes(self) -> bool:
        return self._listening

    # ---- out --------------------------------------------------------------------------------------

    def publish(self, delta: LiveDelta) -> None:
        self._local.publish(delta)
        self._deltas.append(delta)
        self._kick()

    def committed(self, run_id: str, seq: int) -> None:
        self._local.committed(run_id, seq)
        self._wakes[run_id] = max(seq, self._wakes.get(run_id, 0))
        self._kick()

    def _kick(self) -> None:
        self._pending.set()
        if self._sender is None:
            with contextlib.suppress(RuntimeError):  # no event loop here: the next call from the loop starts it
                self._sender = asyncio.get_running_loop().create_task(self._send_loop(), name="lockgate-live-out")

    async def _send_loop(self) -> None:
        pause = FIRST_PAUSE
        while True:
            await self._pending.wait()
            self._pending.clear()
            wakes, deltas = self._wakes, list(self._deltas)
            self._wakes, self._sending = {}, True
            self._deltas.clear()
            envelope = Envelope(origin=self._origin, wakes=wakes, deltas=deltas)
            try:
                await self._publisher.publish(self._channel, envelope.model_dump_json())
            except Exception as exc:  # noqa: BLE001 - Redis away must never fail a step: keep, retry later
                self._keep(wakes, deltas)
                if not self._publish_failing:
                    log.warning("live updates cannot reach Redis (%s: %s); retrying, streams in other processes "
                                "read the database meanwhile", type(exc).__name__, exc)  # fmt: skip
                self._publish_failing, self._sending = True, False
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE)
                self._pending.set()
                continue
            if self._publish_failing:
                log.warning("live updates reach Redis again")
            self._publish_failing, self._sending, pause = False, False, FIRST_PAUSE

    def _keep(self, wakes: dict[str, int], deltas: list[LiveDelta]) -> None:
        for run_id, seq in wakes.items():
            self._wakes[run_id] = max(seq, self._wakes.get(run_id, 0))
        self._deltas = deque([*deltas, *self._deltas], maxlen=OUTBOX)  # the newest are kept

    # ---- in ---------------------------------------------------------------------------------------

    def subscribe(self, subscriber: Callable[[LiveDelta], None]) -> Callable[[], None]:
        unsubscribe = self._local.subscribe(subscriber)
        self._listen()
        return unsubscribe

    def watch(self, watcher: Callable[[Wake], None]) -> Callable[[], None]:
        unwatch = self._local.watch(watcher)
        self._listen()
        return unwatch

    def _listen(self) -> None:
        # One subscription per process, from its first watcher on (a worker with none never opens it).
        if self._listener is None:
            with contextlib.suppress(RuntimeError):  # no event loop here: the next call from the loop starts it
                self._listener = asyncio.get_running_loop().create_task(self._listen_loop(), name="lockgate-live-in")

    async def _listen_loop(self) -> None:
        pause, failing = FIRST_PAUSE, False
        while True:
            client = _client(self._url)
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(self._channel)
                while True:
                    message = await pubsub.get_message(timeout=HEALTH)
                    if message is not None and self._received(message) and failing:
                        log.warning("live updates from other processes arrive again")
                        failing, pause = False, FIRST_PAUSE
            except Exception as exc:  # noqa: BLE001 - Redis away: feeds read the database until it is back
                if not failing:
                    log.warning("live updates from other processes stopped (%s: %s); reconnecting, streams read "
                                "the database meanwhile", type(exc).__name__, exc)  # fmt: skip
                failing = True
            finally:
                self._set_listening(False)
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                    await client.aclose()
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE)

    def _received(self, message: dict[str, Any]) -> bool:
        """Handle one pub/sub message; True once the subscription is confirmed."""
        match message.get("type"):
            case "subscribe":  # from now on every publish reaches this process: what came before is in the table
                self._set_listening(True)
                return True
            case "message":
                self._deliver(message["data"])
            case _:
                pass  # the health check's pong
        return False

    def _deliver(self, data: bytes) -> None:
        try:
            envelope = Envelope.model_validate_json(data)
        except ValidationError as exc:  # another version's message: its wake-ups are found by polling
            log.debug("ignored a live message: %s", exc)
            return
        if envelope.origin == self._origin:
            return
        for run_id, seq in envelope.wakes.items():
            self._local.wake(Wake(run_id, seq))
        for delta in envelope.deltas:
            self._local.publish(delta)

    def _set_listening(self, listening: bool) -> None:
        if listening != self._listening:
            self._listening = listening
            self._local.wake(Wake(None))  # wake-ups may have been missed: every feed reads the table now

    async def stop(self) -> None:
        """Send what is pending (``TIMEOUT`` at most, unless Redis is away), then close the connections."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while (self._wakes or self._deltas or self._sending) and not self._publish_failing and self._sender:
            if loop.time() > deadline:
                break
            await asyncio.sleep(0.01)
        tasks = [t for t in (self._sender, self._listener) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._publisher.aclose()
