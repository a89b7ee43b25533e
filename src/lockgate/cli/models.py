"""``lockgate models …`` and ``lockgate agents …``: model profiles and agent profiles in the database."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError
from rich.table import Table

from lockgate.api.schemas.models import AgentProfileRead, AgentProfileUpdate, ModelProfileRead, ModelProfileUpdate
from lockgate.cli.lazy import LAZY_GROUPS
from lockgate.cli.options import console, exit_on_errors, print_read, settings
from lockgate.errors import InvalidInputError, validation_message
from lockgate.handlers.agent.services import CapField, Provider
from lockgate.runtime.clock import SystemClock
from lockgate.runtime.models import probe_model
from lockgate.security.credentials import load_cipher
from lockgate.spec.agent import BuiltinTool, OutputMode
from lockgate.store import profiles as store
from lockgate.store.database import Database
from lockgate.store.migrate import upgrade

__all__ = ["agents_app", "models_app"]

# ``lockgate`` imports this module only to run these groups: their help is listed from LAZY_GROUPS.
models_app = typer.Typer(help=LAZY_GROUPS["models"].help, no_args_is_help=True)
agents_app = typer.Typer(help=LAZY_GROUPS["agents"].help, no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="print the profile(s) as JSON (the API's shape)")]
ClearOption = Annotated[
    list[str] | None, typer.Option("--clear", help="set an optional field back to none (repeat), e.g. base-url")
]
# what the server does: `models test` finds it out, these set it by hand
StreamUsageOption = Annotated[
    bool | None, typer.Option("--stream-usage/--no-stream-usage", help="the server reports usage in streams")
]
CapFieldOption = Annotated[
    CapField | None, typer.Option(help="the output-cap field the server honours (none: Lockgate cuts the stream)")
]
OutputModeOption = Annotated[
    OutputMode | None, typer.Option(help="structured output that works: tool, named_tool, native, prompted")
]
ConcurrencyOption = Annotated[
    int | None, typer.Option(min=1, help="requests the server serves at once; more wait in a queue")
]
WindowOption = Annotated[int | None, typer.Option(min=1, help="the model's context window, in tokens")]
RequestsOption = Annotated[int | None, typer.Option(min=1, help="requests in any minute (more wait)")]
TokensOption = Annotated[int | None, typer.Option(min=1, help="tokens in any minute (more wait)")]


@contextlib.contextmanager
def _db(ctx: typer.Context) -> Iterator[Database]:
    cfg = settings(ctx)
    db = Database(cfg.db_url, synchronous=cfg.sqlite_synchronous)
    try:
        upgrade(db)
        yield db
    finally:
        db.dispose()


def _echo(records: Any) -> None:
    first = records[0] if isinstance(records, list) and records else records
    print_read(AgentProfileRead if isinstance(first, store.AgentProfileRecord) else ModelProfileRead, records)


def _changes(schema: type[BaseModel], given: dict[str, Any], clear: list[str] | None) -> dict[str, Any]:
    """The fields to change, checked as the API checks them; problems name the option."""
    values = {k: v for k, v in given.items() if v is not None}
    for name in clear or []:
        field = name.replace("-", "_")
        if field not in schema.model_fields:
            raise InvalidInputError([f"--clear: {name!r} is not a field (fields: "
                                     f"{', '.join(f.replace('_', '-') for f in schema.model_fields)})"])  # fmt: skip
        if field in values:
            raise InvalidInputError([f"--clear {name}: the field is also given a value"])
        values[field] = None
    if not values:
        raise InvalidInputError(["nothing to change: give at least one option (see --help)"])
    try:
        checked = schema.model_validate(values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            message = validation_message(error)
            problems.append(f"--{where.replace('_', '-')}: {message}" if where else f"--clear: {message}")
        raise InvalidInputError(problems) from None
    return checked.model_dump(mode="json", exclude_unset=True)


def _report(kind: str, before: Any, after: Any) -> None:
    old, new = dataclasses.asdict(before), dataclasses.asdict(after)
    changed = [k for k in new if k not in {"created_at", "updated_at"} and old[k] != new[k]]
    console.print(f"updated {kind} {after.name}" + ("" if changed else " (no field changed)"), highlight=False)
    for k in changed:
        console.print(f"  {k}: {json.dumps(old[k])} → {json.dumps(new[k])}", highlight=False)


@models_app.command("add")
def add_model(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the name nodes use in config.model")],
    provider: Annotated[Provider, typer.Option(help="openai, anthropic or openai_compatible")],
    model_id: Annotated[str, typer.Option("--model-id", help="the provider's model name")],
    base_url: Annotated[str | None, typer.Option(help="the API base URL, e.g. http://127.0.0.1:11434/v1")] = None,
    credential: Annotated[str | None, typer.Option(help="the credential holding the API key")] = None,
    temperature: Annotated[float | None, typer.Option(min=0, max=2)] = None,
    max_tokens: Annotated[int | None, typer.Option(min=1, help="output tokens per request")] = None,
    input_price: Annotated[float, typer.Option(min=0, help="US$ per million input tokens")] = 0.0,
    output_price: Annotated[float, typer.Option(min=0, help="US$ per million output tokens")] = 0.0,
    description: Annotated[str | None, typer.Option()] = None,
    stream_usage: StreamUsageOption = None,
    cap_field: CapFieldOption = None,
    output_mode: OutputModeOption = None,
    max_concurrency: ConcurrencyOption = None,
    context_window: WindowOption = None,
    requests_per_minute: RequestsOption = None,
    tokens_per_minute: TokensOption = None,
    json_output: JsonOption = False,
) -> None:
    """Add a model profile (its API key: `lockgate credentials set NAME`, then --credential NAME).

    `lockgate models test NAME` then finds out what its server does (or set --cap-field and the rest by hand).
    """
    values: dict[str, Any] = {
        "name": name,
        "provider": provider.value,
        "model_id": model_id,
        "base_url": base_url,
        "credential": credential,
        "temperature": temperature,
        "max_tokens": max_tokens,
        "input_price": input_price,
        "output_price": output_price,
        "description": description,
        "stream_usage": stream_usage,
        "cap_field": cap_field.value if cap_field else None,
        "output_mode": output_mode.value if output_mode else None,
        "max_concurrency": max_concurrency,
        "context_window": context_window,
        "requests_per_minute": requests_per_minute,
        "tokens_per_minute": tokens_per_minute,
    }
    with exit_on_errors(), _db(ctx) as db, db.write() as conn:
        record = store.create_model_profile(conn, values, SystemClock().now())
    if json_output:
        _echo(record)
        return
    console.print(f"added model profile {name}")


@models_app.command("list")
def list_models(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Every model profile with its prices (US$ per million tokens, in / out)."""
    with exit_on_errors(), _db(ctx) as db, db.read() as conn:
        records = store.list_model_profiles(conn)
    if json_output:
        _echo(records)
        return
    table = Table("name", "provider", "model", "base url", "credential", "price in/out", box=None, header_style="bold")
    for r in records:
        table.add_row(r.name, r.provider, r.model_id, r.base_url or "", r.credential or "",
                      f"{r.input_price:g} / {r.output_price:g}")  # fmt: skip
    console.print(table)


