"""``lockgate credentials``: encrypted secrets; set, list, delete, rotate-key, grant, revoke, hosts, uses."""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from lockgate.cli.options import console, exit_on_errors, print_read, settings
from lockgate.errors import NotFoundError

if TYPE_CHECKING:  # the product is imported by the command that runs
    from lockgate.security.credentials import CredentialCipher
    from lockgate.store.database import Database

__all__ = ["app"]

app = typer.Typer(help="Credentials: set (value from stdin or an env var), list, delete, rotate-key; grant and revoke "
                       "pipelines, the hosts http nodes may send them to, and the audit of their uses.",
                  no_args_is_help=True)  # fmt: skip


@contextlib.contextmanager
def _db(ctx: typer.Context) -> Iterator[Database]:
    from lockgate.store.database import Database
    from lockgate.store.migrate import upgrade

    cfg = settings(ctx)
    db = Database(cfg.db_url, synchronous=cfg.sqlite_synchronous)
    try:
        upgrade(db)
        yield db
    finally:
        db.dispose()


def _cipher(ctx: typer.Context) -> CredentialCipher:
    from lockgate.security.credentials import load_cipher

    cfg = settings(ctx)
    return load_cipher(cfg.secret_key.get_secret_value() if cfg.secret_key else None, cfg.home)


def _value(value_from_env: str | None) -> str:
    # Never from the command line: argv is visible to every local user (ps) and lands in shell history.
    if value_from_env is not None:
        value = os.environ.get(value_from_env)
        if value is None:
            raise typer.BadParameter(f"the environment variable {value_from_env} is not set",
                                     param_hint="--value-from-env")  # fmt: skip
        return value
    if sys.stdin.isatty():
        console.print("value (end with Ctrl-D):")
    value = sys.stdin.read().removesuffix("\n")
    if not value:
        raise typer.BadParameter("the value is empty (give it on stdin or with --value-from-env)")
    return value


@app.command("set")
def set_(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="lowercase slug, e.g. github_token")],
    value_from_env: Annotated[str | None, typer.Option(help="read the value from this environment variable")] = None,
    description: Annotated[str | None, typer.Option(help="what the credential is for")] = None,
) -> None:
    """Create or replace a credential; the value is read from stdin unless --value-from-env is given."""
    from pydantic import TypeAdapter, ValidationError

    from lockgate.runtime.clock import SystemClock
    from lockgate.spec.fields import Identifier
    from lockgate.store import credentials as credential_store

    try:
        TypeAdapter(Identifier).validate_python(name)
    except ValidationError:
        raise typer.BadParameter(
            "must be lowercase letters, digits, - and _, starting with a letter", param_hint="NAME"
        ) from None
    value = _value(value_from_env)
    cipher = _cipher(ctx)
    now = SystemClock().now()
    with exit_on_errors(), _db(ctx) as db, db.write() as conn:
        try:
            credential_store.update_credential(conn, cipher, name, value, description, now)
            verb = "updated"
        except NotFoundError:
            credential_store.create_credential(conn, cipher, name, value, description, now)
            verb = "created"
    console.print(f"{verb} credential {name}")


@app.command("list")
def list_(
    ctx: typer.Context, json_output: Annotated[bool, typer.Option("--json", help="print them as JSON")] = False
) -> None:
    """Every credential: name, description, dates (never a value)."""
    from lockgate.api.schemas.credentials import CredentialRead
    from lockgate.store import credentials as credential_store

    with exit_on_errors(), _db(ctx) as db, db.read() as conn:
        records = credential_store.list_credentials(conn)
    if json_output:
        print_read(CredentialRead, records)
        return
    table = Table("name", "description", "pipelines", "allowed hosts", "updated", box=None, header_style="bold")
    for r in records:
        table.add_row(r.name, r.description or "", " ".join(r.pipelines), " ".join(r.allowed_hosts),
                      f"{r.updated_at:%Y-%m-%d %H:%M}")  # fmt: skip
    console.print(table)


@app.command()
def delete(ctx: typer.Context, name: Annotated[str, typer.Argument(help="the credential's name")]) -> None:
    """Delete a credential; nodes that list it then fail with missing_credential."""
    from lockgate.store import credentials as credential_store

    with exit_on_errors(), _db(ctx) as db, db.write() as conn:
        credential_store.delete_credential(conn, name)
    console.print(f"deleted credential {name}")


