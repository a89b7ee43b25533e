"""``lockgate rollback RUN --to NODE``, ``lockgate runs rollbacks RUN`` and ``lockgate runs latest PIPELINE [RUN]``.

In-process like ``resume``: a rollback is applied under the run's lock, the steps it resets run here and the
command watches the run to its end (or until it waits for a person). Nothing is deleted: what a rollback
displaced is archived, and ``latest`` moving back is recorded as a rollback too.
"""

from __future__ import annotations

import getpass
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from lockgate.cli.options import console, exit_on_errors, settings
from lockgate.cli.run import finish, read_run, watch
from lockgate.errors import InvalidInputError

if TYPE_CHECKING:
    from lockgate.api.schemas.rollbacks import RollbackRead
    from lockgate.engine import RunState
    from lockgate.runtime import Runtime
    from lockgate.settings import Settings
    from lockgate.store.database import Database
    from lockgate.store.runs import RunHead

__all__ = ["latest", "register", "rollback", "rollbacks"]

RunArg = Annotated[str, typer.Argument(metavar="RUN", help="run id or PIPELINE/vN")]
JsonOption = Annotated[bool, typer.Option("--json", help="print it as JSON (the API's shape)")]


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli"


def _database(cfg: Settings) -> Database:
    from lockgate.store.database import Database
    from lockgate.store.migrate import upgrade

    db = Database(cfg.db_url, synchronous=cfg.sqlite_synchronous)
    upgrade(db)
    return db


def _head(cfg: Settings, ref: str) -> RunHead:
    from lockgate.store.runs import find_run

    db = _database(cfg)
    try:
        with db.read() as conn:
            return find_run(conn, ref)
    finally:
        db.dispose()


def _recorded(runtime: Runtime, run_id: str, rollback_id: str) -> RollbackRead:
    # FastAPI loads only when this command runs: every other command starts faster
    from lockgate.api.routes.rollbacks import rollback_read
    from lockgate.store import archives

    with runtime.db.read() as conn:
        return rollback_read(next(r for r in archives.list_rollbacks(conn, run_id=run_id) if r.id == rollback_id))


def _describe(done: RollbackRead) -> None:
    steps = ", ".join(s.key for s in done.steps) or "none"
    files = len(done.artifacts)
    what = f" (rollback {done.id}): reset {steps}; {files} file(s) archived in {done.folder}"
    console.print(Text.assemble((f"rolled back {done.run} to {done.node}", "yellow"), what), highlight=False)
    if done.cancelled:
        console.print(f"  cancelled first: {', '.join(done.cancelled)}", highlight=False)


async def _rollback(cfg: Settings, ref: str, node: str, reason: str | None, quiet: bool) -> RunState | None:
    from lockgate.engine import RunRolledBack, RunStatus
    from lockgate.runtime import Runtime
    from lockgate.store.ids import new_id

    head = _head(cfg, ref)
    runtime = Runtime(cfg, scope={head.id})
    await runtime.start()
    try:
        plan, _ = await runtime.db_call(read_run, runtime, head.id)
        if node not in plan.nodes:
            nodes = ", ".join(sorted(plan.nodes))
            raise InvalidInputError([f"--to: {node!r} is not a node of {head.pipeline} (its nodes: {nodes})"])
        rollback_id = new_id()
        applied = await runtime.apply(head.id, RunRolledBack(rollback=rollback_id, node=node, by=_who(),
                                                             reason=reason))  # fmt: skip
        _describe(await runtime.db_call(_recorded, runtime, head.id, rollback_id))
        state = applied.transition.state if applied.transition is not None else None
        if state is not None and state.status is RunStatus.PAUSED:
            console.print(f"the run is paused: it goes on with lockgate resume {head.pipeline}/v{head.number}")
            return None
        return await watch(runtime, plan, head.id, f"{head.pipeline} v{head.number}  (run {head.id})", quiet)
    finally:
        await runtime.stop()