@models_app.command("show")
def show_model(ctx: typer.Context, name: Annotated[str, typer.Argument()], json_output: JsonOption = False) -> None:
    """One model profile, every field (the credential by name: its value is never shown)."""
    with exit_on_errors(), _db(ctx) as db, db.read() as conn:
        record = store.get_model_profile(conn, name)
    if json_output:
        _echo(record)
        return
    for key, value in dataclasses.asdict(record).items():
        console.print(f"{key:<13} {'' if value is None else value}", highlight=False)


@models_app.command("update")
def update_model(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the profile to change; only the options given change")],
    provider: Annotated[Provider | None, typer.Option(help="openai, anthropic or openai_compatible")] = None,
    model_id: Annotated[str | None, typer.Option("--model-id", help="the provider's model name")] = None,
    base_url: Annotated[str | None, typer.Option(help="the API base URL")] = None,
    credential: Annotated[str | None, typer.Option(help="the credential holding the API key")] = None,
    temperature: Annotated[float | None, typer.Option(min=0, max=2)] = None,
    max_tokens: Annotated[int | None, typer.Option(min=1, help="output tokens per request")] = None,
    input_price: Annotated[float | None, typer.Option(min=0, help="US$ per million input tokens")] = None,
    output_price: Annotated[float | None, typer.Option(min=0, help="US$ per million output tokens")] = None,
    description: Annotated[str | None, typer.Option()] = None,
    stream_usage: StreamUsageOption = None,
    cap_field: CapFieldOption = None,
    output_mode: OutputModeOption = None,
    max_concurrency: ConcurrencyOption = None,
    context_window: WindowOption = None,
    requests_per_minute: RequestsOption = None,
    tokens_per_minute: TokensOption = None,
    clear: ClearOption = None,
    json_output: JsonOption = False,
) -> None:
    """Change some fields of a model profile; --clear FIELD empties an optional one (required ones cannot be)."""
    given = {"provider": provider.value if provider else None, "model_id": model_id, "base_url": base_url,
             "credential": credential, "temperature": temperature, "max_tokens": max_tokens,
             "input_price": input_price, "output_price": output_price, "description": description,
             "stream_usage": stream_usage, "cap_field": cap_field.value if cap_field else None,
             "output_mode": output_mode.value if output_mode else None, "max_concurrency": max_concurrency,
             "context_window": context_window, "requests_per_minute": requests_per_minute,
             "tokens_per_minute": tokens_per_minute}  # fmt: skip
    with exit_on_errors():
        values = _changes(ModelProfileUpdate, given, clear)
        with _db(ctx) as db, db.write() as conn:
            before = store.get_model_profile(conn, name)
            after = store.update_model_profile(conn, name, values, SystemClock().now())
    if json_output:
        _echo(after)
        return
    _report("model profile", before, after)


