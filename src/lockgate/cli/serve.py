"""``lockgate serve``: the API (and UI when built), the executor, timers and recovery in one process."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from lockgate.cli.code_tasks import TasksOption, with_tasks
from lockgate.cli.options import console, exit_on_errors, settings

if TYPE_CHECKING:  # the product is imported when the server starts, not by every command
    from lockgate.settings import Settings

__all__ = ["serve"]


def _bootstrap(cfg: Settings, examples: list[Path]) -> str | None:
    """On first start: an admin user and key (returned, to be shown once); load example pipelines."""
    from lockgate.compile import compile_file
    from lockgate.runtime.clock import SystemClock
    from lockgate.security.api_keys import Role
    from lockgate.store import auth as auth_store
    from lockgate.store.database import Database
    from lockgate.store.migrate import upgrade
    from lockgate.store.pipelines import save_version

    db = Database(cfg.db_url, synchronous=cfg.sqlite_synchronous)
    upgrade(db)
    now = SystemClock().now()
    key = None
    with db.write() as conn:
        if auth_store.count_users(conn) == 0:
            user_id = auth_store.create_user(conn, "admin", Role.ADMIN, now)
            key = auth_store.create_key(conn, user_id, "first admin key", now)[1].plaintext
        for example in examples:
            save_version(conn, compile_file(example).spec, now)
    db.dispose()
    return key


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="address to bind (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default 8080)")] = None,
    example: Annotated[
        list[Path] | None, typer.Option(exists=True, dir_okay=False, help="pipeline file(s) to load at start")
    ] = None,
    tasks: TasksOption = None,
) -> None:
    """Start the server; on first start it creates an admin API key and prints it once."""
    cfg = settings(ctx)
    bind_host = host or cfg.host
    bind_port = port or cfg.port
    # Without the garbage collector while it loads (the product for the first start's work, then the API: FastAPI
    # and uvicorn, which cost every other command about a second to import, hence here): imports allocate a lot and
    # free little, so its passes would find nothing.
    gc.disable()
    try:
        with exit_on_errors():
            cfg = with_tasks(cfg, tasks)
            key = _bootstrap(cfg, example or [])
        console.print(Text.assemble("Lockgate on ", (f"http://{bind_host}:{bind_port}", "bold"),
                                    f"  (API docs: /docs, data: {cfg.home})"))  # fmt: skip
        if key is not None:
            console.print(Text.assemble("admin API key (shown once, keep it): ", (key, "bold yellow")))
        import uvicorn

        from lockgate.api.app import create_app

        app = create_app(cfg, defer_routes=True)
    finally:
        gc.enable()
    gc.freeze()  # what start-up built lives as long as the server: later collections need not walk it again
    uvicorn.run(app, host=bind_host, port=bind_port, log_level="warning", lifespan="on")
