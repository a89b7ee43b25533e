"""``lockgate artifacts list|get|diff``: a run's files, in-process on the home's database and folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from lockgate.cli.options import console, exit_on_errors, not_blank, settings
from lockgate.cli.short_ids import short_ids
from lockgate.errors import NotFoundError

# The store and the artifacts' layout are imported in the commands that use them: every command imports this module.
if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Connection, Row

__all__ = ["app"]

app = typer.Typer(help="A run's artifacts: list them, get one's content, compare two.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="print it as JSON")]
_DIFF_BYTES = 2 * 1024 * 1024  # larger files are compared by hash only


def _read(ctx: typer.Context, fn: Callable[[Connection], Any]) -> Any:
    from lockgate.store.database import Database
    from lockgate.store.migrate import upgrade

    cfg = settings(ctx)
    db = Database(cfg.db_url, synchronous=cfg.sqlite_synchronous)
    try:
        upgrade(db)
        with exit_on_errors(), db.read() as conn:
            return fn(conn)
    finally:
        db.dispose()


def _content(ctx: typer.Context, row: Row[Any]) -> bytes:
    """The file's bytes, read without following any link below its run's folder (or the pipeline's, if archived)."""
    from lockgate.artifacts.layout import ArtifactLayout

    layout = ArtifactLayout(settings(ctx).home)
    try:
        with layout.open_artifact(row.pipeline, row.run_number, row.path, archived=row.archived) as file:
            return file.read()
    except OSError:  # gone, or something promotion never described (a link, a FIFO…)
        with exit_on_errors():
            raise NotFoundError("artifact file", row.id) from None
    raise AssertionError("unreachable")  # exit_on_errors exits


@app.command("list")
def list_(
    ctx: typer.Context,
    run_ref: Annotated[str, typer.Argument(metavar="RUN", help="run id or PIPELINE/vN", callback=not_blank)],
    step: Annotated[str | None, typer.Option(help="only this step (and its items)")] = None,
    attempt: Annotated[int | None, typer.Option(min=1, help="only this attempt")] = None,
    archived: Annotated[
        bool | None, typer.Option("--archived/--current", help="only what rollbacks archived / none of it")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """A run's artifacts: every attempt's, newest attempt first per step."""
    from lockgate.store import listing
    from lockgate.store.runs import find_run

    rows = _read(ctx, lambda conn: listing.run_artifacts(conn, find_run(conn, run_ref).id, step, attempt, archived))
    # FastAPI loads only when this command runs: every other command starts faster
    from lockgate.api.routes.artifacts import artifact_read

    reads = [artifact_read(r) for r in rows]
    if json_output:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in reads], indent=2))
        return
    table = Table("step", "attempt", "name", "size", "type", box=None, header_style="bold")
    table.add_column("id", no_wrap=True)  # a unique prefix: what get and diff take, never cut
    shown = short_ids(r.id for r in reads)
    for r in reads:
        flags = " (archived)" if r.archived else " (reused)" if r.reused_from else ""
        table.add_row(r.step_key, str(r.attempt), Text(r.name + flags), f"{r.size:,}", r.media_type, shown[r.id])
    console.print(table if reads else "no artifacts")


@app.command()
def get(
    ctx: typer.Context,
    artifact_id: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="the artifact's id, or its first characters (artifacts list)", callback=not_blank
        ),
    ],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write it here; default: stdout")] = None,
) -> None:
    """An artifact's content, byte for byte."""
    from lockgate.store import listing

    content = _content(ctx, _read(ctx, lambda conn: listing.find_artifact(conn, artifact_id)))
    if output is None:
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
        return
    output.write_bytes(content)
    console.print(f"wrote {output} ({output.stat().st_size:,} bytes)", highlight=False)


def _label(row: Row[Any]) -> str:
    return f"{row.pipeline}/v{row.run_number}/{row.step_key}#{row.attempt}/{row.name}"


def _loaded(ctx: typer.Context, row: Row[Any]) -> tuple[str | None, Any]:
    """(the text, or None for a binary or large file; the JSON value, or None)."""
    if row.size > _DIFF_BYTES:
        return None, None
    try:
        text = _content(ctx, row).decode("utf-8")
    except UnicodeDecodeError:
        return None, None
    try:
        return text, json.loads(text) if row.name.endswith(".json") else None
    except ValueError:
        return text, None


@app.command()
def diff(
    ctx: typer.Context,
    artifact_id: Annotated[str, typer.Argument(metavar="ID", help="the left-hand artifact", callback=not_blank)],
    other: Annotated[
        str, typer.Argument(metavar="OTHER", help="the right-hand one (another attempt or run)", callback=not_blank)
    ],
    json_output: JsonOption = False,
) -> None:
    """Compare two artifacts: a unified text diff, and for JSON the changes path by path. Exit 1 when they differ."""
    from lockgate.artifacts.compare import json_changes, text_diff
    from lockgate.store import listing

    left, right = _read(
        ctx, lambda conn: (listing.find_artifact(conn, artifact_id), listing.find_artifact(conn, other))
    )
    (left_text, left_json), (right_text, right_json) = _loaded(ctx, left), _loaded(ctx, right)
    identical = left.sha256 == right.sha256
    text = ""
    if left_text is not None and right_text is not None:
        text = text_diff(left_text, right_text, _label(left), _label(right))
    changes = json_changes(left_json, right_json) if left_json is not None and right_json is not None else []
    if json_output:
        shown = [{"path": c.path, "op": c.op, "left": c.left, "right": c.right} for c in changes]
        typer.echo(json.dumps({"left": _label(left), "right": _label(right), "identical": identical, "diff": text,
                               "json_changes": shown}, indent=2, default=str))  # fmt: skip
    elif identical:
        console.print(f"identical: {_label(left)} and {_label(right)}", highlight=False)
    else:
        for c in changes:
            console.print(f"{c.op:<8} {c.path}: {json.dumps(c.left, default=str)} → {json.dumps(c.right, default=str)}",
                          highlight=False, markup=False)  # fmt: skip
        typer.echo(text if text else f"binary files differ: {_label(left)} and {_label(right)}", nl=not text)
    if not identical:
        raise typer.Exit(1)
