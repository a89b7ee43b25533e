"""``lockgate runs list`` and ``lockgate runs show RUN``."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from lockgate.cli.entry import loading
from lockgate.cli.options import console, exit_on_errors, not_blank, settings
from lockgate.cli.progress import STYLE
from lockgate.cli.short_ids import short_ids

if TYPE_CHECKING:  # the store is imported when a command runs, not by every command
    from collections.abc import Iterator

    from sqlalchemy import Connection

__all__ = ["app"]

app = typer.Typer(
    help="Look at runs: list, show, costs, conversation, rollbacks, which run is latest.", no_args_is_help=True
)


@contextlib.contextmanager
def _read(ctx: typer.Context) -> Iterator[Connection]:
    """A read of the home's database, its engine disposed after (a command run in-process leaves no connection)."""
    from lockgate.store.database import Database
    from lockgate.store.migrate import upgrade

    db = Database(settings(ctx).db_url)
    try:
        upgrade(db)
        with db.read() as conn:
            yield conn
    finally:
        db.dispose()


def _took(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    return f"{(end - start).total_seconds():.2f}s"


def _status(value: str) -> Text:
    return Text(value, STYLE.get(value, ""))


@app.command("list")
def list_(
    ctx: typer.Context,
    pipeline: Annotated[str | None, typer.Option("--pipeline", "-p")] = None,
    status: Annotated[str | None, typer.Option("--status", "-s")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10000)] = 50,
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The newest runs first."""
    with loading():  # the store, SQLAlchemy with it
        from lockgate.store.listing import RunFilter, page_runs

    with exit_on_errors(), _read(ctx) as conn:  # the API's listing, drafts included: it counts failed steps
        records = page_runs(conn, RunFilter(pipeline=pipeline, status=status, drafts=None), None, limit)
    if json_output:
        rows = [{"id": r.id, "pipeline": r.pipeline, "number": r.number, "status": r.status,
                 "created_at": r.created_at.isoformat(), "wait_reason": r.wait_reason,
                 "failed_steps": r.failed_steps} for r in records]  # fmt: skip
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("run", "status", "created", "took", box=None, header_style="bold")
    shown = short_ids(r.id for r in records)
    table.add_column("id", no_wrap=True)  # a unique prefix: what runs show and the other commands take
    for r in records:
        created = r.created_at.strftime("%Y-%m-%d %H:%M:%S")
        label = _status(r.status) + (Text(f" ({r.wait_reason})", "dim") if r.wait_reason else "")
        if r.failed_steps:  # on_error: continue let failures through; a plain "succeeded" would hide them
            label += Text(f", {r.failed_steps} step{'s' if r.failed_steps > 1 else ''} failed", STYLE["failed"])
        table.add_row(f"{r.pipeline} v{r.number}", label, created, _took(r.started_at, r.finished_at), shown[r.id])
    console.print(table if records else "no runs")


def _short(value: Any, width: int = 80) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


@app.command()
def show(
    ctx: typer.Context,
    run_ref: Annotated[
        str, typer.Argument(metavar="RUN", help="PIPELINE/vN, a run id or its first characters", callback=not_blank)
    ],
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A run's steps, attempts (durations, errors) and outputs, and the runs its steps started."""
    with loading():
        from lockgate.store.children import children_of, parent_ref
        from lockgate.store.runs import find_run, get_run, run_attempts, run_steps
        from lockgate.store.slots import waiting_reasons

    with exit_on_errors(), _read(ctx) as conn:
        head = find_run(conn, run_ref)
        record = get_run(conn, head.id)
        steps = run_steps(conn, head.id)
        reasons = waiting_reasons(conn, head.id)
        attempts = run_attempts(conn, head.id)
        children = children_of(conn, head.id)
        parent = parent_ref(conn, head.id)
    if json_output:
        shown = _as_json(record, steps, attempts)
        shown["children"] = [_linked(c) for c in children]
        shown["parent"] = _linked(parent) if parent is not None else None
        typer.echo(json.dumps(shown, indent=2, default=str))
        return
    console.print(Text(f"{record.pipeline} v{record.number}  ", "bold") + _status(record.status))
    console.print(f"id {record.id}   took {_took(record.started_at, record.finished_at) or '—'}")
    if record.wait_reason:
        console.print(Text(f"queued {record.wait_reason}", "yellow"))
    console.print(f"input  {_short(record.input, 100)}")
    if record.output is not None:
        console.print(f"output {_short(record.output, 100)}")
    if record.error:
        console.print(Text(f"error  {record.error.get('kind')}: {record.error.get('message')}", "red"))
    by_step: dict[str, list[Any]] = {}
    for a in attempts:
        by_step.setdefault(a.step_key, []).append(a)
    table = Table("step", "status", "attempts", "took", "output / error", box=None, header_style="bold")
    for s in steps:
        tries = by_step.get(s.key, [])
        detail = _step_detail(s, tries, reasons)
        history = " ".join(f"{a.number}:{a.status}" for a in tries)
        table.add_row(s.key, _status(s.status), history, _took(s.started_at, s.finished_at), Text(detail[:100]))
    console.print(table)
    if parent is not None:
        console.print(f"started by step {parent.step_key} (attempt {parent.attempt}) of {parent.pipeline} "
                      f"v{parent.number}", highlight=False)  # fmt: skip
    if children:
        runs = Table("child run", "status", "step", "attempt", "id", box=None, header_style="bold")
        for c in children:
            runs.add_row(f"{c.pipeline} v{c.number}", _status(c.status), c.step_key, str(c.attempt), c.run_id)
        console.print(runs)


def _linked(ref: Any) -> dict[str, Any]:
    return {"id": ref.run_id, "ref": f"{ref.pipeline}/v{ref.number}", "status": ref.status, "step": ref.step_key,
            "attempt": ref.attempt}  # fmt: skip


def _step_detail(s: Any, tries: list[Any], reasons: dict[str, str]) -> str:
    detail = f"{s.error['kind']}: {s.error['message']}" if s.error else _short(s.output)
    detail = reasons.get(s.key, detail)
    if s.next is not None and not s.error:  # a routed step: which successors it chose comes first
        detail = f"next: {', '.join(s.next) or 'none'}  {detail}"
    if tries and tries[-1].code_hash:  # a code task: which code the last attempt ran
        detail = f"code {tries[-1].code_hash[:12]}  {detail}"
    return detail


def _as_json(record: Any, steps: list[Any], attempts: list[Any]) -> dict[str, Any]:
    return {
        "id": record.id,
        "pipeline": record.pipeline,
        "number": record.number,
        "status": record.status,
        "wait_reason": record.wait_reason,
        "input": record.input,
        "output": record.output,
        "error": record.error,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "steps": [dict(s._mapping) for s in steps],
        "attempts": [dict(a._mapping) for a in attempts],
    }
