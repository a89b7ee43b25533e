"""Pipeline definitions as pydantic models: nodes, edges, policies; YAML/JSON loading; JSON Schema."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockgate.lazy import exports

__all__ = [
    "AgentConfig",
    "AgentNode",
    "Budget",
    "BuiltinTool",
    "Concurrency",
    "ConcurrencyPolicy",
    "ConditionBranch",
    "ConditionConfig",
    "ConditionNode",
    "ContextArtifact",
    "DeadlineAction",
    "Draft",
    "DraftNode",
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
    "McpServer",
    "Node",
    "NodeBase",
    "NoopConfig",
    "NoopNode",
    "OnError",
    "PipelineSpec",
    "RetryPolicy",
    "ReviewPolicy",
    "SchemaErrors",
    "ScriptConfig",
    "ScriptHeartbeat",
    "ScriptInputMode",
    "ScriptNode",
    "SelectOption",
    "TaskConfig",
    "TaskNode",
    "TeamConfig",
    "TeamMember",
    "TeamMode",
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

if TYPE_CHECKING:
    from lockgate.spec.agent import (
        AgentConfig,
        Budget,
        BuiltinTool,
        ContextArtifact,
        McpServer,
        TeamConfig,
        TeamMember,
        TeamMode,
    )
    from lockgate.spec.concurrency import Concurrency, ConcurrencyPolicy
    from lockgate.spec.draft import Draft, DraftNode
    from lockgate.spec.fields import Duration, Identifier, Template
    from lockgate.spec.forms import FieldType, FormField, HumanConfig, SelectOption
    from lockgate.spec.loading import SchemaErrors, load_spec, parse_spec, spec_from_data
    from lockgate.spec.nodes import (
        AgentNode,
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
        ScriptHeartbeat,
        ScriptInputMode,
        ScriptNode,
        TaskConfig,
        TaskNode,
        TransformConfig,
        TransformNode,
        WaitConfig,
        WaitNode,
    )
    from lockgate.spec.pipeline import Edge, InputField, InputType, PipelineSpec
    from lockgate.spec.policies import DeadlineAction, Join, OnError, RetryPolicy, ReviewPolicy
    from lockgate.spec.schema import pipeline_json_schema
else:
    __getattr__ = exports(
        __name__,
        {
            "agent": (
                "AgentConfig",
                "Budget",
                "BuiltinTool",
                "ContextArtifact",
                "McpServer",
                "TeamConfig",
                "TeamMember",
                "TeamMode",
            ),
            "concurrency": ("Concurrency", "ConcurrencyPolicy"),
            "draft": ("Draft", "DraftNode"),
            "fields": ("Duration", "Identifier", "Template"),
            "forms": ("FieldType", "FormField", "HumanConfig", "SelectOption"),
            "loading": ("SchemaErrors", "load_spec", "parse_spec", "spec_from_data"),
            "nodes": (
                "AgentNode",
                "ConditionBranch",
                "ConditionConfig",
                "ConditionNode",
                "HttpConfig",
                "HttpNode",
                "HumanNode",
                "Node",
                "NodeBase",
                "NoopConfig",
                "NoopNode",
                "ScriptConfig",
                "ScriptHeartbeat",
                "ScriptInputMode",
                "ScriptNode",
                "TaskConfig",
                "TaskNode",
                "TransformConfig",
                "TransformNode",
                "WaitConfig",
                "WaitNode",
            ),
            "pipeline": ("Edge", "InputField", "InputType", "PipelineSpec"),
            "policies": ("DeadlineAction", "Join", "OnError", "RetryPolicy", "ReviewPolicy"),
            "schema": ("pipeline_json_schema",),
        },
    )
