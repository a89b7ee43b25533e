"""``lockgate db upgrade``: apply migrations (also done automatically at start)."""

from __future__ import annotations

import typer

from lockgate.cli.options import console, exit_on_errors, settings

__all__ = ["app"]

app = typer.Typer(help="Database maintenance.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_(ctx: typer.Context) -> None:
    """Bring the database schema up to date."""
    from lockgate.store.database import Database
    from lockgate.store.migrate import current_revision, upgrade

    with exit_on_errors():
        db = Database(settings(ctx).db_url)
        upgrade(db)
        console.print(f"database at revision {current_revision(db)}")
