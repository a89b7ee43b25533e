"""Tables of run budgets: a run's options (its budget, the run it replays) and the holds of requests in flight.

Kept beside ``tables.py`` (which is at the house's size limit) on the same ``metadata``; the package's
``__init__`` imports this module so that every user of ``metadata`` sees these tables.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Float, ForeignKey, Integer, String, Table

from lockgate.store.tables import UTCDateTime, metadata

__all__ = ["budget_holds", "run_options"]

run_options = Table(
    "run_options",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id"), primary_key=True),
    Column("budget", JSON),  # the run's budget: {max_cost, max_tokens, max_requests}
    Column("replay_from", String(32)),  # a run whose recorded model responses answer this run's agent steps
    Column("replay_steps", JSON),  # node ids replayed; null: every agent step
    # A draft run's pinned outputs by node id: kept with the run, a start deferred by flow control (or lost with
    # its process) takes them when it comes.
    Column("pins", JSON),
)

budget_holds = Table(
    "budget_holds",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("run_id", String(32), ForeignKey("runs.id"), nullable=False, index=True),
    Column("step_key", String(200), nullable=False),
    Column("node_id", String(63), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("tokens", Integer, nullable=False),
    Column("cost", Float, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
