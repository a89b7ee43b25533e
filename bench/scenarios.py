"""One benchmark scenario, run in this process through the real Runtime, as ``lockgate run`` does.

The parent (``bench.engine``) starts a fresh interpreter per scenario so that the peak RSS of one
run is not inflated by another; this module is what that interpreter executes.
"""

from __future__ import annotations

import asyncio
import cProfile
import functools
import gc
import pstats
import resource
import time
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, assert_never

from lockgate.engine import RunState, RunStatus, StepStatus
from lockgate.handlers.registry import HandlerRegistry, default_registry
from lockgate.runtime import Runtime
from lockgate.settings import Settings
from lockgate.spec import PipelineSpec, spec_from_data

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from pydantic import JsonValue

__all__ = ["ScenarioKind", "ScenarioResult", "chain_spec", "fan_out_spec", "run_scenario", "transform_chain_spec"]


class ScenarioKind(StrEnum):
    CHAIN = "chain"  # SIZE noop nodes, each waiting for the one before
    FAN_OUT = "fan_out"  # one noop node with for_each over SIZE items
    TRANSFORM_CHAIN = "transform_chain"  # SIZE transform nodes, each computing its value from the one before
    CONCURRENT = "concurrent"  # SIZE runs at once of a chain of CONCURRENT_CHAIN noop nodes


CONCURRENT_CHAIN = 10


def _registry(inline: bool) -> HandlerRegistry:
    """The product's registry; without ``inline``, noop steps go through the executor like any impure kind."""
    registry = default_registry()
    return registry if inline else registry.without_inline()


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    kind: str
    inline: bool  # noop evaluated inside the dispatching transaction (the product's default for pure kinds)
    size: int
    max_parallel: int | None
    steps: int  # durable steps that succeeded (for a fan-out: the items)
    seconds: float  # from create_run to the run's end
    cpu_seconds: float  # user + system time of this process over the same span: steadier than wall time under load
    start_seconds: float  # Runtime.start(): migrations, worker registration
    stop_seconds: float
    peak_rss_mb: float  # ru_maxrss of this process at the end
    baseline_rss_mb: float  # ru_maxrss once the runtime had started, before the run
    apply_seconds: float | None  # time inside Applier.apply (load, advance, write, commit) on the db thread
    apply_batches: int | None
    events: int | None
    # With ``again``: the same definition run a second time in the same process (its plan cached: compiled once)
    again_seconds: float | None = None
    again_cpu_seconds: float | None = None

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "steps_per_second": self.steps_per_second}


def chain_spec(size: int) -> PipelineSpec:
    nodes = [{"id": f"n{i:05d}", "kind": "noop"} for i in range(size)]
    edges = [{"source": f"n{i:05d}", "target": f"n{i + 1:05d}"} for i in range(size - 1)]
    return spec_from_data({"name": "bench-chain", "nodes": nodes, "edges": edges})


def transform_chain_spec(size: int) -> PipelineSpec:
    """Each step reads the one before: plain references, and one text that needs the template engine.

    Every template string differs from every other (they name different nodes), as in a real pipeline.
    """
    nodes: list[dict[str, JsonValue]] = [
        {"id": "n00000", "kind": "transform", "config": {"value": {"n": "{{ input.n }}"}}}
    ]
    for i in range(1, size):
        prev = f"nodes.n{i - 1:05d}.output"
        value: dict[str, JsonValue] = {
            "n": f"{{{{ {prev}.n }}}}",
            "run": "{{ run.number }}",
            "text": f"after {{{{ {prev}.n }}}}",
        }
        nodes.append({"id": f"n{i:05d}", "kind": "transform", "config": {"value": value}})
    edges = [{"source": f"n{i:05d}", "target": f"n{i + 1:05d}"} for i in range(size - 1)]
    return spec_from_data(
        {"name": "bench-transform-chain", "input": {"n": {"type": "integer"}}, "nodes": nodes, "edges": edges}
    )


