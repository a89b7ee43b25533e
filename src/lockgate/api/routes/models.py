"""Routes: model profiles and agent profiles.

Model profiles are written by admins only: they send a credential to an endpoint they name. Agent profiles
(instructions, like definitions) are written by editors. Anyone with a key may read both.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Response

from lockgate.api.deps import Admin, Editor, StoreDep, Viewer
from lockgate.api.schemas.models import (
    AgentProfileCreate,
    AgentProfileRead,
    AgentProfileUpdate,
    ModelProfileCreate,
    ModelProfileRead,
    ModelProfileUpdate,
)
from lockgate.runtime.models import probe_model
from lockgate.store import profiles as store

__all__ = ["router"]

router = APIRouter(tags=["models"])
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such profile"}}
_CONFLICT: dict[int | str, dict[str, Any]] = {409: {"description": "a profile of that name exists"}}


def _model(record: store.ModelProfileRecord) -> ModelProfileRead:
    return ModelProfileRead(**dataclasses.asdict(record))


def _agent(record: store.AgentProfileRecord) -> AgentProfileRead:
    return AgentProfileRead(**dataclasses.asdict(record))


@router.get("/models", summary="Model profiles, by name")
async def list_models(_: Viewer, store_: StoreDep) -> list[ModelProfileRead]:
    return [_model(r) for r in await store_.read(store.list_model_profiles)]


@router.post("/models", status_code=201, summary="Add a model profile", responses=_CONFLICT)
async def create_model(_: Admin, body: ModelProfileCreate, store_: StoreDep) -> ModelProfileRead:
    record = await store_.write(store.create_model_profile, body.model_dump(mode="json"), store_.runtime.clock.now())
    return _model(record)


@router.get("/models/{name}", summary="One model profile", responses=_NOT_FOUND)
async def get_model(_: Viewer, name: str, store_: StoreDep) -> ModelProfileRead:
    return _model(await store_.read(store.get_model_profile, name))


@router.patch("/models/{name}", summary="Change some fields of a model profile", responses=_NOT_FOUND)
async def update_model(_: Admin, name: str, body: ModelProfileUpdate, store_: StoreDep) -> ModelProfileRead:
    values = body.model_dump(mode="json", exclude_unset=True)
    return _model(await store_.write(store.update_model_profile, name, values, store_.runtime.clock.now()))


@router.post(
    "/models/{name}/test",
    summary="Probe the model's server and store what it does",
    responses={**_NOT_FOUND, 503: {"description": "the server could not be reached"}},
)
async def test_model(_: Admin, name: str, store_: StoreDep) -> ModelProfileRead:
    """About nine small requests: usage in streams, the output-cap field, tool_choice, json_schema, concurrency."""
    runtime = store_.runtime
    record = await probe_model(store_.read, store_.write, runtime.cipher, runtime.settings, name, runtime.clock.now())
    return _model(record)


@router.delete("/models/{name}", status_code=204, summary="Delete a model profile", responses=_NOT_FOUND)
async def delete_model(_: Admin, name: str, store_: StoreDep) -> Response:
    await store_.write(store.delete_model_profile, name)
    return Response(status_code=204)


@router.get("/agent-profiles", summary="Agent profiles (predefined team members), by name")
async def list_agent_profiles(_: Viewer, store_: StoreDep) -> list[AgentProfileRead]:
    return [_agent(r) for r in await store_.read(store.list_agent_profiles)]


@router.post("/agent-profiles", status_code=201, summary="Add an agent profile", responses=_CONFLICT)
async def create_agent_profile(_: Editor, body: AgentProfileCreate, store_: StoreDep) -> AgentProfileRead:
    record = await store_.write(store.create_agent_profile, body.model_dump(mode="json"), store_.runtime.clock.now())
    return _agent(record)


@router.get("/agent-profiles/{name}", summary="One agent profile", responses=_NOT_FOUND)
async def get_agent_profile(_: Viewer, name: str, store_: StoreDep) -> AgentProfileRead:
    return _agent(await store_.read(store.get_agent_profile, name))


@router.patch("/agent-profiles/{name}", summary="Change some fields of an agent profile", responses=_NOT_FOUND)
async def update_agent_profile(_: Editor, name: str, body: AgentProfileUpdate, store_: StoreDep) -> AgentProfileRead:
    values = body.model_dump(mode="json", exclude_unset=True)
    return _agent(await store_.write(store.update_agent_profile, name, values, store_.runtime.clock.now()))


@router.delete("/agent-profiles/{name}", status_code=204, summary="Delete an agent profile", responses=_NOT_FOUND)
async def delete_agent_profile(_: Editor, name: str, store_: StoreDep) -> Response:
    await store_.write(store.delete_agent_profile, name)
    return Response(status_code=204)
