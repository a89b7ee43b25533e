"""Live, never stored: tokens as agents produce them, for whoever watches the run in this process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["LiveBus", "LiveDelta"]


@dataclass(frozen=True, slots=True)
class LiveDelta:
    """Text an agent produced since the previous delta of the same attempt (``seq`` orders them)."""

    run_id: str
    step: str
    attempt: int
    member: str
    seq: int
    text: str
    at: datetime


class LiveBus:
    """In-process publish and subscribe: a subscriber is called in the event loop, and must not block."""

    def __init__(self) -> None:
        self._subscribers: list[Callable[[LiveDelta], None]] = []

    def subscribe(self, subscriber: Callable[[LiveDelta], None]) -> Callable[[], None]:
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def publish(self, delta: LiveDelta) -> None:
        for subscriber in list(self._subscribers):
            subscriber(delta)
