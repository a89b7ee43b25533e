"""``lockgate models …`` and ``lockgate agents …``: model profiles and agent profiles in the database."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from lockgate.cli.options import console, exit_on_errors, settings
from lockgate.handlers.agent.services import Provider
from lockgate.runtime.clock import SystemClock
from lockgate.spec.agent import BuiltinTool
from lockgate.store import profiles as store
from lockgate.store.database import Database
from lockgate.store.migrate import upgrade

__all__ = ["agents_app", "models_app"]

models_app = typer.Typer(help="Model profiles: which model, where, with which credential, at what price.",
                         no_args_is_help=True)  # fmt: skip
agents_app = typer.Typer(help="Agent profiles: predefined agents that team members refer to.", no_args_is_help=True)


@contextlib.contextmanager
def _db(ctx: typer.Context) -> Iterator[Database]:
    cfg = settings(ctx)
    db = Database(cfg.db_url, synchronous=cfg.sqlite_synchronous)
    try:
        upgrade(db)
        yield db
    finally:
        db.dispose()


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
) -> None:
    """Add a model profile (its API key: `lockgate credentials set NAME`, then --credential NAME)."""
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
    }
    with exit_on_errors(), _db(ctx) as db, db.write() as conn:
        store.create_model_profile(conn, values, SystemClock().now())
    console.print(f"added model profile {name}")


@models_app.command("list")
def list_models(ctx: typer.Context) -> None:
    """Every model profile with its prices (US$ per million tokens, in / out)."""
    with exit_on_errors(), _db(ctx) as db, db.read() as conn:
        records = store.list_model_profiles(conn)
    table = Table("name", "provider", "model", "base url", "credential", "price in/out", box=None, header_style="bold")
    for r in records:
        table.add_row(r.name, r.provider, r.model_id, r.base_url or "", r.credential or "",
                      f"{r.input_price:g} / {r.output_price:g}")  # fmt: skip
    console.print(table)


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
        store.create_agent_profile(conn, values, SystemClock().now())
    console.print(f"added agent profile {name}")


@agents_app.command("list")
def list_agents(ctx: typer.Context) -> None:
    """Every agent profile."""
    with exit_on_errors(), _db(ctx) as db, db.read() as conn:
        records = store.list_agent_profiles(conn)
    table = Table("name", "model", "tools", "instructions", box=None, header_style="bold")
    for r in records:
        table.add_row(r.name, r.model or "", ", ".join(r.tools or []), (r.instructions or "")[:60])
    console.print(table)


@agents_app.command("delete")
def delete_agent(ctx: typer.Context, name: Annotated[str, typer.Argument()]) -> None:
    """Delete an agent profile."""
    with exit_on_errors(), _db(ctx) as db, db.write() as conn:
        store.delete_agent_profile(conn, name)
    console.print(f"deleted agent profile {name}")
