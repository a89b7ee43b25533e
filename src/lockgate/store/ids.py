"""Identifiers: 32 hex characters, time-ordered so that ids sort like their creation."""

from __future__ import annotations

import os
import time

__all__ = ["new_id"]


def new_id() -> str:
    # 48 bits of milliseconds, then 80 random bits (UUIDv7's idea) as plain hex.
    return f"{int(time.time() * 1000):012x}{os.urandom(10).hex()}"
