"""Tables of flow control: the slots of nodes with ``max_concurrent`` (beside ``tables.py``, on its ``metadata``)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from lockgate.store.tables import UTCDateTime, metadata

__all__ = ["model_requests", "node_slots", "step_waits"]

# One row per attempt of a limited node: holding a slot (``held``) or waiting for one (with its dispatch, sent
# when a slot frees). A row whose attempt is no longer queued or running is stale and removed.
node_slots = Table(
    "node_slots",
    metadata,
    Column("run_id", String(32), primary_key=True),  # no foreign key: see store/slots.py
    Column("step_key", String(200), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("pipeline", String(63), nullable=False),
    Column("slot", String(63), nullable=False),  # the node id, or its concurrency_group
    Column("max_concurrent", Integer, nullable=False),
    Column("held", Boolean, nullable=False),
    Column("reason", Text),
    Column("command", JSON, nullable=False),
    Column("queued_at", UTCDateTime(), nullable=False),
    Index("ix_node_slots_slot", "pipeline", "slot", "held", "queued_at"),
)

# The requests sent to each model profile with rate limits, within the last window (older rows are pruned).
model_requests = Table(
    "model_requests",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("profile", String(100), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("tokens", Integer, nullable=False),
    Index("ix_model_requests_profile", "profile", "at"),
)

# Why a running attempt waits inside its handler (a model profile's rate limit), while it waits.
step_waits = Table(
    "step_waits",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id"), primary_key=True),
    Column("step_key", String(200), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("reason", Text, nullable=False),
)
