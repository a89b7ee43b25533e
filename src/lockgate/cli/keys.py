"""``lockgate keys create|list|revoke``: API keys for users (created when missing) with a role."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from lockgate.cli.options import console, exit_on_errors, print_read, settings
from lockgate.cli.short_ids import short_ids
from lockgate.errors import NotFoundError
from lockgate.security.api_keys import Role

if TYPE_CHECKING:  # the product is imported by the command that runs
    from lockgate.store.database import Database

__all__ = ["app"]

app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="print it as JSON (the API's shape)")]


def _db(ctx: typer.Context) -> Database:
    from lockgate.store.database import Database
    from lockgate.store.migrate import upgrade

    cfg = settings(ctx)
    db = Database(cfg.db_url, synchronous=cfg.sqlite_synchronous)
    upgrade(db)
    return db


@app.command()
def create(
    ctx: typer.Context,
    user: Annotated[str, typer.Option(help="user name; created with --role if new")] = "admin",
    role: Annotated[Role, typer.Option(help="role of a new user")] = Role.ADMIN,
    name: Annotated[str, typer.Option(help="what the key is for")] = "cli",
    expires_in_days: Annotated[int | None, typer.Option(min=1, help="the key expires after this many days")] = None,
    json_output: JsonOption = False,
) -> None:
    """Create a key and print it once (only its hash is stored)."""
    from lockgate.api.schemas.auth import KeyCreated, KeyRead
    from lockgate.runtime.clock import SystemClock
    from lockgate.store import auth as auth_store

    now = SystemClock().now()
    expires = now + timedelta(days=expires_in_days) if expires_in_days else None
    with exit_on_errors(), _db(ctx).write() as conn:
        try:
            user_id = auth_store.get_user(conn, user).id
        except NotFoundError:
            user_id = auth_store.create_user(conn, user, role, now)
        key_id, key = auth_store.create_key(conn, user_id, name, now, expires)
        record = next(k for k in auth_store.list_keys(conn, user_id) if k.id == key_id)
    if json_output:
        read = KeyRead.model_validate({k: getattr(record, k) for k in KeyRead.model_fields})
        typer.echo(KeyCreated(**read.model_dump(), key=key.plaintext).model_dump_json(indent=2))
        return
    console.print(f"key {key_id} for {user}:")
    typer.echo(key.plaintext)


@app.command("list")
def list_(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Every key: id, user, role, prefix, state (never the key itself)."""
    from lockgate.api.schemas.auth import KeyRead
    from lockgate.store import auth as auth_store

    with exit_on_errors(), _db(ctx).read() as conn:
        keys = auth_store.list_keys(conn)
    if json_output:
        print_read(KeyRead, keys)
        return
    table = Table(box=None, header_style="bold")
    table.add_column("id", no_wrap=True)  # a unique prefix: what revoke takes
    for column in ("user", "role", "name", "prefix", "state"):
        table.add_column(column)
    shown = short_ids(k.id for k in keys)
    for k in keys:
        state = "revoked" if k.revoked_at else f"expires {k.expires_at:%Y-%m-%d}" if k.expires_at else "active"
        table.add_row(shown[k.id], k.user, k.role.value, k.name, k.prefix + "…", state)
    console.print(table)


@app.command()
def revoke(
    ctx: typer.Context, key_id: Annotated[str, typer.Argument(help="the key's id, or its first characters (keys list)")]
) -> None:
    """Revoke a key: it stops working at once."""
    from lockgate.runtime.clock import SystemClock
    from lockgate.store import auth as auth_store

    with exit_on_errors(), _db(ctx).write() as conn:
        whole = auth_store.revoke_key(conn, key_id, SystemClock().now())
    console.print(f"revoked {whole}")
