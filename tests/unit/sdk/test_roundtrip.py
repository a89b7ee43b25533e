"""The builder and YAML say the same thing.

Generated definitions built in code equal the loader's spec, and every spec survives ``to_yaml`` → ``from_yaml``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.sdk.strategies import definitions

from lockgate.sdk import EdgeSource, NodeBuilder, Pipeline
from lockgate.spec import parse_spec, spec_from_data

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _build(data: dict[str, Any], *, config_whole: bool) -> Pipeline:
    """The definition written with the builder: a builder call per node, ``>>`` per edge."""
    head = {key: data[key] for key in ("description", "input", "output", "budget") if key in data}
    pipe = Pipeline(data["name"], **head)
    for node in data["nodes"]:
        fields = {key: value for key, value in node.items() if key not in ("id", "kind", "config")}
        builder: NodeBuilder[Any] = getattr(pipe, node["kind"])
        if config_whole and "config" in node:
            builder(node["id"], config=node["config"], **fields)
        else:
            builder(node["id"], **fields, **node.get("config", {}))
    for edge in data["edges"]:
        EdgeSource(pipe[edge["source"]], branch=edge.get("branch"), when=edge.get("when")) >> pipe[edge["target"]]
    return pipe


@FAST
@given(definitions(), st.booleans())
def test_builder_gives_the_loaders_spec(data: dict[str, Any], config_whole: bool) -> None:
    assert _build(data, config_whole=config_whole).spec() == spec_from_data(data)


@FAST
@given(definitions())
def test_yaml_round_trip(data: dict[str, Any]) -> None:
    spec = spec_from_data(data)
    text = Pipeline.from_spec(spec).to_yaml()
    assert Pipeline.from_yaml(text).spec() == spec
    assert parse_spec(text) == spec  # as the server reads it
