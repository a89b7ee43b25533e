"""Node kinds: one model per kind, gathered into a closed discriminated union."""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictBool, StrictFloat, field_validator, model_validator

from lockgate.spec.agent import AgentConfig
from lockgate.spec.fields import JSON_INTEGER, TEMPLATED, Duration, Identifier, Template
from lockgate.spec.forms import HumanConfig
from lockgate.spec.kinds import (
    NEEDS_KEY,
    SERVER_ONLY_KEY,
    ChildRunConfig,
    FileSource,
    KindNeeds,
    ModelUse,
    TimerConfig,
    branch_names,
    needs_json,
)
from lockgate.spec.policies import Join, OnError, RetryPolicy, ReviewPolicy

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pydantic.config import JsonDict

    from lockgate.spec.agent import Budget
    from lockgate.spec.forms import FormField

__all__ = [
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
    "Position",
    "ScriptConfig",
    "ScriptHeartbeat",
    "ScriptInputMode",
    "ScriptNode",
    "SubpipelineConfig",
    "SubpipelineNode",
    "TaskConfig",
    "TaskNode",
    "TemplatedJson",
    "TransformConfig",
    "TransformNode",
    "WaitConfig",
    "WaitNode",
    "node_models",
]

# JSON whose strings are templates, rendered before the handler sees them.
TemplatedJson = Annotated[JsonValue, TEMPLATED]

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_DOTTED = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
_TASK_REF = rf"^{_DOTTED}:{_DOTTED}$"
_CODE_HASH = r"^[0-9a-f]{64}$"


def _with_needs(schema: JsonDict, model: type[BaseModel]) -> None:
    """Each kind's JSON Schema carries its traits, so that the UI decides from them as the server does."""
    needs = getattr(model, "needs", None)
    if isinstance(needs, KindNeeds):
        schema[NEEDS_KEY] = needs_json(needs)


class Position(BaseModel):
    """Where the editor draws the node; no effect on runs."""

    model_config = _FROZEN
    x: StrictFloat
    y: StrictFloat


