"""Which model an agent step uses: a stored model profile, or the default the environment gives.

Resolved twice: when a definition is validated or a run is created (every agent node, every team member:
a missing profile, credential or key is a definition error naming the setting), and when an attempt runs
(with its API key, decrypted for that attempt only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lockgate.errors import DefinitionError, InvalidInputError, NotFoundError, PermanentStepError, UnavailableError
from lockgate.handlers.agent.services import CapField, ModelProfileData, Provider
from lockgate.spec.agent import OutputMode
from lockgate.store import credentials as credential_store
from lockgate.store import profiles as profile_store

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from datetime import datetime

    from sqlalchemy import Connection

    from lockgate.handlers.agent.findings import ProbeReport
    from lockgate.security.credentials import CredentialCipher
    from lockgate.settings import Settings
    from lockgate.spec.nodes import Node
    from lockgate.spec.pipeline import PipelineSpec

__all__ = ["ModelProblem", "model_credential", "model_problems", "probe_model", "resolve_model"]

_ADD = "add one with `lockgate models add` or POST /api/v1/models"


class ModelProblem(Exception):  # noqa: N818 - a message on its way to a DefinitionError or a StepError
    pass


_PROVIDERS = {p.value for p in Provider}


def _env_profile(settings: Settings, spec: str) -> ModelProfileData:
    # ``x:y`` names a provider only when x is one: ``llama3.2:3b`` is an Ollama model id, whole
    provider_name, sep, model_id = spec.partition(":")
    if not sep or provider_name not in _PROVIDERS:
        provider_name, model_id = "", spec
    base_url = settings.openai_base_url
    if provider_name == "anthropic":
        key = settings.anthropic_api_key
        if key is None:
            raise ModelProblem(f"LOCKGATE_MODEL is {spec!r} but ANTHROPIC_API_KEY is not set")
        provider, base_url = Provider.ANTHROPIC, None
    else:
        key = settings.openai_api_key
        provider = Provider.OPENAI_COMPATIBLE if base_url else Provider.OPENAI
        if provider is Provider.OPENAI and key is None:
            raise ModelProblem(f"LOCKGATE_MODEL is {spec!r} but neither OPENAI_API_KEY nor OPENAI_BASE_URL is set")
    return ModelProfileData(
        name="default", provider=provider, model_id=model_id, base_url=base_url,
        api_key=key.get_secret_value() if key else None,
        input_price=settings.model_input_price, output_price=settings.model_output_price,
    )  # fmt: skip


def _stored(conn: Connection, cipher: CredentialCipher | None, settings: Settings,
            record: profile_store.ModelProfileRecord) -> ModelProfileData:  # fmt: skip
    provider = Provider(record.provider)
    key: str | None = None
    if record.credential is not None:
        if cipher is None:  # a check: the credential must exist, its value is not needed
            credential_store.get_credential(conn, record.credential)
        else:
            key = credential_store.reveal_credentials(conn, cipher, [record.credential]).get(record.credential)
            if key is None:
                raise NotFoundError("credential", record.credential)
    elif provider is Provider.OPENAI:
        secret = settings.openai_api_key
        if secret is None:
            raise ModelProblem(f"model profile {record.name!r} (openai) names no credential and OPENAI_API_KEY is "
                               "not set")  # fmt: skip
        key = secret.get_secret_value()
    elif provider is Provider.ANTHROPIC:
        secret = settings.anthropic_api_key
        if secret is None:
            raise ModelProblem(f"model profile {record.name!r} (anthropic) names no credential and "
                               "ANTHROPIC_API_KEY is not set")  # fmt: skip
        key = secret.get_secret_value()
    return ModelProfileData(
        name=record.name, provider=provider, model_id=record.model_id, base_url=record.base_url, api_key=key,
        temperature=record.temperature, max_tokens=record.max_tokens, input_price=record.input_price,
        output_price=record.output_price, stream_usage=record.stream_usage,
        cap_field=CapField(record.cap_field) if record.cap_field else None,
        output_mode=OutputMode(record.output_mode) if record.output_mode else None,
        max_concurrency=record.max_concurrency, context_window=record.context_window,
        requests_per_minute=record.requests_per_minute, tokens_per_minute=record.tokens_per_minute,
    )  # fmt: skip


def _lookup(
    conn: Connection, cipher: CredentialCipher | None, settings: Settings, name: str | None
) -> ModelProfileData:
    if name is None:
        if settings.model is None:
            raise ModelProblem("no model: the node names none and LOCKGATE_MODEL is not set "
                               f"(set it, or give config.model a model profile; {_ADD})")  # fmt: skip
        try:
            return _stored(conn, cipher, settings, profile_store.get_model_profile(conn, settings.model))
        except NotFoundError as exc:
            if exc.kind != "model profile":
                raise
        return _env_profile(settings, settings.model)
    try:
        record = profile_store.get_model_profile(conn, name)
    except NotFoundError:
        raise ModelProblem(f"no model profile named {name!r} ({_ADD})") from None
    return _stored(conn, cipher, settings, record)


def resolve_model(conn: Connection, cipher: CredentialCipher, settings: Settings, name: str | None) -> ModelProfileData:
    """The profile an attempt uses, its API key included; raises PermanentStepError('model_not_configured')."""
    try:
        return _lookup(conn, cipher, settings, name)
    except (ModelProblem, NotFoundError) as exc:
        detail = exc.detail if isinstance(exc, NotFoundError) else str(exc)
        raise PermanentStepError("model_not_configured", detail) from None


def model_credential(conn: Connection, profile: str) -> str | None:
    """The credential holding a stored profile's key (None: the environment's key, or no stored profile)."""
    try:
        return profile_store.get_model_profile(conn, profile).credential
    except NotFoundError:
        return None


def _node_problems(conn: Connection, settings: Settings, node: Node) -> list[DefinitionError]:
    uses: list[tuple[str, str | None]] = []
    problems: list[DefinitionError] = []
    for use in node.models_used():
        name = use.model
        if use.agent_profile is not None:
            profile, where = use.agent_profile
            try:
                name = profile_store.get_agent_profile(conn, profile).model
            except NotFoundError:
                problems.append(DefinitionError(f"no agent profile named {profile!r} (add one with "
                                                "`lockgate agents add` or POST /api/v1/agent-profiles)", node.id,
                                                where))  # fmt: skip
                continue
        uses.append((use.field, name or use.default))
    for field, name in dict.fromkeys(uses):
        try:
            _lookup(conn, None, settings, name)
        except (ModelProblem, NotFoundError) as exc:
            detail = exc.detail if isinstance(exc, NotFoundError) else str(exc)
            problems.append(DefinitionError(detail, node.id, field))
    return problems


def model_problems(conn: Connection, settings: Settings, spec: PipelineSpec) -> list[DefinitionError]:
    """Every model a node uses (a kind that ``uses_models``) must be configured: one error per setting that is not."""
    problems: list[DefinitionError] = []
    for node in spec.nodes:
        if node.needs.uses_models:
            problems += _node_problems(conn, settings, node)
    return problems


def _probed(report: ProbeReport, now: datetime) -> dict[str, object]:
    return {
        "stream_usage": report.stream_usage, "cap_field": report.cap_field, "output_mode": report.output_mode,
        "max_concurrency": report.max_concurrency, "context_window": report.context_window,
        "probe": report.model_dump(mode="json"), "probed_at": now,
    }  # fmt: skip


async def probe_model(
    read: Callable[..., Awaitable[Any]],
    write: Callable[..., Awaitable[Any]],
    cipher: CredentialCipher,
    settings: Settings,
    name: str,
    now: datetime,
) -> profile_store.ModelProfileRecord:
    """Probe a stored profile's server and store what it does (``read``/``write`` run a function on a connection).

    Raises NotFoundError (no such profile), PermanentStepError('model_not_configured'), UnavailableError (the
    server cannot be reached).
    """
    import httpx  # here: the server that imports this module to start never probes on its own

    from lockgate.handlers.agent.probing import probe

    await read(profile_store.get_model_profile, name)
    try:
        profile: ModelProfileData = await read(resolve_model, cipher, settings, name)
    except PermanentStepError as exc:
        raise InvalidInputError([f"model profile {name!r}: {exc.detail}"]) from None
    try:
        report = await probe(profile)
    # unreachable, a base URL that is not one, or answers that are not OpenAI's shape: the server's fault
    except (httpx.HTTPError, httpx.InvalidURL, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise UnavailableError(f"model profile {name!r}: the server at {profile.base_url or 'OpenAI'} could not be "
                               f"probed: {exc.__class__.__name__}: {exc}") from None  # fmt: skip
    record: profile_store.ModelProfileRecord = await write(profile_store.update_model_profile, name,
                                                           _probed(report, now), now)  # fmt: skip
    return record