def fan_out_spec(max_parallel: int) -> PipelineSpec:
    return spec_from_data(
        {
            "name": "bench-fan-out",
            "input": {"elements": {"type": "array", "required": True}},
            "nodes": [{"id": "each", "kind": "noop", "for_each": "{{ input.elements }}", "max_parallel": max_parallel}],
        }
    )


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of the process
    return usage.ru_utime + usage.ru_stime


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@dataclass
class _ApplyMeter:
    """Wraps Applier.apply_in to see how much of the run is spent applying on the db thread.

    apply_in, not apply: a run's start applies its first events (an inline chain: all of them) in the
    transaction that inserts it, without going through apply.
    """

    seconds: float = 0.0
    batches: int = 0
    events: int = 0

    def wrap(self, apply: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(apply)
        def timed(conn: Any, batch: list[Any], *rest: Any) -> Any:
            started = time.perf_counter()
            try:
                return apply(conn, batch, *rest)
            finally:
                self.seconds += time.perf_counter() - started
                self.batches += 1
                self.events += len(batch)

        return timed


class _Profiles:
    """cProfile is per thread: one profile for the event loop, one for the database thread."""

    def __init__(self) -> None:
        self.loop = cProfile.Profile()
        self.db = cProfile.Profile()

    def dump(self, path: Path, top: int) -> str:
        lines = []
        for name, profile in (("loop", self.loop), ("db", self.db)):
            target = path.with_name(f"{path.stem}.{name}{path.suffix or '.prof'}")
            profile.dump_stats(target)
            stats = pstats.Stats(profile)
            lines.append(f"--- {name} thread: {target} (total {stats.total_tt:.2f}s) ---")  # type: ignore[attr-defined]
            lines.append(_top(stats, top))
        return "\n".join(lines)


def _top(stats: pstats.Stats, top: int) -> str:
    import io

    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats(pstats.SortKey.TIME).print_stats(top)
    text = out.getvalue()
    return text[text.find("   ncalls") :].rstrip()


def _workload(
    kind: ScenarioKind, size: int, max_parallel: int | None
) -> tuple[PipelineSpec, dict[str, JsonValue], int]:
    """The pipeline, its input and how many runs of it start at once."""
    match kind:
        case ScenarioKind.CHAIN:
            return chain_spec(size), {}, 1
        case ScenarioKind.TRANSFORM_CHAIN:
            return transform_chain_spec(size), {"n": 7}, 1
        case ScenarioKind.FAN_OUT:
            return fan_out_spec(max_parallel or size), {"elements": list(range(size))}, 1
        case ScenarioKind.CONCURRENT:
            return chain_spec(CONCURRENT_CHAIN), {}, size
        case _:
            assert_never(kind)


async def _run(
    kind: ScenarioKind,
    size: int,
    max_parallel: int | None,
    home: Path,
    synchronous: Literal["full", "normal"],
    profile: Path | None,
    inline: bool,
    again: bool = False,
) -> tuple[ScenarioResult, str]:
    # Bubblewrap where it works; without it the figures are still worth having: unconfined is allowed.
    settings = Settings(home=home, database_url=None, sqlite_synchronous=synchronous, allow_unconfined_scripts=True)
    spec, run_input, runs = _workload(kind, size, max_parallel)
    runtime = Runtime(settings, registry=_registry(inline))
    started = time.perf_counter()
    await runtime.start()
    # What start-up built (~150,000 objects: the modules, the migrations) lives as long as the process. Frozen, as
    # `lockgate serve` and the command line freeze what they loaded, the collector's passes walk only what the runs
    # make: else a full pass over start-up costs as much as a tenth of a 1,000-step run, and where it lands is chance.
    gc.collect()
    gc.freeze()
    start_seconds = time.perf_counter() - started
    meter = _ApplyMeter()
    runtime.applier.apply_in = meter.wrap(runtime.applier.apply_in)  # type: ignore[method-assign]
    baseline = _rss_mb()
    profiles = _Profiles() if profile is not None else None
    if profiles is not None:
        await runtime.db_call(profiles.db.enable)  # enable() profiles the thread that calls it
        profiles.loop.enable()
    began, cpu_began = time.perf_counter(), _cpu_seconds()
    states = await _drive(runtime, spec, run_input, runs)
    seconds, cpu_seconds = time.perf_counter() - began, _cpu_seconds() - cpu_began
    again_figures = await _again(runtime, spec, run_input) if again else (None, None)
    report = ""
    if profiles is not None and profile is not None:
        profiles.loop.disable()
        await runtime.db_call(profiles.db.disable)
        report = profiles.dump(profile, 25)
    stopping = time.perf_counter()
    await runtime.stop()
    stop_seconds = time.perf_counter() - stopping
    steps = _succeeded(kind, size, states)
    result = ScenarioResult(
        kind=kind.value,
        inline=inline,
        size=size,
        max_parallel=max_parallel,
        steps=steps,
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        start_seconds=start_seconds,
        stop_seconds=stop_seconds,
        peak_rss_mb=_rss_mb(),
        baseline_rss_mb=baseline,
        apply_seconds=meter.seconds,
        apply_batches=meter.batches,
        events=meter.events,
        again_seconds=again_figures[0],
        again_cpu_seconds=again_figures[1],
    )
    return result, report


async def _again(runtime: Runtime, spec: PipelineSpec, run_input: dict[str, JsonValue]) -> tuple[float, float]:
    """Wall and CPU seconds of one more run of the same version (its plan, templates included, already compiled).

    Both scenarios start it with nothing left for the collector: the first run's garbage is not the second's cost.
    """
    gc.collect()
    began, cpu_began = time.perf_counter(), _cpu_seconds()
    state = await runtime.wait((await runtime.create_run(spec, run_input)).id)
    if state.status is not RunStatus.SUCCEEDED:
        raise RuntimeError(f"the second benchmark run ended {state.status.value}: {state.error}")
    return time.perf_counter() - began, _cpu_seconds() - cpu_began


async def _drive(runtime: Runtime, spec: PipelineSpec, run_input: dict[str, JsonValue], runs: int) -> list[RunState]:
    """Start the scenario's runs at once and wait for their ends."""
    heads = list(await asyncio.gather(*(runtime.create_run(spec, run_input) for _ in range(runs))))
    return list(await asyncio.gather(*(runtime.wait(head.id) for head in heads)))


def _succeeded(kind: ScenarioKind, size: int, states: list[RunState]) -> int:
    """Durable steps that succeeded (for a fan-out: its items); raises unless every run did it all."""
    for state in states:
        if state.status is not RunStatus.SUCCEEDED:
            raise RuntimeError(f"the benchmark run ended {state.status.value}: {state.error}")
    done = [s for state in states for s in state.steps.values() if s.status is StepStatus.SUCCEEDED]
    steps = sum(1 for s in done if s.item_index is not None) if kind is ScenarioKind.FAN_OUT else len(done)
    expected = size * CONCURRENT_CHAIN if kind is ScenarioKind.CONCURRENT else size
    if steps != expected:
        raise RuntimeError(f"expected {expected} succeeded steps, found {steps}")
    return steps


def run_scenario(
    kind: ScenarioKind,
    size: int,
    max_parallel: int | None,
    home: Path,
    synchronous: Literal["full", "normal"],
    profile: Path | None = None,
    *,
    inline: bool = True,
    again: bool = False,
) -> tuple[ScenarioResult, str]:
    """Run one pipeline to its end; the second value is the profile summary (empty without ``profile``).

    ``again``: then run it once more in the same process, as a version runs after its first run.
    """
    return asyncio.run(_run(kind, size, max_parallel, home, synchronous, profile, inline, again))
