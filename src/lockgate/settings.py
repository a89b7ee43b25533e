"""One Settings object, read from the environment (``LOCKGATE_*``, ``DATABASE_URL``) at start and passed down."""

from __future__ import annotations

import os
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from lockgate.handlers.script_policy import SandboxMode, ScriptPolicy
from lockgate.spec.fields import Duration

if TYPE_CHECKING:  # Jinja2 comes with it: imported by the processes that evaluate, not by every CLI command
    from lockgate.expressions import ExpressionLimits

__all__ = ["REDIS_SCHEMES", "ExecutorKind", "Settings"]

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")  # what redis-py's from_url accepts


class ExecutorKind(StrEnum):
    """Where steps run (``executors/factory.py`` builds it)."""

    LOCAL = "local"  # asyncio tasks in this process, scripts as confined subprocesses
    CELERY = "celery"  # Celery worker processes (``lockgate worker``) over a broker; the database decides


_PREFIX = "LOCKGATE_"


class Settings(BaseModel):
    """Keyword arguments first, then the environment: ``LOCKGATE_<FIELD>`` (any case), or a field's aliases.

    Read by hand rather than by pydantic-settings, whose import (asyncio, dotenv, its sources) cost every command
    more than the rest of its settings: values go to pydantic as the strings the environment holds, as there.
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True, validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _with_environment(cls, values: object) -> object:
        return {**_environment(cls, values), **values} if isinstance(values, dict) else values

    home: Path = Field(default=Path(".lockgate"), description="where the SQLite database and artifacts live")
    database_url: str | None = Field(  # both env names are accepted
        default=None, validation_alias=AliasChoices("LOCKGATE_DATABASE_URL", "DATABASE_URL")
    )
    executor: ExecutorKind = Field(
        default=ExecutorKind.LOCAL,
        description="where steps run: local (in this process) or celery (in `lockgate worker` processes, "
        "through the broker at broker_url; needs the celery extra)",
    )
    broker_url: str | None = Field(default=None, description="the Celery broker (redis://host:port/db) with celery")
    live_url: str | None = Field(
        default=None,
        description="the Redis (redis://host:port/db) that carries live updates between processes over pub/sub: "
        "wake-ups when a run's events commit and agents' tokens, so that every server's streams show what "
        "workers do at once; default: broker_url; neither set: live updates stay within each process",
    )
    live_poll_interval: timedelta = Field(
        default=timedelta(seconds=5),
        gt=timedelta(0),
        description="how often a live stream reads the events table unprompted while live updates arrive over "
        "Redis (a safety net); without Redis, or while it is away, streams read it every half second",
    )
    broker_visibility_timeout: timedelta = Field(
        default=timedelta(hours=1),
        description="an unacknowledged invocation is delivered again after this (Redis); a second delivery of "
        "a claimed attempt is dropped, so it only bounds how late a message lost with its worker comes back",
    )
    republish_after: timedelta = Field(
        default=timedelta(seconds=30),
        description="a queued attempt no worker has claimed this long is published again by its server (celery)",
    )
    max_concurrency: int = Field(default=32, ge=1, description="steps running at once in one process")
    subpipeline_max_depth: int = Field(
        default=5,
        ge=1,
        le=100,
        description="how deep sub-pipelines may nest: a run started by a step is at depth 1, its own children at 2; "
        "checked when a definition is saved and again when a child run starts",
    )
    sandbox: SandboxMode = Field(
        default=SandboxMode.AUTO, description="how scripts are confined: auto (bubblewrap when it works), bwrap, none"
    )
    allow_unconfined_scripts: bool = Field(
        default=False,
        description="run script steps (and agents' run_python) without a sandbox when bubblewrap is off or "
        "unavailable, or without a process bound; false: such steps fail with sandbox_unavailable",
    )
    script_dirs: tuple[Path, ...] = Field(
        default=(),
        description="folders (absolute, ':'-separated) a script node's config.file may name; empty: none may "
        "(never the home, a folder holding it, or one inside it)",
    )
    tasks: tuple[str, ...] = Field(
        default=(),
        description="modules of code tasks (comma-separated, e.g. billing.tasks) every process imports at start: "
        "its task steps run only the functions these register (`--tasks` on serve and worker adds to it)",
    )
    script_max_processes: int = Field(
        default=256, ge=16, le=1_000_000, description="processes one script attempt may run at once, its whole tree"
    )
    lease_ttl: timedelta = Field(
        default=timedelta(seconds=15),
        description="a worker silent this long is dead; with celery, the lease on an attempt a worker claimed "
        "(renewed at a third of it): past it the attempt is lost and retried, a late result ignored",
    )
    maintenance_interval: timedelta = timedelta(seconds=2)
    model_rate_window: timedelta = Field(
        default=timedelta(minutes=1),
        description="the window model profiles' requests_per_minute and tokens_per_minute count in (a minute; "
        "tests shorten it)",
    )
    batch_size: int = Field(default=2000, ge=1, description="events applied in one transaction at most")
    shutdown_grace: timedelta = timedelta(seconds=10)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, description="largest request body accepted")
    expression_max_iterations: int = Field(
        default=100_000, ge=1, description="loop iterations (and macro calls) one template evaluation may run"
    )
    expression_max_bytes: int = Field(
        default=1 << 20, ge=1024, description="largest value, or rendered text, one template evaluation may build"
    )
    expression_max_time: Duration = Field(
        default=timedelta(seconds=1),
        gt=timedelta(0),
        description="wall-clock time the template evaluations of one transition may take together "
        "(they run inside the write transaction)",
    )
    max_output_bytes: int = Field(
        default=1 << 20, ge=1024, description="largest step output, in bytes of JSON; a larger one fails the step"
    )
    log_format: Literal["text", "json"] = "text"
    host: str = "127.0.0.1"
    port: int = 8080
    secret_key: SecretStr | None = Field(
        default=None, description="Fernet keys for credentials, comma-separated, newest first (else <home>/secret.key)"
    )
    webhook_tolerance: timedelta = Field(
        default=timedelta(minutes=5),
        gt=timedelta(0),
        description="how far a signed webhook request's timestamp (Lockgate-Signature t=) may be from the server's "
        "clock; each delivery is remembered this long so that a copy is refused",
    )
    sqlite_synchronous: Literal["full", "normal"] = Field(
        default="full", description="full: a commit survives power loss; normal: only process crashes"
    )

    model: str | None = Field(
        default=None,
        description="the default model of agent steps: a model profile's name, or [provider:]model-id "
        "(openai:, anthropic:, openai_compatible:; none: OPENAI_BASE_URL decides)",
    )
    model_input_price: float = Field(default=0.0, ge=0, description="the default model's US$ per million input tokens")
    model_output_price: float = Field(default=0.0, ge=0, description="... per million output tokens")
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("LOCKGATE_OPENAI_BASE_URL", "OPENAI_BASE_URL")
    )
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("LOCKGATE_OPENAI_API_KEY", "OPENAI_API_KEY")
    )
    anthropic_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("LOCKGATE_ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY")
    )

    @field_validator("webhook_tolerance", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> object:
        # LOCKGATE_WEBHOOK_TOLERANCE=300 means seconds, as in the README; ISO 8601 (PT5M) still works
        if isinstance(value, str) and value.strip().replace(".", "", 1).isdigit():
            return float(value)
        return value

    @field_validator("live_url")
    @classmethod
    def _live_url_is_redis(cls, value: str | None) -> str | None:
        if value and not value.startswith(REDIS_SCHEMES):
            raise ValueError(f"LOCKGATE_LIVE_URL: a Redis URL ({', '.join(REDIS_SCHEMES)}), e.g. redis://host:6379/0")
        return value

    @field_validator("script_dirs", mode="before")
    @classmethod
    def _split_dirs(cls, value: object) -> object:
        if isinstance(value, str):  # from the environment: a list like PATH
            return tuple(part for part in value.split(os.pathsep) if part.strip())
        return value

    @field_validator("tasks", mode="before")
    @classmethod
    def _split_modules(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @model_validator(mode="after")
    def _celery_has_a_broker(self) -> Settings:
        if self.executor is ExecutorKind.CELERY and not self.broker_url:
            raise ValueError(
                "LOCKGATE_EXECUTOR=celery needs LOCKGATE_BROKER_URL (for example redis://127.0.0.1:6379/0)"
            )
        return self

    @model_validator(mode="after")
    def _script_dirs_keep_out_of_the_home(self) -> Settings:
        home = self.home.resolve()
        for folder in self.script_dirs:
            if not folder.is_absolute() or ".." in folder.parts:
                raise ValueError(f"LOCKGATE_SCRIPT_DIRS: {folder} is not an absolute path without '..'")
            real = folder.resolve()
            if real == home or home.is_relative_to(real) or real.is_relative_to(home):
                # The home holds the database, the Fernet key and every run's files: a script file there reads them.
                raise ValueError(f"LOCKGATE_SCRIPT_DIRS: {folder} is, holds or lies inside the home {home}")
        return self

    @property
    def script_policy(self) -> ScriptPolicy:
        return ScriptPolicy(
            allow_unconfined=self.allow_unconfined_scripts,
            script_dirs=self.script_dirs,
            max_processes=self.script_max_processes,
        )

    @property
    def expression_limits(self) -> ExpressionLimits:
        from lockgate.expressions import ExpressionLimits

        return ExpressionLimits(self.expression_max_iterations, self.expression_max_bytes, self.expression_max_time)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'lockgate.db').resolve()}"


def _environment(cls: type[BaseModel], given: dict[str, Any]) -> dict[str, str]:
    """The environment's value of each field not given: keyed by the alias it was found under, else by name."""
    env = {key.lower(): value for key, value in os.environ.items()}
    found: dict[str, str] = {}
    for name, field in cls.model_fields.items():
        alias = field.validation_alias
        aliases = [str(choice) for choice in alias.choices] if isinstance(alias, AliasChoices) else []
        if name in given or any(choice in given for choice in aliases):
            continue
        for key, env_name in [*((choice, choice.lower()) for choice in aliases), (name, (_PREFIX + name).lower())]:
            if env_name in env:
                found[key] = env[env_name]
                break
    return found