def rollback(
    ctx: typer.Context,
    run_ref: RunArg,
    to: Annotated[str, typer.Option("--to", help="the node to go back to: it and everything downstream run again")],
    reason: Annotated[str | None, typer.Option(help="recorded with the rollback")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no live table, only the summary")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="print the run's output as JSON at the end")] = False,
) -> None:
    """Roll a run back to a node and run it again from there, in this process, watching it to the end.

    The outputs and artifacts of the node and of every step downstream are archived (nothing is deleted:
    .archived/rollback_<id>_<utc>/), steps running or waiting there are cancelled first, a finished run reopens.
    Exit codes as for ``run``: 0 succeeded, 1 failed or refused (e.g. the node never ran), 2 not a node of the
    pipeline, 3 waits for a person.
    """
    import asyncio

    with exit_on_errors():
        state = asyncio.run(_rollback(settings(ctx), run_ref, to, reason, quiet))
    if state is not None:
        finish(state, json_output)


def rollbacks(
    ctx: typer.Context,
    run_ref: Annotated[str | None, typer.Argument(metavar="[RUN]", help="run id or PIPELINE/vN")] = None,
    pipeline: Annotated[
        str | None, typer.Option("--pipeline", "-p", help="every rollback of the pipeline's runs and of its latest")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """What each rollback archived (steps reset, files moved, steps cancelled), newest first."""
    from lockgate.store import archives, listing
    from lockgate.store import pipelines as pipeline_store
    from lockgate.store.runs import find_run

    if (run_ref is None) == (pipeline is None):
        raise typer.BadParameter("give a RUN or --pipeline NAME (one of them)")
    db = _database(settings(ctx))
    try:
        with exit_on_errors(), db.read() as conn:
            if run_ref is not None:
                rows = archives.list_rollbacks(conn, run_id=find_run(conn, run_ref).id)
            else:
                listing.live_pipeline(conn, pipeline or "")
                rows = archives.list_rollbacks(conn, pipeline_id=pipeline_store.get_pipeline(conn, pipeline or "").id)
    finally:
        db.dispose()
    # FastAPI loads only when this command runs: every other command starts faster
    from lockgate.api.routes.rollbacks import rollback_read

    done = [rollback_read(r) for r in rows]
    if json_output:
        typer.echo(json.dumps([d.model_dump(mode="json") for d in done], indent=2))
        return
    if not done:
        console.print("no rollbacks")
        return
    for d in done:
        _print_one(d)


def _print_one(d: RollbackRead) -> None:
    when = f"{d.at:%Y-%m-%d %H:%M:%S}"
    if d.kind == "latest":
        before = f"v{d.previous_latest}" if d.previous_latest is not None else "nothing"
        head = f"{when}  latest → {d.run} (was {before})"
    else:
        head = f"{when}  {d.run} back to {d.node}  → {d.folder}"
    console.print(Text(head, "bold") + Text(f"  by {d.by or '?'}  rollback {d.id}"))
    if d.reason:
        console.print(Text(f"  reason: {d.reason}"))
    if d.kind == "latest":
        return
    if d.cancelled:
        console.print(Text(f"  cancelled first: {', '.join(d.cancelled)}"))
    table = Table("step", "was", "attempt", "output", "files archived", box=None, header_style="bold",
                  padding=(0, 2, 0, 2))  # fmt: skip
    files: dict[str, list[str]] = {}
    for a in d.artifacts:
        files.setdefault(a.step_key, []).append(f"{a.name} (attempt {a.attempt})")
    for s in d.steps:
        output = json.dumps(s.output, default=str)
        table.add_row(s.key, s.status, str(s.attempt), Text(output[:60] + ("…" if len(output) > 60 else "")),
                      Text(", ".join(files.get(s.key, [])) or "—"))  # fmt: skip
    console.print(table)


def _point_latest_of(cfg: Settings, pipeline: str, ref: str) -> RunHead:
    from lockgate.runtime.extend import resolve_reference
    from lockgate.store import listing

    db = _database(cfg)
    try:
        with db.read() as conn:
            listing.live_pipeline(conn, pipeline)
            head = resolve_reference(conn, pipeline, ref)
    finally:
        db.dispose()
    if head.pipeline != pipeline:
        raise InvalidInputError([f"RUN: {ref} is a run of {head.pipeline}, not of {pipeline}"])
    return head


async def _point(cfg: Settings, head: RunHead, reason: str | None) -> RollbackRead:
    from lockgate.engine import RunMadeLatest
    from lockgate.runtime import Runtime
    from lockgate.store.ids import new_id

    runtime = Runtime(cfg, scope={head.id})
    await runtime.start()
    try:
        rollback_id = new_id()
        await runtime.apply(head.id, RunMadeLatest(rollback=rollback_id, by=_who(), reason=reason))
        return await runtime.db_call(_recorded, runtime, head.id, rollback_id)
    finally:
        await runtime.stop()


def _show_latest(cfg: Settings, pipeline: str) -> dict[str, Any]:
    from lockgate.store import listing
    from lockgate.store.runs import list_runs

    db = _database(cfg)
    try:
        with db.read() as conn:
            summary = listing.live_pipeline(conn, pipeline)
            runs = list_runs(conn, pipeline, "succeeded", 10_000)
    finally:
        db.dispose()
    link = cfg.home / "pipelines" / pipeline / "runs" / "latest"
    return {"pipeline": pipeline, "latest": summary.latest_run,
            "link": link.readlink().name if link.is_symlink() else None,
            "succeeded": sorted(r.number for r in runs)}  # fmt: skip


def latest(
    ctx: typer.Context,
    pipeline: Annotated[str, typer.Argument(help="the pipeline's name")],
    run_ref: Annotated[
        str | None, typer.Argument(metavar="[RUN]", help="point latest at this succeeded run: vN, PIPELINE/vN or id")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="recorded with the change")] = None,
    json_output: JsonOption = False,
) -> None:
    """Show which run runs/latest points at, or point it back at an earlier succeeded run (a rollback across runs)."""
    import asyncio

    cfg = settings(ctx)
    if run_ref is None:
        with exit_on_errors():
            shown = _show_latest(cfg, pipeline)
        if json_output:
            typer.echo(json.dumps(shown, indent=2))
            return
        now = f"v{shown['latest']}" if shown["latest"] is not None else "no run yet"
        console.print(f"{pipeline}: latest → {now}   (runs/latest → {shown['link'] or 'nothing'})", highlight=False)
        console.print(f"succeeded runs: {', '.join(f'v{n}' for n in shown['succeeded']) or 'none'}", highlight=False)
        return
    with exit_on_errors():
        done = asyncio.run(_point(cfg, _point_latest_of(cfg, pipeline, run_ref), reason))
    if json_output:
        typer.echo(json.dumps(done.model_dump(mode="json"), indent=2))
        return
    before = f"v{done.previous_latest}" if done.previous_latest is not None else "nothing"
    console.print(f"{pipeline}: latest → v{done.run.rsplit('/v', 1)[1]} (was {before}; rollback {done.id})",
                  highlight=False)  # fmt: skip


def register(root: typer.Typer, runs_app: typer.Typer) -> None:
    root.command()(rollback)
    runs_app.command()(rollbacks)
    runs_app.command()(latest)
