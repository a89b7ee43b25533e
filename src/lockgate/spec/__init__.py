"""Pipeline definitions as pydantic models: nodes, edges, policies; YAML/JSON loading; JSON Schema."""

from lockgate.spec.fields import Duration, Identifier, Template
from lockgate.spec.forms import FieldType, FormField, HumanConfig, SelectOption
from lockgate.spec.loading import load_spec, parse_spec, spec_from_data
from lockgate.spec.nodes import (
    ConditionBranch,
    ConditionConfig,
    ConditionNode,
    HttpConfig,
    HttpNode,
    HumanNode,
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
from lockgate.spec.policies import DeadlineAction, Join, OnError, RetryPolicy, ReviewPolicy
from lockgate.spec.schema import pipeline_json_schema

__all__ = [
    "ConditionBranch",
    "ConditionConfig",
    "ConditionNode",
    "DeadlineAction",
    "Duration",
    "Edge",
    "FieldType",
    "FormField",
    "HttpConfig",
    "HttpNode",
    "HumanConfig",
    "HumanNode",
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
    "ReviewPolicy",
    "ScriptConfig",
    "ScriptInputMode",
    "ScriptNode",
    "SelectOption",
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
