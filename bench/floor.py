"""The raw floor: committed single-row SQLite transactions per second on this disk.

The stdlib ``sqlite3`` module with the pragmas the product sets (WAL, the same ``synchronous``),
one ``INSERT`` and one ``COMMIT`` per transaction: no engine can commit durable steps one by one
faster than this, so the engine's figures are also given as a ratio to it.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["FloorResult", "measure_floor"]


@dataclass(frozen=True, slots=True)
class FloorResult:
    transactions: int
    seconds: float
    synchronous: str

    @property
    def per_second(self) -> float:
        return self.transactions / self.seconds


def measure_floor(folder: Path, *, synchronous: str, max_seconds: float, max_transactions: int) -> FloorResult:
    """Commit one-row transactions until ``max_seconds`` or ``max_transactions``, whichever comes first."""
    path = folder / "floor.db"
    conn = sqlite3.connect(path, isolation_level=None)  # autocommit: BEGIN and COMMIT are ours
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
        conn.execute("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
        payload = "x" * 100
        done = 0
        started = time.perf_counter()
        deadline = started + max_seconds
        while done < max_transactions:
            conn.execute("BEGIN IMMEDIATE")  # the write lock at BEGIN, as the product takes it
            conn.execute("INSERT INTO rows (payload) VALUES (?)", (payload,))
            conn.execute("COMMIT")
            done += 1
            if done % 100 == 0 and time.perf_counter() >= deadline:
                break
        elapsed = time.perf_counter() - started
    finally:
        conn.close()
    return FloorResult(transactions=done, seconds=elapsed, synchronous=synchronous)