class NodeBase(BaseModel):
    """What every node has, whatever its kind.

    Attributes:
        id: unique slug within the pipeline; expressions refer to it as ``nodes.<id>``.
        name: a label for people.
        inputs: values handed to the handler, each may be a template.
        retry: the retry policy of each step of this node.
        timeout: the longest one attempt may take.
        heartbeat_timeout: a running attempt that does not heartbeat within this fails (``heartbeat_timeout``,
            retryable); heartbeats are sent at a third of it.
        max_lost_attempts: how many attempts of one step may be lost (their worker died or stopped answering)
            before the step fails with ``lost``; a lost attempt does not count against ``retry``.
        on_error: fail the run, continue to successors, or take the ``error`` branch.
        join: wait for every taken incoming edge (``all``) or fire on the first (``any``).
        for_each: an expression giving a list; one step per item (``item``, ``item_index``).
        max_parallel: how many items of a ``for_each`` run at once.
        max_concurrent: how many steps of this node may run at once across every run of the pipeline (and
            every server and worker); the others stay queued, with a reason, until a slot frees.
        concurrency_group: a name: the nodes of the pipeline that give it share one ``max_concurrent``.
        idempotency_key: a template; a step whose key was seen before reuses that result.
        credentials: names of credentials this node may read; a script sees each as the environment
            variable ``LOCKGATE_CREDENTIAL_<NAME>``, an http node as ``${credential:<name>}`` in its url,
            headers and query. Values never pass through templates, events or outputs.
        review: people approve the step before it starts and/or review each finished attempt
            (approve, request a revision with feedback, reject).
        start: a start node by intent: it starts when the run starts. Every node without an incoming edge
            does; in a pipeline with edges, a node with no edge at all must say so (else it is reported as
            not linked, the usual slip), and a node with an incoming edge may not.
        queue: the worker queue its steps go to with a distributed executor (``LOCKGATE_EXECUTOR=celery``),
            for example ``gpu``, served by ``lockgate worker --queues gpu``; none: the default queue.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=_with_needs)
    needs: ClassVar[KindNeeds]  # what the kind needs from the platform: every kind model says (spec/kinds.py)

    id: Identifier
    name: str | None = None
    description: str | None = None
    inputs: dict[str, TemplatedJson] = Field(default_factory=dict)
    retry: RetryPolicy = RetryPolicy()
    timeout: Duration | None = None
    heartbeat_timeout: Duration | None = None
    max_lost_attempts: Annotated[int, Field(ge=1, le=1000), JSON_INTEGER] = 3
    on_error: OnError = OnError.FAIL
    join: Join = Join.ALL
    for_each: Template | None = None
    max_parallel: Annotated[int, Field(ge=1, le=1_000_000), JSON_INTEGER] | None = None
    max_concurrent: Annotated[int, Field(ge=1, le=100_000), JSON_INTEGER] | None = None
    concurrency_group: Identifier | None = None
    idempotency_key: Template | None = None
    credentials: list[Identifier] = Field(default_factory=list)
    review: ReviewPolicy | None = None
    queue: Identifier | None = None
    start: StrictBool = False
    position: Position | None = None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """A kind model without its needs fails when it is defined, not when a run meets it."""
        super().__pydantic_init_subclass__(**kwargs)
        if "kind" in cls.model_fields and not isinstance(getattr(cls, "needs", None), KindNeeds):
            raise TypeError(f"node kind model {cls.__name__} declares no needs: give it "
                            "`needs: ClassVar[KindNeeds] = KindNeeds(...)` (spec/kinds.py)")  # fmt: skip

    def branch_names(self) -> list[str]:
        """The branches this node's kind declares (its ``branch_fields``), without the ``error`` branch."""
        config = getattr(self, "config", None)
        return branch_names(config, self.needs.branch_fields) if isinstance(config, BaseModel) else []

    def source_file(self) -> str | None:
        """The file beside the definition this node's config names (its kind's ``reads_file``), if any."""
        source, config = self.needs.reads_file, getattr(self, "config", None)
        value = None if source is None else getattr(config, source.field, None)
        return value if isinstance(value, str) else None

    def form(self) -> Sequence[FormField]:
        """The fields a person fills in (a kind that ``waits_for_person``); none by default."""
        return ()

    def timer(self) -> TimerConfig | None:
        """What the engine waits on (a kind that ``waits_on_timer``); None by default."""
        return None

    def child_run(self) -> ChildRunConfig | None:
        """The run a step of this node starts (a kind that ``starts_child_run``); None by default."""
        return None

    def models_used(self) -> tuple[ModelUse, ...]:
        """The model settings the runtime checks and resolves (a kind that ``uses_models``); none by default."""
        return ()

    def budget(self) -> Budget | None:
        """The spending limits of this node's steps (a kind that ``uses_models``); None by default."""
        return None

    def template_names(self) -> dict[str, JsonValue]:
        """Names this node's templates see beside ``input``, ``nodes`` and ``run``; a kind may add its own."""
        return {}

    def pinned_code_hash(self) -> str | None:
        """The hash of the user code each attempt of this node runs, recorded with the attempt; None: none."""
        return None


class ScriptInputMode(StrEnum):
    """How a script receives its inputs."""

    VARIABLES = "variables"  # ``inputs`` (and each identifier-named input) are Python globals
    STDIN = "stdin"  # the inputs arrive as one JSON document on standard input


class ScriptHeartbeat(StrEnum):
    """What keeps a script step alive against the node's ``heartbeat_timeout``."""

    AUTO = "auto"  # Lockgate heartbeats while the process runs, at a third of the timeout
    SCRIPT = "script"  # only the script's own ``lockgate_step.heartbeat()`` calls: a hung script is found