@app.command("rotate-key")
def rotate_key(ctx: typer.Context) -> None:
    """Re-encrypt every credential with the newest key (the first of LOCKGATE_SECRET_KEY)."""
    from lockgate.store import credentials as credential_store

    cipher = _cipher(ctx)
    with exit_on_errors(), _db(ctx) as db, db.write() as conn:
        count = credential_store.rotate_credentials(conn, cipher)
    console.print(f"re-encrypted {count} credential(s) with the newest key")


def _pipelines(names: list[str]) -> list[str]:
    from pydantic import TypeAdapter, ValidationError

    from lockgate.spec.fields import Identifier

    for name in names:
        try:
            TypeAdapter(Identifier).validate_python(name)
        except ValidationError:
            raise typer.BadParameter(
                f"{name!r} is not a pipeline name (a lowercase slug)", param_hint="PIPELINE"
            ) from None
    return names


@app.command()
def grant(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the credential's name")],
    pipelines: Annotated[list[str], typer.Argument(help="pipelines whose nodes may use it")],
) -> None:
    """Let these pipelines' nodes name the credential (saving one that names it without a grant is refused)."""
    from lockgate.runtime.clock import SystemClock
    from lockgate.store import credential_grants as grant_store
    from lockgate.store import credentials as credential_store

    wanted = _pipelines(pipelines)
    with exit_on_errors(), _db(ctx) as db, db.write() as conn:
        grant_store.add_grants(conn, name, wanted, getpass.getuser(), SystemClock().now())
        record = credential_store.get_credential(conn, name)
    console.print(f"credential {name} is granted to: {' '.join(record.pipelines)}")


@app.command()
def revoke(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the credential's name")],
    pipelines: Annotated[list[str], typer.Argument(help="pipelines that may no longer use it")],
) -> None:
    """Take grants back: the next attempt of a node of those pipelines that names it fails (credential_not_granted)."""
    from lockgate.store import credential_grants as grant_store
    from lockgate.store import credentials as credential_store

    with exit_on_errors(), _db(ctx) as db, db.write() as conn:
        grant_store.remove_grants(conn, name, _pipelines(pipelines))
        record = credential_store.get_credential(conn, name)
    console.print(f"credential {name} is granted to: {' '.join(record.pipelines) or 'no pipeline'}")


@app.command()
def hosts(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the credential's name")],
    patterns: Annotated[
        list[str] | None, typer.Argument(help="api.example.com, *.example.org (subdomains), or * (any host)")
    ] = None,
) -> None:
    """Set the hosts http nodes may send the credential to (none given: no host; * also lets networked scripts)."""
    from lockgate.security.grants import HostPatternError, normalise_host_pattern
    from lockgate.store import credential_grants as grant_store

    try:
        wanted = [normalise_host_pattern(p) for p in patterns or []]
    except HostPatternError as exc:
        raise typer.BadParameter(str(exc), param_hint="PATTERNS") from None
    with exit_on_errors(), _db(ctx) as db, db.write() as conn:
        grant_store.set_hosts(conn, name, wanted)
    console.print(f"credential {name} may be sent to: {' '.join(sorted(set(wanted))) or 'no host'}")


@app.command()
def uses(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="only this credential's uses")] = None,
    run: Annotated[str | None, typer.Option(help="only this run's (an id)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    json_output: Annotated[bool, typer.Option("--json", help="print them as JSON")] = False,
) -> None:
    """The audit: each use of a credential (which pipeline, run, step and attempt, when), newest first."""
    from lockgate.store import credential_grants as grant_store

    with exit_on_errors(), _db(ctx) as db, db.read() as conn:
        records = grant_store.list_uses(conn, name, run, None, limit)
    if json_output:
        rows = [{"id": r.id, "credential": r.credential, "purpose": r.purpose, "pipeline": r.pipeline,
                 "run_id": r.run_id, "step": r.step_key, "node_id": r.node_id, "attempt": r.attempt,
                 "used_at": r.used_at.isoformat()} for r in records]  # fmt: skip
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("when", "credential", "purpose", "pipeline", "run", "step", "attempt", box=None, header_style="bold")
    for r in records:
        table.add_row(f"{r.used_at:%Y-%m-%d %H:%M:%S}", r.credential, r.purpose, r.pipeline, r.run_id, r.step_key,
                      str(r.attempt))  # fmt: skip
    console.print(table)
