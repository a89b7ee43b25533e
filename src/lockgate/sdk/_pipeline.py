"""``Pipeline``: a definition built in Python; its spec is the one a YAML file with the same content gives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from lockgate.errors import DefinitionError, DefinitionErrors
from lockgate.sdk._builder import NodeBuilder
from lockgate.sdk._graph import Graph, definition_errors, resolve
from lockgate.sdk._handles import EdgeSource, Ref
from lockgate.sdk._task_builder import TaskBuilder
from lockgate.spec.agent import AgentConfig, Budget
from lockgate.spec.concurrency import Concurrency
from lockgate.spec.fields import Identifier
from lockgate.spec.forms import HumanConfig
from lockgate.spec.loading import parse_spec, spec_from_data
from lockgate.spec.nodes import (
    AgentNode,
    ConditionConfig,
    ConditionNode,
    HttpConfig,
    HttpNode,
    HumanNode,
    NoopConfig,
    NoopNode,
    ScriptConfig,
    ScriptNode,
    SubpipelineConfig,
    SubpipelineNode,
    TransformConfig,
    TransformNode,
    WaitConfig,
    WaitNode,
)
from lockgate.spec.pipeline import InputField, InputType

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lockgate.handlers.code_tasks import CodeTask
    from lockgate.sdk._handles import NodeHandle
    from lockgate.sdk._task import Task
    from lockgate.spec.pipeline import PipelineSpec

__all__ = ["InputValue", "Pipeline"]

InputValue = InputField | Mapping[str, Any] | type
"""One input field: an ``InputField``, its dict form, or a Python type (``str``, ``int``, …) for a required field."""

_NAME: TypeAdapter[str] = TypeAdapter(Identifier)

_PYTHON_TYPES: dict[type, InputType] = {
    str: InputType.STRING,
    int: InputType.INTEGER,
    float: InputType.NUMBER,
    bool: InputType.BOOLEAN,
    dict: InputType.OBJECT,
    list: InputType.ARRAY,
}


class Pipeline:
    """A pipeline definition built in code: nodes from its kind builders, edges from handles.

    Example:
        >>> pipe = Pipeline("hello", input={"name": str})
        >>> greet = pipe.transform("greet", value=f"Hello, {pipe.input['name']}!")
        >>> print(pipe.to_yaml().splitlines()[0])
        name: hello
    """

    def __init__(
        self,
        name: str,
        *,
        input: Mapping[str, InputValue] | None = None,
        description: str | None = None,
        output: object = None,
        budget: Budget | Mapping[str, Any] | None = None,
        concurrency: Concurrency | Mapping[str, Any] | None = None,
    ) -> None:
        """Start a pipeline.

        Args:
            name: a slug naming the pipeline; runs are numbered per name.
            input: the fields a run takes, read as ``pipe.input["field"]`` (``{{ input.field }}``).
            description: a sentence for people.
            output: the run's output (templates, Refs, handles); default: the outputs of the sink nodes.
            budget: limits on the model use of each run (``Budget`` or its dict form).
            concurrency: how many runs may be open at once (``Concurrency`` or its dict form).

        Raises:
            DefinitionErrors: a field is wrong, named as the YAML loader names it.
        """
        self._graph = Graph()
        self._tasks: dict[str, Task[..., object]] = {}  # by node id: the functions of its task nodes
        try:
            _NAME.validate_python(name)
        except ValidationError as exc:
            raise definition_errors(exc, None, ("name",)) from None
        self._head: dict[str, Any] = {"name": name}
        if description is not None:
            self._head["description"] = description
        if input:
            self._head["input"] = {key: _input_field(key, value) for key, value in input.items()}
        for key, model, value in (("budget", Budget, budget), ("concurrency", Concurrency, concurrency)):
            if value is not None:
                self._head[key] = _validated(key, model, value)
        self.set_output(output)

    # ------------------------------------------------------------------ kinds (one builder per node kind)

    @property
    def agent(self) -> NodeBuilder[AgentConfig]:
        """Add an ``agent`` node: an LLM agent whose answer is the output (``AgentConfig`` fields)."""
        return NodeBuilder(self._graph, AgentNode, AgentConfig)

    @property
    def human(self) -> NodeBuilder[HumanConfig]:
        """Add a ``human`` node: a form a person fills in (``HumanConfig`` fields)."""
        return NodeBuilder(self._graph, HumanNode, HumanConfig)

    @property
    def http(self) -> NodeBuilder[HttpConfig]:
        """Add an ``http`` node: one HTTP request (``HttpConfig`` fields)."""
        return NodeBuilder(self._graph, HttpNode, HttpConfig)

    @property
    def script(self) -> NodeBuilder[ScriptConfig]:
        """Add a ``script`` node: Python in a confined subprocess (``ScriptConfig`` fields)."""
        return NodeBuilder(self._graph, ScriptNode, ScriptConfig)

    @property
    def condition(self) -> NodeBuilder[ConditionConfig]:
        """Add a ``condition`` node: picks branches by expression (``ConditionConfig`` fields)."""
        return NodeBuilder(self._graph, ConditionNode, ConditionConfig)

    @property
    def wait(self) -> NodeBuilder[WaitConfig]:
        """Add a ``wait`` node: a durable pause (``WaitConfig`` fields)."""
        return NodeBuilder(self._graph, WaitNode, WaitConfig)

    @property
    def transform(self) -> NodeBuilder[TransformConfig]:
        """Add a ``transform`` node: a value computed from expressions (``TransformConfig`` fields)."""
        return NodeBuilder(self._graph, TransformNode, TransformConfig)

    @property
    def subpipeline(self) -> NodeBuilder[SubpipelineConfig]:
        """Add a ``subpipeline`` node: a child run of a stored pipeline (``SubpipelineConfig`` fields)."""
        return NodeBuilder(self._graph, SubpipelineNode, SubpipelineConfig)

    @property
    def noop(self) -> NodeBuilder[NoopConfig]:
        """Add a ``noop`` node: a join point or a placeholder."""
        return NodeBuilder(self._graph, NoopNode, NoopConfig)

    @property
    def task(self) -> TaskBuilder:
        """Add a ``task`` node: a Python function a worker runs (``@pipe.task``; ``TaskConfig`` fields)."""
        return TaskBuilder(self._graph, self._head.get("input", {}), self._tasks.__setitem__)

    def __lockgate_tasks__(self) -> Iterator[CodeTask]:
        """The functions of the pipeline's task nodes: what ``lockgate worker --tasks module`` registers."""
        for made in self._tasks.values():
            yield from made.__lockgate_tasks__()

    # ------------------------------------------------------------------ reading and finishing

    @property
    def name(self) -> str:
        """The pipeline's name."""
        return str(self._head["name"])

    @property
    def input(self) -> Ref:
        """``{{ input }}``: the run's input; ``pipe.input["topic"]`` is ``{{ input.topic }}``."""
        return Ref("input")

    @property
    def node_ids(self) -> list[str]:
        """The ids of the nodes added so far, in order."""
        return list(self._graph.nodes)

    def __getitem__(self, node_id: str) -> NodeHandle:
        """The handle of a node added earlier (or read from YAML), by id."""
        return self._graph.handle(node_id)

    def set_output(self, output: object) -> None:
        """Set the run's output: a value of templates, Refs and handles; None: the outputs of the sink nodes."""
        if output is None:
            self._head.pop("output", None)
        else:
            self._head["output"] = resolve(output, [])

    def spec(self) -> PipelineSpec:
        """The definition, validated by the same loader as a YAML file.

        Raises:
            DefinitionErrors: every problem, each with its node id and field.
        """
        self._graph.check()
        head = {key: value for key, value in self._head.items() if key != "output"}
        data = {**head, "nodes": list(self._graph.nodes.values()), "edges": self._graph.edges()}
        if "output" in self._head:
            data["output"] = self._head["output"]
        return spec_from_data(data)

    def to_yaml(self) -> str:
        """The definition as YAML (defaults left out; multi-line text as blocks), ready for ``lockgate run``."""
        return to_yaml(self.spec())

    @classmethod
    def from_spec(cls, spec: PipelineSpec) -> Pipeline:
        """A builder holding a definition, to extend in code: ``pipe["draft"] >> pipe.transform(…)``."""
        data = spec.model_dump(mode="json", exclude_defaults=True)
        pipe = cls(spec.name)
        pipe._head = {k: v for k, v in data.items() if k not in ("nodes", "edges")}
        for node in data["nodes"]:
            pipe._graph.add_node(node, (), ())
        for edge in data.get("edges", []):
            start = EdgeSource(pipe[edge["source"]], branch=edge.get("branch"), when=edge.get("when"))
            start >> pipe[edge["target"]]
        return pipe

    @classmethod
    def from_yaml(cls, text: str) -> Pipeline:
        """Read a YAML definition (as ``lockgate run`` does) into a builder.

        Raises:
            DefinitionErrors: the text is not YAML, or the definition has problems.
        """
        return cls.from_spec(parse_spec(text))

    def __repr__(self) -> str:
        """Name and node ids."""
        return f"Pipeline({self.name!r}, nodes={self.node_ids})"