class ScriptConfig(BaseModel):
    """A Python script run in a confined subprocess whose cwd is the attempt's workspace.

    The output is ``output.json`` if the script writes it, else the JSON it prints last. Inside, the script
    may ``import lockgate_step`` and call ``lockgate_step.heartbeat(details)`` (JSON details, at most 1 KiB,
    at most one recorded a second); with ``heartbeat: script`` only those calls keep the step alive.
    ``lockgate_step.route(["pay"])`` takes only those successors once the script succeeds (``[]``: none).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)

    code: str | None = Field(default=None, json_schema_extra={"format": "python"})
    file: str | None = Field(default=None, json_schema_extra={SERVER_ONLY_KEY: True})  # read in by the loader
    input_mode: ScriptInputMode = ScriptInputMode.VARIABLES
    env: dict[str, Template] = Field(default_factory=dict, title="Environment variables")
    cpu_time: Duration | None = timedelta(seconds=300)
    memory_mb: Annotated[int, Field(ge=16, le=1_048_576), JSON_INTEGER] | None = 2048
    network: StrictBool = False
    heartbeat: ScriptHeartbeat = ScriptHeartbeat.AUTO

    @model_validator(mode="after")
    def _one_source(self) -> ScriptConfig:
        if (self.code is None) == (self.file is None):
            raise ValueError("give exactly one of 'code' or 'file'")
        return self


class ScriptNode(NodeBase):
    """Runs a Python script in a confined subprocess."""

    needs = KindNeeds(runs_user_code=True, reads_file=FileSource(field="file", into="code"))
    kind: Literal["script"]
    config: ScriptConfig


class HttpConfig(BaseModel):
    """An HTTP request; the response (JSON when it is JSON) is the output."""

    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "GET"
    url: Template
    headers: dict[str, Template] = Field(default_factory=dict)
    query: dict[str, Template] = Field(default_factory=dict)
    json_body: TemplatedJson = None
    body: Template | None = None
    expect_status: list[Annotated[int, Field(ge=100, le=599), JSON_INTEGER]] = Field(
        default_factory=list, description="empty: any 2xx"
    )
    request_timeout: Duration = timedelta(seconds=30)
    follow_redirects: StrictBool = True


class HttpNode(NodeBase):
    """Makes one HTTP request."""

    needs = KindNeeds()
    kind: Literal["http"]
    config: HttpConfig


class TransformConfig(BaseModel):
    """A value computed from expressions; it becomes the output."""

    model_config = _FROZEN
    value: TemplatedJson


class TransformNode(NodeBase):
    """Computes a value from expressions, without side effects."""

    needs = KindNeeds(inline=True)
    kind: Literal["transform"]
    config: TransformConfig


class ConditionBranch(BaseModel):
    """A named branch, picked when ``when`` holds."""

    model_config = _FROZEN
    name: Identifier
    when: Template | StrictBool


class ConditionConfig(BaseModel):
    """Picks branches: the first (or every) branch whose ``when`` holds, else ``default``."""

    model_config = _FROZEN
    branches: list[ConditionBranch] = Field(min_length=1)
    default: Identifier | None = None
    match: Literal["first", "all"] = "first"


class ConditionNode(NodeBase):
    """Routes the run: only edges of the picked branches are taken."""

    needs = KindNeeds(inline=True, branch_fields=("branches[].name", "default"))
    kind: Literal["condition"]
    config: ConditionConfig


class NoopConfig(BaseModel):
    """A noop node takes no configuration."""

    model_config = _FROZEN


class NoopNode(NodeBase):
    """Does nothing: a join point or a placeholder."""

    needs = KindNeeds(inline=True)
    kind: Literal["noop"]
    config: NoopConfig = NoopConfig()


class WaitConfig(BaseModel):
    """Wait for a duration counted from the step's first dispatch, or until an instant."""

    model_config = _FROZEN
    duration: Duration | None = None
    until: Template | None = None

    @model_validator(mode="after")
    def _one_of(self) -> WaitConfig:
        if (self.duration is None) == (self.until is None):
            raise ValueError("give exactly one of 'duration' or 'until'")
        return self


class WaitNode(NodeBase):
    """Waits for a duration or until an instant."""

    needs = KindNeeds(waits_on_timer=True)
    kind: Literal["wait"]
    config: WaitConfig

    def timer(self) -> TimerConfig:
        """The duration or instant the step sleeps until."""
        return self.config


