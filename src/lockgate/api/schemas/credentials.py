"""API schemas: credentials. Values go in (as secrets) and never come out; grants, hosts and uses do."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr

from lockgate.security.grants import normalise_host_pattern
from lockgate.security.redaction import MIN_SECRET_LENGTH
from lockgate.spec.fields import Identifier

__all__ = [
    "CredentialCreate",
    "CredentialGrants",
    "CredentialHosts",
    "CredentialRead",
    "CredentialRotation",
    "CredentialUpdate",
    "CredentialUsePage",
    "CredentialUseRead",
    "HostPattern",
]

_CONFIG = ConfigDict(frozen=True, extra="forbid")

HostPattern = Annotated[
    str,
    Field(
        max_length=255,
        examples=["api.example.com", "*.example.org", "127.0.0.1", "*"],
        json_schema_extra={"format": "host-pattern"},
    ),  # a grammar the document names, not spells out
    AfterValidator(normalise_host_pattern),  # its ValueError becomes a 422 naming the item
]
_PIPELINES: Any = Field(default_factory=list, max_length=1000, description="the pipelines whose nodes may use it")
_HOSTS: Any = Field(default_factory=list, max_length=100,
               description="hosts an http node may send it to: api.example.com, *.example.org (subdomains), "
                           "or * (any host; also what a script with network access needs)")  # fmt: skip


class CredentialCreate(BaseModel):
    model_config = _CONFIG
    name: Identifier
    value: SecretStr = Field(min_length=MIN_SECRET_LENGTH, description=f"at least {MIN_SECRET_LENGTH} characters")
    description: str | None = Field(default=None, max_length=1000)
    pipelines: list[Identifier] = _PIPELINES
    allowed_hosts: list[HostPattern] = _HOSTS


class CredentialUpdate(BaseModel):
    model_config = _CONFIG
    value: SecretStr = Field(min_length=MIN_SECRET_LENGTH, description=f"at least {MIN_SECRET_LENGTH} characters")
    description: str | None = Field(default=None, max_length=1000, description="unchanged when absent")


class CredentialGrants(BaseModel):
    """Exactly these pipelines may use the credential (an empty list revokes every grant)."""

    model_config = _CONFIG
    pipelines: list[Identifier] = _PIPELINES


class CredentialHosts(BaseModel):
    """Exactly these hosts may receive the credential from an http node (empty: none)."""

    model_config = _CONFIG
    allowed_hosts: list[HostPattern] = _HOSTS


class CredentialRead(BaseModel):
    model_config = _CONFIG
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime
    pipelines: list[str] = Field(default_factory=list, description="the pipelines granted its use")
    allowed_hosts: list[str] = Field(default_factory=list, description="hosts an http node may send it to")


class CredentialRotation(BaseModel):
    model_config = _CONFIG
    rotated: int = Field(description="how many credentials were re-encrypted with the newest key")


class CredentialUseRead(BaseModel):
    """One use: the credential handed to an attempt (``node``), signing a notification, or a model's key."""

    model_config = _CONFIG
    id: int
    credential: str
    purpose: str = Field(description="node | notify | model")
    pipeline: str
    run_id: str
    step: str
    node_id: str
    attempt: int
    used_at: datetime


class CredentialUsePage(BaseModel):
    model_config = _CONFIG
    items: list[CredentialUseRead]
    next_before: int | None = Field(description="pass as `before` for the next (older) page; null at the end")
