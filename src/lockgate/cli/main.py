"""The ``lockgate`` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperOption

from lockgate.cli import (
    apply,
    artifacts,
    conversation,
    costs,
    credentials,
    db,
    keys,
    rollback,
    run,
    runs,
    serve,
    tasks,
    worker,
)
from lockgate.cli.lazy import LazyGroup, register_lazy
from lockgate.cli.rich_help import import_rich_help

__all__ = ["app"]

import_rich_help()  # before Typer imports it to show help or an error, with all of Rich it would bring

_option_type = TyperOption.display_type_rich


def _flag_without_type(self: TyperOption, ctx: typer.Context) -> str | None:
    # Typer 0.29's help shows ``<bool>`` beside every flag (--json, --help): a flag takes no value to type.
    return None if self.is_flag else _option_type(self, ctx)


TyperOption.display_type_rich = _flag_without_type  # type: ignore[method-assign,assignment]

app = typer.Typer(
    name="lockgate",
    help="Durable agentic pipelines that people supervise.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=LazyGroup,
)


@app.callback()
def main(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option(envvar="LOCKGATE_HOME", help="data folder (default ./.lockgate)")] = None,
    database_url: Annotated[str | None, typer.Option(envvar="DATABASE_URL", help="PostgreSQL URL")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    # Imported here, as every command's implementation is: ``lockgate --help`` (and a mistyped command) never
    # runs this callback, so it costs a Python start, Typer and the commands' signatures, nothing of the product.
    import logging

    from pydantic import ValidationError

    from lockgate.cli.entry import resume_gc
    from lockgate.cli.log_format import configure_logging
    from lockgate.settings import Settings

    resume_gc()  # a command runs with the garbage collector, whatever it imports from here on (but ``loading``)

    overrides: dict[str, object] = {}
    if home is not None:
        overrides["home"] = home
    if database_url is not None:
        overrides["database_url"] = database_url
    try:
        cfg = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:  # a setting the administrator gave is wrong: say which, no traceback
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "settings"
            typer.echo(f"error: {where}: {error['msg'].removeprefix('Value error, ')}", err=True)
        raise typer.Exit(2) from None
    configure_logging(logging.INFO if verbose else logging.WARNING, cfg.log_format)
    ctx.obj = cfg
    ctx.meta["verbose"] = verbose  # a Python definition that fails to import shows its traceback


run.register(app)
apply.register(app)
app.command()(worker.worker)
app.command()(serve.serve)
app.add_typer(keys.app, name="keys")
app.add_typer(credentials.app, name="credentials")
register_lazy(app, "models")
register_lazy(app, "agents")
app.add_typer(runs.app, name="runs")
app.add_typer(artifacts.app, name="artifacts")
app.add_typer(db.app, name="db")
tasks.register(app)
rollback.register(app, runs.app)
costs.register(runs.app)
conversation.register(runs.app)
