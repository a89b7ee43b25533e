"""One Settings object, read from the environment (``LOCKGATE_*``, ``DATABASE_URL``) at start and passed down."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from lockgate.expressions import ExpressionLimits
from lockgate.handlers.context import SandboxMode
from lockgate.spec.fields import Duration

__all__ = ["Settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOCKGATE_", extra="ignore", populate_by_name=True)

    home: Path = Field(default=Path(".lockgate"), description="where the SQLite database and artifacts live")
    database_url: str | None = Field(  # both env names are accepted
        default=None, validation_alias=AliasChoices("LOCKGATE_DATABASE_URL", "DATABASE_URL")
    )
    max_concurrency: int = Field(default=32, ge=1, description="steps running at once in one process")
    sandbox: SandboxMode = SandboxMode.AUTO
    lease_ttl: timedelta = Field(default=timedelta(seconds=15), description="a worker silent this long is dead")
    maintenance_interval: timedelta = timedelta(seconds=2)
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

    @property
    def expression_limits(self) -> ExpressionLimits:
        return ExpressionLimits(self.expression_max_iterations, self.expression_max_bytes, self.expression_max_time)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'lockgate.db').resolve()}"
