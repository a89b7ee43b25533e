"""Issue 14's rows about the executor path: a chain against LangGraph-sync, concurrent runs against the floor.

Each figure is the median of ``repeat`` runs, each a fresh interpreter; the chain and its peer alternate
so that a change of load on the machine falls on both. Targets are PASS or MISS, never an exit status.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.scenarios import CONCURRENT_CHAIN, ScenarioKind

if TYPE_CHECKING:
    from collections.abc import Callable

    from bench.floor import FloorResult

__all__ = ["CONCURRENT_RUNS", "format_per_step", "measure_per_step", "per_step_report"]

ROOT = Path(__file__).resolve().parent.parent
CONCURRENT_RUNS = (100, 20)  # full, quick
PEER_TARGET = 4.0  # executor chain steps/s over LangGraph-sync's
CPU_TARGET_MS = 0.6  # CPU per executor step
CHAIN_FLOOR_TARGET = 0.2
CONCURRENT_FLOOR_TARGET = 0.5


def _peer(size: int, work: Path, synchronous: str, index: int) -> dict[str, Any]:
    home = work / f"langgraph-{size}-{index}"
    args = [sys.executable, "-m", "bench", "peer", str(size), "--home", str(home), "--synchronous", synchronous]
    proc = subprocess.run(args, cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, check=False)  # noqa: S603
    shutil.rmtree(home, ignore_errors=True)
    if proc.returncode != 0:
        raise RuntimeError(f"the LangGraph peer failed ({proc.returncode}):\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median throughput, with the median CPU per step of all of them."""
    ordered = sorted(runs, key=lambda r: float(r["steps_per_second"]))
    middle = dict(ordered[len(ordered) // 2])
    middle.pop("profile", None)
    middle["cpu_ms_per_step"] = statistics.median(r["cpu_seconds"] / r["steps"] * 1000 for r in runs)
    middle["runs_steps_per_second"] = [r["steps_per_second"] for r in runs]
    return middle


def measure_per_step(
    work: Path,
    synchronous: str,
    *,
    chain: int,
    runs: int,
    repeat: int,
    scenario: Callable[[ScenarioKind, int], dict[str, Any]],
) -> dict[str, Any]:
    """``scenario(kind, size)``: one executor scenario (noop not inlined) in a fresh interpreter."""
    chains, peers, concurrent = [], [], []
    for index in range(repeat):
        chains.append(scenario(ScenarioKind.CHAIN, chain))
        peers.append(_peer(chain, work, synchronous, index))
        concurrent.append(scenario(ScenarioKind.CONCURRENT, runs))
    return {"chain": _median(chains), "langgraph": _median(peers), "concurrent": _median(concurrent)}


def per_step_report(measured: dict[str, Any], floor: FloorResult) -> dict[str, Any]:
    chain, peer, concurrent = measured["chain"], measured["langgraph"], measured["concurrent"]
    peer_ratio = chain["steps_per_second"] / peer["steps_per_second"]
    chain_floor = chain["steps_per_second"] / floor.per_second
    concurrent_floor = concurrent["steps_per_second"] / floor.per_second
    return {
        **measured,
        "chain_vs_langgraph": peer_ratio,
        "chain_ratio_to_floor": chain_floor,
        "concurrent_ratio_to_floor": concurrent_floor,
        "meets": {
            "vs_langgraph": peer_ratio >= PEER_TARGET,
            "cpu_per_step": chain["cpu_ms_per_step"] <= CPU_TARGET_MS,
            "chain_floor": chain_floor >= CHAIN_FLOOR_TARGET,
            "concurrent_floor": concurrent_floor >= CONCURRENT_FLOOR_TARGET,
        },
    }


def _mark(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def format_per_step(report: dict[str, Any]) -> list[str]:
    chain, peer, concurrent, meets = (report[k] for k in ("chain", "langgraph", "concurrent", "meets"))
    runs = len(chain["runs_steps_per_second"])
    return [
        f"issue 14, the executor path (one commit per step; medians of {runs} run(s)):",
        f"  chain of {chain['size']:,} through the executor: {chain['steps_per_second']:,.0f} steps/s, "
        f"{chain['cpu_ms_per_step']:.2f} ms CPU/step; LangGraph + SqliteSaver (sync): "
        f"{peer['steps_per_second']:,.0f} steps/s, {peer['cpu_ms_per_step']:.2f} ms CPU/step",
        f"  {concurrent['size']} concurrent runs of a {CONCURRENT_CHAIN}-step executor chain: "
        f"{concurrent['steps_per_second']:,.0f} committed steps/s in {concurrent.get('apply_batches', 0):,} commits",
        f"  [{_mark(meets['vs_langgraph'])}] chain ≥ {PEER_TARGET:.0f} x LangGraph-sync "
        f"(is {report['chain_vs_langgraph']:.2f} x)",
        f"  [{_mark(meets['cpu_per_step'])}] chain ≤ {CPU_TARGET_MS} ms CPU/step (is {chain['cpu_ms_per_step']:.2f})",
        f"  [{_mark(meets['chain_floor'])}] chain ≥ {CHAIN_FLOOR_TARGET} x floor "
        f"(is {report['chain_ratio_to_floor']:.3f})",
        f"  [{_mark(meets['concurrent_floor'])}] concurrent ≥ {CONCURRENT_FLOOR_TARGET} x floor "
        f"(is {report['concurrent_ratio_to_floor']:.3f})",
    ]