def to_yaml(spec: PipelineSpec) -> str:
    """A definition as YAML: what a person would write (defaults left out, multi-line text as ``|`` blocks)."""
    data = spec.model_dump(mode="json", exclude_defaults=True)
    data["nodes"] = [_readable(node) for node in data["nodes"]]
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


def _readable(node: dict[str, Any]) -> dict[str, Any]:
    """A node as people write one: id and kind first, the config last."""
    first = {key: node[key] for key in ("id", "kind") if key in node}
    rest = {key: value for key, value in node.items() if key not in (*first, "config")}
    return first | rest | ({"config": node["config"]} if "config" in node else {})


class _Dumper(yaml.SafeDumper):
    """Safe YAML with block scalars for multi-line strings (scripts, prompts) and indented lists."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:  # noqa: ARG002 - always indented
        """Indent list items under their key, as the examples do."""
        super().increase_indent(flow, indentless=False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _input_field(key: str, value: InputValue) -> dict[str, Any]:
    if isinstance(value, type):
        kind = _PYTHON_TYPES.get(value)
        if kind is None:
            names = ", ".join(t.__name__ for t in _PYTHON_TYPES)
            message = f"{value.__name__} is not an input type: give one of {names}, or an InputField"
            raise DefinitionErrors([DefinitionError(message, field=f"input.{key}")])
        return {"type": kind.value, "required": True}
    return _validated(f"input.{key}", InputField, value)


def _validated(where: str, model: type[BaseModel], value: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
    data = value.model_dump(exclude_unset=True) if isinstance(value, BaseModel) else dict(value)
    try:
        dumped: dict[str, Any] = model.model_validate(data).model_dump(mode="json", exclude_unset=True)
    except ValidationError as exc:
        raise definition_errors(exc, None, tuple(where.split("."))) from None
    return dumped
