"""Triggers: webhooks (token and secret shown once) and cron schedules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictBool, field_validator

from lockgate.triggers.schedule import MissedPolicy, parse_timezone, validate_cron

__all__ = [
    "HookAccepted",
    "HookDuplicate",
    "HookFinished",
    "ScheduleCreate",
    "ScheduleRead",
    "ScheduleUpdate",
    "WebhookCreate",
    "WebhookCreated",
    "WebhookRead",
]

_READ = ConfigDict(frozen=True, extra="forbid")
# What a JSON Schema cannot spell out (a cron grammar, the tz database) is named by a format.
Cron = Annotated[str, Field(description="5 fields (minute hour day month weekday), or 6 with seconds last",
                            json_schema_extra={"format": "cron"})]  # fmt: skip
TimeZone = Annotated[str, Field(description="an IANA time zone (Europe/Paris, UTC): the cron is read in it (DST-aware)",
                                json_schema_extra={"format": "timezone"})]  # fmt: skip


class WebhookCreate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    secret: StrictBool = Field(default=False, description="generate an HMAC secret: requests must then be signed")
    enabled: StrictBool = True


class WebhookRead(BaseModel):
    model_config = _READ
    id: str
    pipeline: str
    signed: bool = Field(
        description='requests must carry Lockgate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">'
    )
    enabled: bool
    created_at: datetime


class WebhookCreated(WebhookRead):
    url: str = Field(description="where to POST; contains the token, shown only now")
    token: str = Field(description="shown only now; only its hash is stored")
    secret: str | None = Field(description="the HMAC secret, shown only now")


class HookAccepted(BaseModel):
    model_config = _READ
    run_id: str
    number: int
    status: str = "running"
    status_url: str


class HookDuplicate(BaseModel):
    """A delivery received before (the same signature, or the same Lockgate-Delivery id): nothing new started.

    The error body (code, detail) and the first run; OpenAPI describes it as the common error body.
    """

    model_config = _READ
    code: str
    detail: str
    run_id: str | None = Field(description="the run the first delivery started")
    status_url: str | None


class HookFinished(HookAccepted):
    output: JsonValue = None
    error: JsonValue = None


def _timezone(value: str) -> str:
    parse_timezone(value)
    return value


class ScheduleCreate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    cron: Cron = Field(examples=["0 9 * * 1-5"])
    timezone: TimeZone = "UTC"
    input: dict[str, JsonValue] = Field(default_factory=dict, description="the input of every run")
    missed: MissedPolicy = Field(
        default=MissedPolicy.SKIP, description="after downtime: skip the missed slots, or catch_up with one run"
    )
    enabled: StrictBool = True

    @field_validator("cron")
    @classmethod
    def _check_cron(cls, value: str) -> str:
        return validate_cron(value)

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        return _timezone(value)


class ScheduleUpdate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    cron: Cron | None = None
    timezone: TimeZone | None = None
    input: dict[str, JsonValue] | None = None
    missed: MissedPolicy | None = None
    enabled: StrictBool | None = None

    @field_validator("cron")
    @classmethod
    def _check_cron(cls, value: str | None) -> str | None:
        return None if value is None else validate_cron(value)

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str | None) -> str | None:
        return None if value is None else _timezone(value)


class ScheduleRead(BaseModel):
    model_config = _READ
    id: str
    pipeline: str
    cron: str
    timezone: str
    input: dict[str, JsonValue]
    missed: MissedPolicy
    enabled: bool
    last_fire_at: datetime | None = Field(description="the newest slot already considered")
    next_fire_at: datetime | None = Field(description="the next slot (null when disabled)")
    created_at: datetime
