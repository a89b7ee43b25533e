"""API schemas: who am I, users and API keys (a key's plaintext only in ``KeyCreated``, once)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from lockgate.security.api_keys import Role
from lockgate.spec.fields import JSON_INTEGER

__all__ = ["KeyCreate", "KeyCreated", "KeyRead", "MeRead", "UserCreate", "UserRead", "UserUpdate"]

_CONFIG = ConfigDict(frozen=True, extra="forbid")


class MeRead(BaseModel):
    model_config = _CONFIG
    user: str
    role: Role
    key_id: str


class UserCreate(BaseModel):
    model_config = _CONFIG
    name: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: Role


class UserUpdate(BaseModel):
    model_config = _CONFIG
    role: Role | None = None
    disabled: StrictBool | None = Field(default=None, description="true disables the user (every key stops working)")


class UserRead(BaseModel):
    model_config = _CONFIG
    id: str
    name: str
    role: Role
    created_at: datetime
    disabled_at: datetime | None


class KeyCreate(BaseModel):
    model_config = _CONFIG
    user: str = Field(min_length=1, description="the user's name or id")
    name: str = Field(min_length=1, max_length=200, description="what the key is for")
    expires_in_days: Annotated[int, Field(ge=1, le=3650), JSON_INTEGER] | None = None


class KeyRead(BaseModel):
    model_config = _CONFIG
    id: str
    user: str
    role: Role
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class KeyCreated(KeyRead):
    key: str = Field(description="the API key; shown this once, only its hash is stored")
