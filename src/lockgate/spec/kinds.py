"""What a node kind needs from the platform, declared once on its spec model and read everywhere else.

Each node model says ``needs: ClassVar[KindNeeds] = KindNeeds(...)``. The engine, compiler, runtime, CLI and (through
``x-lockgate-needs`` in the JSON Schema) the web UI decide from these traits, never from a kind's name, so that a new
kind touches only its model, its handler, its UI glyph, its tests and an example.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from datetime import timedelta

    from pydantic import BaseModel, JsonValue

__all__ = [
    "NEEDS_KEY",
    "SERVER_ONLY_KEY",
    "ChildRunConfig",
    "FileSource",
    "KindNeeds",
    "ModelUse",
    "TimerConfig",
    "branch_names",
    "needs_json",
]

NEEDS_KEY = "x-lockgate-needs"  # where each node model's JSON Schema carries its traits
# a field only the server fills (a path read from its disk when a definition is loaded): editors do not offer it
SERVER_ONLY_KEY = "x-lockgate-server-only"


@dataclass(frozen=True, slots=True)
class FileSource:
    """A config field that may name a file beside the definition, read into another field when it is loaded.

    Attributes:
        field: the config field holding the path (``file``).
        into: the config field the file's text replaces it with (``code``), so a version holds all it runs.
    """

    field: str
    into: str


@dataclass(frozen=True, slots=True)
class KindNeeds:
    """What a node kind needs from the platform. Every node model declares one (``needs``); the default needs nothing.

    Attributes:
        waits_for_person: the step opens a form and its handler runs once a person has answered.
        branch_fields: config fields that name the kind's branches, for edges to follow: a field holding a name
            (``default``) or ``list[].key`` for a list of objects (``branches[].name``). Empty: it declares none.
        inline: pure: a function of its rendered config and inputs, evaluated in the transaction that dispatched
            it (the kind registers an inline function, and only such kinds do).
        waits_on_timer: the engine sleeps the step until an instant (the node's ``timer()``); no handler runs.
        starts_child_run: the step starts a run of another pipeline (the node's ``child_run()``) and ends with it;
            the runtime starts that run, no worker runs the step.
        runs_user_code: the step runs code the pipeline's author wrote (a sandbox, or a worker that imports it).
        uses_models: the step calls LLMs through model profiles (the node's ``model_uses()`` and ``model_budget()``).
        reads_file: a config field that may name a file beside the definition.
        defined_in_code: its config comes from code (the SDK), not from the editor: the canvas shows it read-only
            and does not offer the kind in its palette.
    """

    waits_for_person: bool = False
    branch_fields: tuple[str, ...] = ()
    inline: bool = False
    waits_on_timer: bool = False
    starts_child_run: bool = False
    runs_user_code: bool = False
    uses_models: bool = False
    reads_file: FileSource | None = None
    defined_in_code: bool = False


@dataclass(frozen=True, slots=True)
class ModelUse:
    """One model setting of a node, as the runtime checks and resolves it.

    Attributes:
        field: where the setting is (``config.model``, ``config.team.members[0].model``).
        model: the model profile named there; None: see ``agent_profile``, else ``default``.
        agent_profile: an agent profile that names the model instead, and where it is named.
        default: the model used when neither names one (None: the server's ``LOCKGATE_MODEL``).
    """

    field: str
    model: str | None
    agent_profile: tuple[str, str] | None = None  # (name, field)
    default: str | None = None


class TimerConfig(Protocol):
    """A config the engine waits on: a duration from the step's first dispatch, or a templated instant."""

    @property
    def duration(self) -> timedelta | None:
        """How long after the step's first dispatch it wakes; None: at ``until``."""

    @property
    def until(self) -> str | None:
        """A template of the instant it wakes at (the config field's rendered value); None: after ``duration``."""


class ChildRunConfig(Protocol):
    """A config naming the run a step starts: a pipeline, its version and the child's input (templates)."""

    @property
    def pipeline(self) -> str:
        """The stored pipeline the child run is a run of."""

    @property
    def version(self) -> int | str:
        """Its version number, or ``latest`` (the newest when the step starts)."""

    @property
    def input(self) -> dict[str, JsonValue]:
        """The child run's input; strings are templates, rendered when the step starts."""


def needs_json(needs: KindNeeds) -> dict[str, JsonValue]:
    """The traits as the JSON Schema carries them (``x-lockgate-needs``); a trait without a value is left out."""
    data = {name: value for name, value in asdict(needs).items() if value is not None}
    return {**data, "branch_fields": list(needs.branch_fields)}


def branch_names(config: BaseModel, fields: tuple[str, ...]) -> list[str]:
    """The branch names a config gives in its kind's ``branch_fields``, in order, without repeats."""
    names: list[str] = []
    for path in fields:
        head, _, key = path.partition("[].")
        value = getattr(config, head, None)
        items = value if key and isinstance(value, list) else [value]
        for item in items:
            name = getattr(item, key, None) if key else item
            if isinstance(name, str) and name:
                names.append(name)
    return list(dict.fromkeys(names))
