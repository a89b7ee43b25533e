"""Properties of compiled graphs: any DAG compiles in an order that respects every edge; any cycle is found."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from lockgate.compile import compile_pipeline
from lockgate.compile.graph import find_cycle
from lockgate.errors import DefinitionErrors
from lockgate.spec import spec_from_data


@st.composite
def dags(draw: st.DrawFn, max_nodes: int = 25) -> tuple[list[str], list[tuple[str, str]]]:
    """Nodes in a hidden order; edges only go forward in it, so the graph is acyclic; listed shuffled."""
    count = draw(st.integers(min_value=1, max_value=max_nodes))
    ids = [f"n{i}" for i in range(count)]
    pairs = [(i, j) for i in range(count) for j in range(i + 1, count)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=60)) if pairs else []
    edges = [(ids[i], ids[j]) for i, j in chosen]
    return draw(st.permutations(ids)), draw(st.permutations(edges))


def definition(ids: list[str], edges: list[tuple[str, str]]) -> dict[str, Any]:
    linked = {end for edge in edges for end in edge}
    return {
        "name": "random",  # a node left without an edge starts on its own, as its author says
        "nodes": [{"id": i, "kind": "noop"} | ({"start": True} if edges and i not in linked else {}) for i in ids],
        "edges": [{"source": s, "target": t} for s, t in edges],
    }


@given(dags())
def test_every_dag_compiles_in_an_order_that_respects_every_edge(
    graph: tuple[list[str], list[tuple[str, str]]],
) -> None:
    ids, edges = graph
    plan = compile_pipeline(spec_from_data(definition(ids, edges)))

    assert sorted(plan.order) == sorted(ids)
    position = {node_id: i for i, node_id in enumerate(plan.order)}
    for source, target in edges:
        assert position[source] < position[target]
        assert plan.node(target).level > plan.node(source).level
        assert source in plan.node(target).ancestors
    assert [n for level in plan.levels for n in level] == sorted(ids, key=lambda n: (plan.node(n).level, position[n]))
    assert set(plan.roots) == set(ids) - {t for _, t in edges}
    assert set(plan.sinks) == set(ids) - {s for s, _ in edges}


@given(dags(), st.data())
def test_a_back_edge_makes_a_cycle_that_is_reported(
    graph: tuple[list[str], list[tuple[str, str]]], data: st.DataObject
) -> None:
    ids, edges = graph
    plan = compile_pipeline(spec_from_data(definition(ids, edges)))
    # a path exists from `ancestor` down to `descendant`: an edge back closes a cycle
    descendant = data.draw(st.sampled_from([n for n in plan.order if plan.node(n).ancestors] or plan.order[:1]))
    ancestor = data.draw(st.sampled_from(sorted(plan.node(descendant).ancestors) or [descendant]))
    if ancestor == descendant:  # no edges at all: a self-loop is the only cycle there is
        return
    back = [*edges, (descendant, ancestor)]

    try:
        compile_pipeline(spec_from_data(definition(ids, back)))
    except DefinitionErrors as exc:
        cycle_errors = [e for e in exc.errors if e.detail.startswith("cycle: ")]
    else:
        raise AssertionError("a graph with a back edge compiled")

    assert len(cycle_errors) == 1
    named = cycle_errors[0].detail.removeprefix("cycle: ").split(" → ")
    assert named[0] == named[-1]
    assert cycle_errors[0].node_id == named[0]
    for source, target in pairwise(named):
        assert (source, target) in back


@given(dags(max_nodes=12))
def test_find_cycle_returns_none_for_every_dag(graph: tuple[list[str], list[tuple[str, str]]]) -> None:
    ids, edges = graph
    successors: dict[str, list[str]] = {}
    for source, target in edges:
        successors.setdefault(source, []).append(target)

    assert find_cycle(ids, successors) is None


def test_a_deep_chain_does_not_hit_the_recursion_limit() -> None:
    ids = [f"n{i}" for i in range(3000)]
    edges = list(pairwise(ids))

    plan = compile_pipeline(spec_from_data(definition(ids, edges)))

    assert plan.order == tuple(ids)
    assert len(plan.levels) == 3000