class HumanNode(NodeBase):
    """A form a person fills in (a checkpoint); the submitted values become the output.

    Who may answer, deadlines and a review of the submitted values come from ``review``.
    """

    needs = KindNeeds(waits_for_person=True)
    kind: Literal["human"]
    config: HumanConfig

    def form(self) -> Sequence[FormField]:
        """The form's fields."""
        return self.config.fields


class AgentNode(NodeBase):
    """An LLM agent (or a team of agents); its answer is the output."""

    needs = KindNeeds(uses_models=True)
    kind: Literal["agent"]
    config: AgentConfig

    def models_used(self) -> tuple[ModelUse, ...]:
        """The node's model, then each team member's."""
        return self.config.models_used()

    def budget(self) -> Budget | None:
        """The node's budget."""
        return self.config.budget


class SubpipelineConfig(BaseModel):
    """Which pipeline the child run is a run of, and its input.

    Attributes:
        pipeline: a stored pipeline's name.
        version: its version number, or ``latest``: the newest version when the step starts.
        input: the child run's input, checked against that pipeline's input schema; strings are templates.
    """

    model_config = _FROZEN

    pipeline: Identifier
    version: Literal["latest"] | Annotated[int, Field(ge=1, le=1_000_000_000), JSON_INTEGER] = "latest"
    input: dict[str, TemplatedJson] = Field(default_factory=dict)


class SubpipelineNode(NodeBase):
    """Runs another pipeline as a child run; the step ends with it, and the child's output is the step's output."""

    needs = KindNeeds(starts_child_run=True)
    kind: Literal["subpipeline"]
    config: SubpipelineConfig

    def child_run(self) -> ChildRunConfig:
        """The pipeline, version and input of the child run."""
        return self.config


class TaskConfig(BaseModel):
    """A Python function that a worker imported at start (``lockgate worker --tasks package.module``).

    Attributes:
        ref: where the function lives, ``package.module:qualname``; a worker runs only refs it registered
            and never imports anything a definition names.
        code_hash: the sha256 (64 lowercase hex digits) of the function's code that this definition pins;
            a worker whose function has another hash refuses the step (``task_code_mismatch``).
    """

    model_config = _FROZEN

    ref: Annotated[str, Field(max_length=500, json_schema_extra={"pattern": _TASK_REF})]
    code_hash: Annotated[str, Field(json_schema_extra={"pattern": _CODE_HASH})]

    @field_validator("ref")
    @classmethod
    def _ref_shape(cls, value: str) -> str:
        if re.fullmatch(_TASK_REF, value) is None:
            raise ValueError(f"ref {value!r} is not 'package.module:qualname'")
        return value

    @field_validator("code_hash")
    @classmethod
    def _hash_shape(cls, value: str) -> str:
        if re.fullmatch(_CODE_HASH, value) is None:
            raise ValueError("code_hash must be 64 lowercase hex digits (a sha256)")
        return value


class TaskNode(NodeBase):
    """Calls a registered Python function with the node's inputs as keyword arguments; its return is the output.

    Templates of a task node may use ``task.ref`` and ``task.code_hash``, for example in an idempotency key.
    """

    needs = KindNeeds(runs_user_code=True, defined_in_code=True)
    kind: Literal["task"]
    config: TaskConfig

    def template_names(self) -> dict[str, JsonValue]:
        """``task.ref`` and ``task.code_hash``: a key with the hash reruns a step once the code changed."""
        return {"task": {"ref": self.config.ref, "code_hash": self.config.code_hash}}

    def pinned_code_hash(self) -> str | None:
        """The code hash the definition pins."""
        return self.config.code_hash


Node = Annotated[
    ScriptNode
    | HttpNode
    | TransformNode
    | ConditionNode
    | NoopNode
    | WaitNode
    | HumanNode
    | AgentNode
    | SubpipelineNode
    | TaskNode,
    Field(discriminator="kind"),
]


def node_models() -> dict[str, type[NodeBase]]:
    """The members of the ``Node`` union by kind, in the union's order."""
    union = get_args(Node)[0]
    return {get_args(model.model_fields["kind"].annotation)[0]: model for model in get_args(union)}
