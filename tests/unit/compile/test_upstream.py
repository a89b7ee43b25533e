"""A node with what it needs: the cut a draft run of one node runs, itself a valid pipeline."""

from __future__ import annotations

import pytest

from lockgate.compile import compile_pipeline
from lockgate.compile.upstream import upstream_spec
from lockgate.errors import DefinitionErrors
from lockgate.spec import spec_from_data

DIAMOND = {
    "name": "p",
    "nodes": [{"id": n, "kind": "noop"} for n in ("a", "b", "c", "d", "e")],
    "edges": [
        {"source": "a", "target": "b"},
        {"source": "a", "target": "c"},
        {"source": "b", "target": "d"},
        {"source": "c", "target": "d"},
        {"source": "d", "target": "e"},
    ],
    "output": "{{ nodes.e.output }}",
}


def test_the_cut_keeps_the_node_and_its_ancestors_and_compiles() -> None:
    cut = upstream_spec(compile_pipeline(spec_from_data(DIAMOND)), "d")
    assert [n.id for n in cut.nodes] == ["a", "b", "c", "d"]
    assert [(e.source, e.target) for e in cut.edges] == [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]
    assert cut.output is None  # it named e, which is left out
    assert compile_pipeline(cut).sinks == ("d",)


def test_a_root_alone_is_a_pipeline_of_one_node() -> None:
    cut = upstream_spec(compile_pipeline(spec_from_data(DIAMOND)), "a")
    assert [n.id for n in cut.nodes] == ["a"] and cut.edges == []
    assert compile_pipeline(cut).roots == ("a",)


def test_an_unknown_node_is_named_with_the_field() -> None:
    with pytest.raises(DefinitionErrors) as caught:
        upstream_spec(compile_pipeline(spec_from_data(DIAMOND)), "z", "only")
    assert [(e.field, e.detail) for e in caught.value.errors] == [("only", "'z' is not a node of p")]
