"""Routes: triggers — webhooks (management, and the public receiver) and cron schedules."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any, assert_never

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import JsonValue
from sqlalchemy import Connection

from lockgate.api.deps import Editor, RuntimeDep, StoreDep, Viewer
from lockgate.api.errors import AuthenticationError
from lockgate.api.schemas.triggers import (
    HookAccepted,
    HookDuplicate,
    HookFinished,
    ScheduleCreate,
    ScheduleRead,
    ScheduleUpdate,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
)
from lockgate.compile import validate_input
from lockgate.errors import DuplicateDeliveryError, InvalidInputError, NotFoundError
from lockgate.runtime import Runtime
from lockgate.runtime.starting import Claim
from lockgate.security.credentials import CredentialCipher, load_cipher
from lockgate.store import deliveries
from lockgate.store import triggers as trigger_store
from lockgate.store.pipelines import get_pipeline
from lockgate.store.runs import RunHead
from lockgate.triggers import webhook
from lockgate.triggers.schedule import MissedPolicy, next_fire_time, parse_timezone

__all__ = ["router"]

router = APIRouter(tags=["triggers"])
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "not found"}}
MAX_WAIT = 300.0


def _cipher(runtime: Runtime) -> CredentialCipher:
    key = runtime.settings.secret_key
    return load_cipher(key.get_secret_value() if key is not None else None, runtime.settings.home)


# ---- webhooks ------------------------------------------------------------------------------------


def _webhook_read(record: trigger_store.WebhookRecord) -> WebhookRead:
    return WebhookRead(id=record.id, pipeline=record.pipeline, signed=record.secret_ciphertext is not None,
                       enabled=record.enabled, created_at=record.created_at)  # fmt: skip


@router.post("/pipelines/{name}/webhooks", status_code=201, summary="A webhook URL that starts runs",
             responses=_NOT_FOUND)  # fmt: skip
async def create_webhook(
    name: str, body: WebhookCreate, request: Request, runtime: RuntimeDep, store: StoreDep, _: Editor
) -> WebhookCreated:
    token = webhook.new_token()
    secret = webhook.new_secret() if body.secret else None
    ciphertext = _cipher(runtime).encrypt(secret) if secret is not None else None
    record = await store.write(trigger_store.create_webhook, name, webhook.hash_token(token), ciphertext,
                               body.enabled, runtime.clock.now())  # fmt: skip
    path = request.app.url_path_for("receive_webhook", token=token)
    url = str(request.base_url).rstrip("/") + path
    return WebhookCreated(**_webhook_read(record).model_dump(), url=url, token=token, secret=secret)


@router.get("/pipelines/{name}/webhooks", summary="A pipeline's webhooks (never their tokens)", responses=_NOT_FOUND)
async def list_webhooks(name: str, store: StoreDep, _: Viewer) -> list[WebhookRead]:
    return [_webhook_read(r) for r in await store.read(trigger_store.list_webhooks, name)]


@router.delete("/webhooks/{webhook_id}", status_code=204, summary="Delete a webhook", responses=_NOT_FOUND)
async def delete_webhook(webhook_id: str, store: StoreDep, _: Editor) -> Response:
    await store.write(trigger_store.delete_webhook, webhook_id)
    return Response(status_code=204)


async def _hook_input(request: Request, raw: bytes, store: StoreDep, found: trigger_store.WebhookRecord) -> Any:
    def spec_of(conn: Connection) -> Any:
        return trigger_store.latest_version(conn, get_pipeline(conn, found.pipeline_id)).spec()

    spec = await store.read(spec_of)
    envelope = webhook.envelope(webhook.parse_body(raw), request.headers.items(), request.query_params.multi_items())
    return spec, webhook.map_input(spec.input, envelope)  # checked by start_run


def _delivery(
    request: Request, raw: bytes, runtime: Runtime, found: trigger_store.WebhookRecord
) -> deliveries.Delivery | None:
    """The delivery to remember (None: an unsigned hook called without a Lockgate-Delivery id); 401 when refused."""
    now = runtime.clock.now()
    delivery_id = request.headers.get(webhook.DELIVERY_HEADER)
    signature, signed_at = None, now
    if found.secret_ciphertext is not None:
        secret = _cipher(runtime).decrypt(found.secret_ciphertext, f"webhook {found.id}")
        checked = webhook.verify(secret, raw, request.headers.get(webhook.SIGNATURE_HEADER), now,
                                 runtime.settings.webhook_tolerance,
                                 legacy=webhook.LEGACY_SIGNATURE_HEADER in request.headers)  # fmt: skip
        match checked:
            case webhook.Refused(reason=reason):
                raise AuthenticationError(reason)
            case webhook.Signed(at=at, digest=digest):
                signature, signed_at = digest, at
            case _:
                assert_never(checked)
    if delivery_id is not None and (problem := webhook.delivery_problem(delivery_id)) is not None:
        raise InvalidInputError([problem])
    if signature is None and delivery_id is None:
        return None
    return deliveries.Delivery(found.id, signature, delivery_id, signed_at)


def _claim(delivery: deliveries.Delivery | None, runtime: Runtime) -> Claim | None:
    if delivery is None:
        return None

    def claim(conn: Connection, head: RunHead) -> None:
        deliveries.remember(conn, delivery, head.id, runtime.clock.now())

    return claim


def _duplicate(exc: DuplicateDeliveryError) -> JSONResponse:
    status_url = f"/api/v1/runs/{exc.run_id}" if exc.run_id is not None else None
    body = HookDuplicate(code=exc.code, detail=exc.detail, run_id=exc.run_id, status_url=status_url)
    return JSONResponse(body.model_dump(mode="json"), status_code=409)


@router.post(
    "/hooks/{token}",
    name="receive_webhook",
    status_code=202,
    summary="Start a run (public: the token, and Lockgate-Signature when the webhook has a secret)",
    responses={
        200: {"model": HookFinished},
        401: {"description": "missing, bad or stale signature"},
        409: {
            "description": "this delivery was received before (code duplicate_delivery); the body's run_id and "
            "status_url name the run the first one started"
        },
        **_NOT_FOUND,
    },
)
async def receive_webhook(
    token: str,
    request: Request,
    runtime: RuntimeDep,
    store: StoreDep,
    wait: Annotated[bool, Query(description="wait for the run to finish (200), else 202 at the timeout")] = False,
    wait_seconds: Annotated[float, Query(alias="timeout", gt=0, le=MAX_WAIT, description="seconds to wait")] = 30.0,
) -> Any:
    found = await store.read(trigger_store.find_webhook, webhook.hash_token(token))
    if found is None:
        raise NotFoundError("webhook", "(this URL)")  # unknown and disabled look the same
    raw = await request.body()
    delivery = _delivery(request, raw, runtime, found)
    spec, input_ = await _hook_input(request, raw, store, found)

    try:
        head = await runtime.start_run(spec, None, input_, claim=_claim(delivery, runtime))
    except DuplicateDeliveryError as exc:
        return _duplicate(exc)
    accepted = HookAccepted(run_id=head.id, number=head.number, status_url=f"/api/v1/runs/{head.id}")
    if not wait:
        return JSONResponse(accepted.model_dump(mode="json"), status_code=202)
    try:
        state = await asyncio.wait_for(runtime.wait(head.id), timeout=wait_seconds)
    except TimeoutError:
        return JSONResponse(accepted.model_dump(mode="json"), status_code=202)
    error: JsonValue = None if state.error is None else _jsonable(state.error)
    finished = HookFinished(**accepted.model_dump(exclude={"status"}), status=state.status.value,
                            output=state.output, error=error)  # fmt: skip
    return JSONResponse(finished.model_dump(mode="json"), status_code=200)


def _jsonable(value: Any) -> JsonValue:
    dump = getattr(value, "model_dump", None)
    if dump is not None:
        result: JsonValue = dump(mode="json")
        return result
    return str(value)


# ---- schedules -----------------------------------------------------------------------------------


def _schedule_read(record: trigger_store.ScheduleRecord, now: datetime) -> ScheduleRead:
    next_at = next_fire_time(record.cron, parse_timezone(record.timezone), now) if record.enabled else None
    return ScheduleRead(
        id=record.id, pipeline=record.pipeline, cron=record.cron, timezone=record.timezone, input=record.input,
        missed=MissedPolicy(record.missed), enabled=record.enabled, last_fire_at=record.last_fire_at,
        next_fire_at=next_at, created_at=record.created_at,
    )  # fmt: skip


@router.post("/pipelines/{name}/schedules", status_code=201, summary="Run a pipeline on a cron schedule",
             responses=_NOT_FOUND)  # fmt: skip
async def create_schedule(
    name: str, body: ScheduleCreate, runtime: RuntimeDep, store: StoreDep, _: Editor
) -> ScheduleRead:
    now = runtime.clock.now()

    def create(conn: Connection) -> trigger_store.ScheduleRecord:
        pipeline = get_pipeline(conn, name)
        input_ = validate_input(trigger_store.latest_version(conn, pipeline).spec(), body.input)
        values = {"cron": body.cron, "timezone": body.timezone, "input": input_, "missed": body.missed.value,
                  "enabled": body.enabled, "last_fire_at": None}  # fmt: skip
        return trigger_store.create_schedule(conn, pipeline.id, values, now)

    return _schedule_read(await store.write(create), now)


@router.get("/pipelines/{name}/schedules", summary="A pipeline's schedules", responses=_NOT_FOUND)
async def list_schedules(name: str, runtime: RuntimeDep, store: StoreDep, _: Viewer) -> list[ScheduleRead]:
    now = runtime.clock.now()
    return [_schedule_read(r, now) for r in await store.read(trigger_store.list_schedules, name)]


@router.patch("/schedules/{schedule_id}", summary="Change a schedule", responses=_NOT_FOUND)
async def update_schedule(
    schedule_id: str, body: ScheduleUpdate, runtime: RuntimeDep, store: StoreDep, _: Editor
) -> ScheduleRead:
    now = runtime.clock.now()
    changes = body.model_dump(exclude_unset=True, exclude_none=True, mode="json")

    def update(conn: Connection) -> trigger_store.ScheduleRecord:
        current = trigger_store.get_schedule(conn, schedule_id)
        if "input" in changes:
            spec = trigger_store.latest_version(conn, get_pipeline(conn, current.pipeline_id)).spec()
            changes["input"] = validate_input(spec, changes["input"])
        reenabled = changes.get("enabled") is True and not current.enabled
        if reenabled or "cron" in changes or "timezone" in changes:
            # slots of the old rule, or of the time it was off, were not missed: the new rule starts now
            changes["last_fire_at"] = now
        return trigger_store.update_schedule(conn, schedule_id, changes)

    return _schedule_read(await store.write(update), now)


@router.delete("/schedules/{schedule_id}", status_code=204, summary="Delete a schedule", responses=_NOT_FOUND)
async def delete_schedule(schedule_id: str, store: StoreDep, _: Editor) -> Response:
    await store.write(trigger_store.delete_schedule, schedule_id)
    return Response(status_code=204)
