"""Retry delays: exponential, capped, with jitter drawn from a hash so that replays agree."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lockgate.spec.policies import RetryPolicy

__all__ = ["retry_delay"]


def _unit(key: str) -> float:
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def retry_delay(policy: RetryPolicy, failures: int, attempt_key: str, retry_after: timedelta | None) -> timedelta:
    """Delay before the attempt that follows ``failures`` failed ones (failures ≥ 1)."""
    base = policy.initial_delay.total_seconds() * policy.factor ** (failures - 1)
    jittered = base * (1 + policy.jitter * (2 * _unit(attempt_key) - 1))
    seconds = min(policy.max_delay.total_seconds(), max(0.0, jittered))
    if retry_after is not None:
        seconds = max(seconds, retry_after.total_seconds())
    return timedelta(seconds=seconds)