@models_app.command("test")
def test_model(ctx: typer.Context, name: Annotated[str, typer.Argument()], json_output: JsonOption = False) -> None:
    """Probe the profile's server (about nine small requests) and store what it does; prints each finding."""
    cfg = settings(ctx)
    with exit_on_errors(), _db(ctx) as db:

        async def read(fn: Any, *args: Any) -> Any:
            with db.read() as conn:
                return fn(conn, *args)

        async def write(fn: Any, *args: Any) -> Any:
            with db.write() as conn:
                return fn(conn, *args)

        cipher = load_cipher(cfg.secret_key.get_secret_value() if cfg.secret_key else None, cfg.home)
        record = asyncio.run(probe_model(read, write, cipher, cfg, name, SystemClock().now()))
    if json_output:
        _echo(record)
        return
    report = record.probe or {}
    console.print(f"probed model profile {name} ({report.get('requests', 0)} requests):", highlight=False)
    for note in report.get("notes", []):
        console.print(f"  {note}", highlight=False, markup=False)
    for key in ("stream_usage", "cap_field", "output_mode", "max_concurrency", "context_window"):
        value = getattr(record, key)
        console.print(f"{key:<16} {'not known' if value is None else value}", highlight=False)


@models_app.command("delete")
def delete_model(ctx: typer.Context, name: Annotated[str, typer.Argument()]) -> None:
    """Delete a model profile."""
    with exit_on_errors(), _db(ctx) as db, db.write() as conn:
        store.delete_model_profile(conn, name)
    console.print(f"deleted model profile {name}")


