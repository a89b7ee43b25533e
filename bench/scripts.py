"""``python -m bench scripts``: what a sandboxed ``script`` step costs beside a bare sandboxed interpreter start.

Three figures, measured in the same run so that their ratios hold on a loaded machine:

- **bare start**: ``bwrap <the product's options> -- python -c pass``, one after another (the floor a
  script step cannot beat: the sandbox and the interpreter start);
- **script step**: a chain of trivial ``script`` steps through the real Runtime (SQLite, the local executor,
  one step at a time), milliseconds per step; target ≤ 1.3x the bare start;
- **for_each**: one ``script`` node over 1,000 items (the default concurrency); target ≥ 60 items/s.

Each scenario runs ``--repeat`` times (default 3) and the median is reported, with the load average.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockgate.engine import RunStatus
from lockgate.handlers.confinement import confinement
from lockgate.handlers.context import SandboxMode, ScriptPolicy
from lockgate.handlers.sandbox import bwrap_options, encode_options, script_env
from lockgate.runtime import Runtime
from lockgate.settings import Settings
from lockgate.spec import PipelineSpec, spec_from_data

__all__ = ["ScriptsOptions", "format_text", "run_scripts_bench"]

STEP_TARGET = 1.3  # a script step, at most this many bare sandboxed starts
ITEMS_TARGET = 60.0  # for_each items per second, at least
CODE = "output = 1"


@dataclass(frozen=True, slots=True)
class ScriptsOptions:
    starts: int = 40  # bare starts per repeat
    chain: int = 40  # script steps in the chain
    items: int = 1_000  # for_each items
    repeat: int = 3


def _chain(size: int) -> PipelineSpec:
    nodes = [{"id": f"s{i:04d}", "kind": "script", "config": {"code": CODE}} for i in range(size)]
    edges = [{"source": f"s{i:04d}", "target": f"s{i + 1:04d}"} for i in range(size - 1)]
    return spec_from_data({"name": "bench-script-chain", "nodes": nodes, "edges": edges})


def _fan_out() -> PipelineSpec:
    return spec_from_data(
        {
            "name": "bench-script-each",
            "input": {"elements": {"type": "array", "required": True}},
            "nodes": [{"id": "each", "kind": "script", "for_each": "{{ input.elements }}",
                       "inputs": {"n": "{{ item }}"}, "config": {"code": "output = n * 2"}}],
        }
    )  # fmt: skip


def _bare_starts(count: int) -> float:
    """Milliseconds per ``bwrap … python -c pass`` with the options a script step gets (median of ``count``)."""
    with tempfile.TemporaryDirectory(prefix="lockgate-bench-") as scratch:
        workspace = Path(scratch)
        options = encode_options(bwrap_options(workspace, script_env(workspace, {}, {}), network=False))
        times = []
        for _ in range(count):
            read, write = os.pipe()
            os.write(write, options)
            os.close(write)
            began = time.perf_counter()
            argv = ["bwrap", "--args", str(read), "--", sys.executable, "-c", "pass"]  # as the product: bwrap on PATH
            subprocess.run(argv, pass_fds=(read,), cwd=workspace, check=True, stdin=subprocess.DEVNULL)  # noqa: S603
            times.append(time.perf_counter() - began)
            os.close(read)
    return statistics.median(times) * 1000


async def _run(home: Path, spec: PipelineSpec, run_input: dict[str, Any]) -> float:
    settings = Settings(home=home, database_url=None, sandbox=SandboxMode.BWRAP)
    runtime = Runtime(settings)
    await runtime.start()
    try:
        began = time.perf_counter()
        head = await runtime.create_run(spec, run_input)
        state = await runtime.wait(head.id)
        seconds = time.perf_counter() - began
    finally:
        await runtime.stop()
    if state.status is not RunStatus.SUCCEEDED:
        raise RuntimeError(f"the benchmark run ended {state.status.value}: {state.error}")
    return seconds


def _scenario(spec: PipelineSpec, run_input: dict[str, Any]) -> float:
    with tempfile.TemporaryDirectory(prefix="lockgate-bench-") as home:
        return asyncio.run(_run(Path(home), spec, run_input))


def _sandbox() -> str:
    decided = asyncio.run(confinement(SandboxMode.BWRAP, ScriptPolicy()))
    if decided.refusal is not None:
        raise RuntimeError(f"script steps cannot run sandboxed here: {decided.refusal}")
    return f"{decided.sandbox}; processes: {decided.processes}"


def run_scripts_bench(options: ScriptsOptions) -> dict[str, Any]:
    """Every figure, medians of ``options.repeat`` rounds (each round measures all three, interleaved)."""
    sandbox = _sandbox()
    bare, step, items = [], [], []
    for _ in range(options.repeat):
        bare.append(_bare_starts(options.starts))
        step.append(_scenario(_chain(options.chain), {}) * 1000 / options.chain)
        items.append(options.items / _scenario(_fan_out(), {"elements": list(range(options.items))}))
    bare_ms, step_ms, per_second = statistics.median(bare), statistics.median(step), statistics.median(items)
    return {
        "sandbox": sandbox,
        "load_average": list(os.getloadavg()),
        "repeat": options.repeat,
        "bare_start": {"starts": options.starts, "ms": bare_ms, "rounds": bare},
        "script_step": {"steps": options.chain, "ms": step_ms, "rounds": step, "ratio_to_bare": step_ms / bare_ms,
                        "target": STEP_TARGET, "meets_target": step_ms / bare_ms <= STEP_TARGET},
        "for_each": {"items": options.items, "items_per_second": per_second, "rounds": items,
                     "target": ITEMS_TARGET, "meets_target": per_second >= ITEMS_TARGET},
    }  # fmt: skip


def format_text(report: dict[str, Any]) -> str:
    bare, step, each = report["bare_start"], report["script_step"], report["for_each"]
    load = ", ".join(f"{value:.2f}" for value in report["load_average"])
    verdict = {True: "PASS", False: "MISS"}
    return "\n".join(
        [
            f"script steps (sandbox: {report['sandbox']}); load average {load}; medians of {report['repeat']}",
            f"  bare sandboxed start   {bare['ms']:7.1f} ms   (bwrap … python -c pass, {bare['starts']} starts)",
            f"  script step            {step['ms']:7.1f} ms   {step['ratio_to_bare']:.2f}x bare "
            f"(target ≤ {step['target']}x)  {verdict[step['meets_target']]}",
            f"  for_each of {each['items']:,} scripts {each['items_per_second']:7.1f} items/s "
            f"(target ≥ {each['target']:.0f})  {verdict[each['meets_target']]}",
        ]
    )
