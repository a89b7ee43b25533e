"""API schemas: credentials. Values go in (as secrets) and never come out."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from lockgate.spec.fields import Identifier

__all__ = ["CredentialCreate", "CredentialRead", "CredentialRotation", "CredentialUpdate"]

_CONFIG = ConfigDict(frozen=True, extra="forbid")


class CredentialCreate(BaseModel):
    model_config = _CONFIG
    name: Identifier
    value: SecretStr = Field(min_length=1)
    description: str | None = Field(default=None, max_length=1000)


class CredentialUpdate(BaseModel):
    model_config = _CONFIG
    value: SecretStr = Field(min_length=1)
    description: str | None = Field(default=None, max_length=1000, description="unchanged when absent")


class CredentialRead(BaseModel):
    model_config = _CONFIG
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime


class CredentialRotation(BaseModel):
    model_config = _CONFIG
    rotated: int = Field(description="how many credentials were re-encrypted with the newest key")