@agents_app.command("add")
def add_agent(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the name team members use in `profile:`")],
    model: Annotated[str | None, typer.Option(help="a model profile; default: the node's")] = None,
    instructions: Annotated[str | None, typer.Option(help="the agent's instructions")] = None,
    instructions_file: Annotated[Path | None, typer.Option(exists=True, dir_okay=False)] = None,
    tool: Annotated[
        list[BuiltinTool] | None, typer.Option(help="a built-in tool (repeat); default: the node's")
    ] = None,
    temperature: Annotated[float | None, typer.Option(min=0, max=2)] = None,
    description: Annotated[str | None, typer.Option()] = None,
    json_output: JsonOption = False,
) -> None:
    """Add an agent profile."""
    text = instructions_file.read_text(encoding="utf-8") if instructions_file is not None else instructions
    values: dict[str, Any] = {
        "name": name,
        "model": model,
        "instructions": text,
        "temperature": temperature,
        "tools": [t.value for t in tool] if tool else None,
        "description": description,
    }
    with exit_on_errors(), _db(ctx) as db, db.write() as conn:
        record = store.create_agent_profile(conn, values, SystemClock().now())
    if json_output:
        _echo(record)
        return
    console.print(f"added agent profile {name}")


@agents_app.command("list")
def list_agents(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Every agent profile."""
    with exit_on_errors(), _db(ctx) as db, db.read() as conn:
        records = store.list_agent_profiles(conn)
    if json_output:
        _echo(records)
        return
    table = Table("name", "model", "tools", "instructions", box=None, header_style="bold")
    for r in records:
        table.add_row(r.name, r.model or "", ", ".join(r.tools or []), (r.instructions or "")[:60])
    console.print(table)


@agents_app.command("show")
def show_agent(ctx: typer.Context, name: Annotated[str, typer.Argument()], json_output: JsonOption = False) -> None:
    """One agent profile, its instructions in full."""
    with exit_on_errors(), _db(ctx) as db, db.read() as conn:
        record = store.get_agent_profile(conn, name)
    if json_output:
        _echo(record)
        return
    for key, value in dataclasses.asdict(record).items():
        if key != "instructions":
            shown = ", ".join(value) if isinstance(value, list) else "" if value is None else value
            console.print(f"{key:<12} {shown}", highlight=False)
    console.print(f"instructions\n{record.instructions or ''}", highlight=False, markup=False)


@agents_app.command("update")
def update_agent(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the profile to change; only the options given change")],
    model: Annotated[str | None, typer.Option(help="a model profile")] = None,
    instructions: Annotated[str | None, typer.Option(help="the agent's instructions")] = None,
    instructions_file: Annotated[Path | None, typer.Option(exists=True, dir_okay=False)] = None,
    tool: Annotated[list[BuiltinTool] | None, typer.Option(help="a built-in tool (repeat): the new list")] = None,
    temperature: Annotated[float | None, typer.Option(min=0, max=2)] = None,
    description: Annotated[str | None, typer.Option()] = None,
    clear: ClearOption = None,
    json_output: JsonOption = False,
) -> None:
    """Change some fields of an agent profile; --clear FIELD empties one (e.g. tools: the node's apply again)."""
    if instructions is not None and instructions_file is not None:
        raise typer.BadParameter("give --instructions or --instructions-file, not both")
    text = instructions_file.read_text(encoding="utf-8") if instructions_file is not None else instructions
    given = {"model": model, "instructions": text, "tools": [t.value for t in tool] if tool else None,
             "temperature": temperature, "description": description}  # fmt: skip
    with exit_on_errors():
        values = _changes(AgentProfileUpdate, given, clear)
        with _db(ctx) as db, db.write() as conn:
            before = store.get_agent_profile(conn, name)
            after = store.update_agent_profile(conn, name, values, SystemClock().now())
    if json_output:
        _echo(after)
        return
    _report("agent profile", before, after)


@agents_app.command("delete")
def delete_agent(ctx: typer.Context, name: Annotated[str, typer.Argument()]) -> None:
    """Delete an agent profile."""
    with exit_on_errors(), _db(ctx) as db, db.write() as conn:
        store.delete_agent_profile(conn, name)
    console.print(f"deleted agent profile {name}")
