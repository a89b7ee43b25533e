"""The SDK's public types, checked by mypy strict (never run): ``assert_type`` holds, and misuse is an error.

Each ``# type: ignore[code]`` below is an expected error: with ``warn_unused_ignores`` (strict), mypy fails
if the SDK ever stops refusing it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import assert_type

from lockgate import Pipeline
from lockgate.sdk import EdgeSource, NodeBuilder, NodeHandle, Ref
from lockgate.sdk.loading import LoadedPipeline, load_pipeline
from lockgate.spec import (
    AgentConfig,
    ConditionConfig,
    HttpConfig,
    HumanConfig,
    NoopConfig,
    PipelineSpec,
    RetryPolicy,
    ScriptConfig,
    TransformConfig,
    WaitConfig,
)


def builders(pipe: Pipeline) -> None:
    assert_type(pipe.agent, NodeBuilder[AgentConfig])
    assert_type(pipe.human, NodeBuilder[HumanConfig])
    assert_type(pipe.http, NodeBuilder[HttpConfig])
    assert_type(pipe.script, NodeBuilder[ScriptConfig])
    assert_type(pipe.condition, NodeBuilder[ConditionConfig])
    assert_type(pipe.wait, NodeBuilder[WaitConfig])
    assert_type(pipe.transform, NodeBuilder[TransformConfig])
    assert_type(pipe.noop, NodeBuilder[NoopConfig])


def handles_and_edges() -> None:
    pipe = Pipeline("typed", input={"topic": str})
    a = pipe.script("a", code="output = 1\n", retry=RetryPolicy(max_attempts=2), timeout=timedelta(seconds=5))
    b = pipe.script("b", a, config=ScriptConfig(code="output = 2\n"), retry={"max_attempts": 3}, timeout="5s")
    c = pipe.transform("c", value=b.output["x"][0], on_error="continue", join="any")
    assert_type(a, NodeHandle)
    assert_type(a >> b, NodeHandle)
    assert_type(a >> [b, c], list[NodeHandle])
    assert_type([a, b] >> c, NodeHandle)
    assert_type(a.branch("error"), EdgeSource)
    assert_type(a.when("{{ input.topic }}") >> c, NodeHandle)
    assert_type(a.output, Ref)
    assert_type(pipe.input["topic"], Ref)
    assert_type(pipe["a"], NodeHandle)
    assert_type(pipe.spec(), PipelineSpec)
    assert_type(pipe.to_yaml(), str)
    assert_type(Pipeline.from_yaml("name: x"), Pipeline)


def loading() -> None:
    loaded = load_pipeline("flow.py:pipe")
    assert_type(loaded, LoadedPipeline)
    assert_type(loaded.spec, PipelineSpec)
    assert_type(loaded.pipeline, Pipeline)
    assert_type(load_pipeline(Path("flow.py")).attribute, str)
    load_pipeline(3)  # type: ignore[arg-type]


def misuse(pipe: Pipeline) -> None:
    pipe.script("a", config=HttpConfig(url="x"))  # type: ignore[arg-type]
    pipe.script("a", retry=3)  # type: ignore[arg-type]
    pipe.script("a", on_error="explode")  # type: ignore[arg-type]
    pipe.script("a", "b")  # type: ignore[arg-type]
    pipe.noop("a") >> "b"  # type: ignore[operator]
