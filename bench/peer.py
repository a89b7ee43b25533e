"""The peer: LangGraph with ``SqliteSaver``, sync durability, on the same chain and the same disk.

``python -m bench peer SIZE --home DIR`` runs a LangGraph chain of SIZE nodes, each adding one to a
counter, with every super-step's checkpoint committed before the next starts (``durability="sync"``),
on a SQLite file with the pragmas the product sets (WAL, the same ``synchronous``). Its steps per
second and CPU per step are the baseline of the executor chain (issue 14), measured in the same run.
"""

from __future__ import annotations

import gc
import resource
import sqlite3
import time
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["run_langgraph_chain"]


class _Count(TypedDict):
    count: int


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _step(state: _Count) -> _Count:
    return {"count": state["count"] + 1}


def run_langgraph_chain(size: int, home: Path, synchronous: str) -> dict[str, Any]:
    """One chain of ``size`` nodes through LangGraph, checkpointed synchronously to SQLite."""
    from langgraph.checkpoint.sqlite import SqliteSaver  # the bench group: uv sync --group bench
    from langgraph.graph import END, START, StateGraph

    home.mkdir(parents=True, exist_ok=True)
    graph = StateGraph(_Count)
    names = [f"n{i:05d}" for i in range(size)]
    for name in names:
        graph.add_node(name, _step)
    for source, target in zip([START, *names], [*names, END], strict=True):
        graph.add_edge(source, target)
    conn = sqlite3.connect(home / "langgraph.db", check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
        saver = SqliteSaver(conn)
        saver.setup()
        app = graph.compile(checkpointer=saver)
        gc.collect()  # as the scenarios do: what was loaded and built before the run is not the run's to collect
        gc.freeze()
        config: Any = {"configurable": {"thread_id": "bench"}, "recursion_limit": size + 10}
        began, cpu_began = time.perf_counter(), _cpu_seconds()
        result = app.invoke({"count": 0}, config, durability="sync")
        seconds, cpu_seconds = time.perf_counter() - began, _cpu_seconds() - cpu_began
    finally:
        conn.close()
    if result["count"] != size:
        raise RuntimeError(f"expected {size} steps, the graph counted {result['count']}")
    return {"kind": "langgraph_sync", "size": size, "steps": size, "seconds": seconds, "cpu_seconds": cpu_seconds,
            "steps_per_second": size / seconds}  # fmt: skip
