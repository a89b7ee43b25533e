"""Timings of the pure core: compiling definitions and rendering expressions (``make bench``).

Numbers only, no thresholds: run before and after a change to the core and compare.
"""

from __future__ import annotations

import statistics
import time
from functools import partial
from typing import TYPE_CHECKING, Any

from lockgate.compile import compile_pipeline
from lockgate.expressions import render
from lockgate.spec import spec_from_data

if TYPE_CHECKING:
    from collections.abc import Callable


def layered_definition(width: int, depth: int) -> dict[str, Any]:
    """``depth`` layers of ``width`` transform nodes, each wired to every node of the layer above."""
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, str]] = []
    for level in range(depth):
        for i in range(width):
            node_id = f"n{level}-{i}"
            value = "{{ input.seed }}" if level == 0 else f"{{{{ nodes['n{level - 1}-{i}'].output }}}}"
            nodes.append({"id": node_id, "kind": "transform", "config": {"value": value}})
            if level:
                edges += [{"source": f"n{level - 1}-{j}", "target": node_id} for j in range(width)]
    return {"name": "bench", "input": {"seed": {"type": "integer"}}, "nodes": nodes, "edges": edges}


def measure(name: str, func: Callable[[], object], repeat: int) -> None:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    best, median = min(samples), statistics.median(samples)
    print(f"{name:<44} best {best * 1e3:9.3f} ms   median {median * 1e3:9.3f} ms   (n={repeat})")


def main() -> None:
    for width, depth in ((5, 10), (10, 50)):
        data = layered_definition(width, depth)
        label = f"{width * depth} nodes, {len(data['edges'])} edges"
        measure(f"validate spec ({label})", partial(spec_from_data, data), 20)
        spec = spec_from_data(data)
        measure(f"compile plan ({label})", partial(compile_pipeline, spec), 20)
    context = {"input": {"topic": "otters", "n": 3}, "nodes": {"a": {"output": {"hits": list(range(50))}}}}
    measure(
        "render 1000 single expressions",
        lambda: [render("{{ nodes.a.output.hits[3] }}", context) for _ in range(1000)],
        20,
    )
    measure(
        "render 1000 mixed templates",
        lambda: [render("About {{ input.topic }} x{{ input.n }}", context) for _ in range(1000)],
        20,
    )


if __name__ == "__main__":
    main()
