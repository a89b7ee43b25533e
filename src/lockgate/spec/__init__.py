"""Pipeline definitions as pydantic models: nodes, edges, policies; YAML/JSON loading; JSON Schema."""

from lockgate.spec.fields import Duration, Identifier, Template
from lockgate.spec.loading import load_spec, parse_spec, spec_from_data
from lockgate.spec.nodes import (
    ConditionBranch,
    ConditionConfig,
    ConditionNode,
    HttpConfig,
    HttpNode,
    Node,
    NodeBase,
    NoopConfig,
    NoopNode,
    ScriptConfig,
    ScriptInputMode,
    ScriptNode,
    TransformConfig,
    TransformNode,
    WaitConfig,
    WaitNode,
)
from lockgate.spec.pipeline import Edge, InputField, InputType, PipelineSpec
from lockgate.spec.policies import Join, OnError, RetryPolicy
from lockgate.spec.schema import pipeline_json_schema

__all__ = [
    "ConditionBranch",
    "ConditionConfig",
    "ConditionNode",
    "Duration",
    "Edge",
    "HttpConfig",
    "HttpNode",
    "Identifier",
    "InputField",
    "InputType",
    "Join",
    "Node",
    "NodeBase",
    "NoopConfig",
    "NoopNode",
    "OnError",
    "PipelineSpec",
    "RetryPolicy",
    "ScriptConfig",
    "ScriptInputMode",
    "ScriptNode",
    "Template",
    "TransformConfig",
    "TransformNode",
    "WaitConfig",
    "WaitNode",
    "load_spec",
    "parse_spec",
    "pipeline_json_schema",
    "spec_from_data",
]
