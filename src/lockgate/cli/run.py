"""``lockgate run FILE``, ``resume RUN``, ``validate FILE``, ``schema``: in-process, no server needed."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import signal
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from lockgate.cli.definitions import DefinitionArg, read_definition
from lockgate.cli.options import (
    EXIT_DEFINITION,
    EXIT_FAILED,
    EXIT_WAITING,
    console,
    err_console,
    exit_on_errors,
    parse_inputs,
    settings,
)
from lockgate.cli.progress import Progress, summary
from lockgate.errors import DefinitionErrors, InvalidTransitionError

# The product is imported by the command that runs: ``lockgate --help`` and ``lockgate runs`` import this module.
if TYPE_CHECKING:
    from pydantic import JsonValue

    from lockgate.compile import Plan
    from lockgate.engine import RunState
    from lockgate.runtime import Applied, ExtendRequest, Runtime
    from lockgate.settings import Settings
    from lockgate.spec.pipeline import PipelineSpec
    from lockgate.store.conversations import RunOptions

__all__ = ["finish", "read_run", "register", "watch"]


def validate(
    ctx: typer.Context,
    file: DefinitionArg,
    json_output: Annotated[bool, typer.Option("--json", help="print the result (or every problem) as JSON")] = False,
) -> None:
    """Check a definition and report every problem at once, each with its node and field.

    Agent steps' models are checked against the model profiles of the home's database and LOCKGATE_MODEL, and the
    credentials nodes name against its grants.
    Exit codes: 0 valid, 2 not (with --json, ``{"valid": false, "errors": [{node_id, field, message}]}``).
    """
    from lockgate.security.grants import credential_uses

    with exit_on_errors():
        try:
            plan = read_definition(ctx, file).plan
            spec = plan.spec
            if any(n.needs.uses_models for n in spec.nodes) or credential_uses(spec):
                _check_home(settings(ctx), spec)
        except DefinitionErrors as exc:
            if not json_output:
                raise
            errors = [{"node_id": e.node_id, "field": e.field, "message": e.detail, "line": e.line} for e in exc.errors]
            typer.echo(json.dumps({"valid": False, "errors": errors}, indent=2))
            raise typer.Exit(EXIT_DEFINITION) from None
    if json_output:
        typer.echo(json.dumps({"valid": True, "name": plan.name, "nodes": len(plan.nodes), "edges": len(plan.edges),
                               "levels": len(plan.levels), "hash": plan.hash}, indent=2))  # fmt: skip
        return
    console.print(Text.assemble(("✓", "green"), f" {plan.name}: {len(plan.nodes)} nodes, {len(plan.edges)} edges, "
                                f"{len(plan.levels)} levels, hash {plan.hash[:12]}"))  # fmt: skip


def _check_home(cfg: Settings, spec: PipelineSpec) -> None:
    """Agent steps' models, and the grants of the credentials the definition names, in the home's database."""
    from lockgate.runtime.credentials import credential_problems
    from lockgate.runtime.models import model_problems
    from lockgate.runtime.subpipelines import subpipeline_problems
    from lockgate.store.database import Database
    from lockgate.store.migrate import upgrade

    db = Database(cfg.db_url, synchronous=cfg.sqlite_synchronous)
    try:
        upgrade(db)
        with db.read() as conn:
            problems = model_problems(conn, cfg, spec) + credential_problems(conn, spec)
            problems += subpipeline_problems(conn, cfg, spec)
    finally:
        db.dispose()
    if problems:
        raise DefinitionErrors(problems)


def schema() -> None:
    """Print the JSON Schema of a pipeline definition (for editors)."""
    from lockgate.spec import pipeline_json_schema

    typer.echo(json.dumps(pipeline_json_schema(), indent=2))


def run(
    ctx: typer.Context,
    file: DefinitionArg,
    input_: Annotated[
        list[str] | None, typer.Option("--input", "-i", help="key=value (value as JSON if it parses)")
    ] = None,
    input_file: Annotated[Path | None, typer.Option("--input-file", exists=True, dir_okay=False)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no live table, only the summary")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="print the run's output as JSON at the end")] = False,
    extend: Annotated[
        str | None, typer.Option(help="extend an earlier run (vN or an id): its artifacts are readable by every step")
    ] = None,
    start_at: Annotated[
        str | None, typer.Option(help="with --extend: start at this node; the succeeded steps before it are reused")
    ] = None,
    budget_cost: Annotated[float | None, typer.Option(min=0, help="the run's budget in US$ (agent steps)")] = None,
    budget_tokens: Annotated[int | None, typer.Option(min=1, help="the run's budget in tokens")] = None,
    budget_requests: Annotated[int | None, typer.Option(min=1, help="the run's budget in model requests")] = None,
    replay: Annotated[
        str | None, typer.Option(help="answer agent steps from the recording of run vN (or an id)")
    ] = None,
) -> None:
    """Run a pipeline in this process with live progress; the exit code says whether it succeeded.

    Exit codes: 0 succeeded, 1 failed or cancelled, 2 invalid definition or input, 3 waits for a person
    (answer through the server: ``lockgate serve``, then ``lockgate tasks list``).
    """
    import asyncio

    from lockgate.runtime import ExtendRequest
    from lockgate.spec.pipeline import InputType
    from lockgate.store.conversations import RunOptions

    budget = {k: v for k, v in (("max_cost", budget_cost), ("max_tokens", budget_tokens),
                                ("max_requests", budget_requests)) if v is not None}  # fmt: skip
    with exit_on_errors():
        if start_at is not None and extend is None:
            raise typer.BadParameter("only with --extend", param_hint="--start-at")
        definition = read_definition(ctx, file)
        plan = definition.plan
        spec = plan.spec
        # A Python file's own code tasks run here, beside those of LOCKGATE_TASKS.
        task_modules = [*settings(ctx).tasks, *([definition.module.__name__] if definition.module else [])]
        text_fields = frozenset(name for name, field in spec.input.items() if field.type is InputType.STRING)
        given = parse_inputs(input_ or [], input_file, text_fields)  # checked by start_run
        request = ExtendRequest(extend, start_at) if extend is not None else None
        options = RunOptions(budget=budget or None, replay_from=replay)
        state = asyncio.run(_run(settings(ctx), spec, plan, given, quiet, options, request, task_modules))
    finish(state, json_output)


async def _run(
    cfg: Settings,
    spec: PipelineSpec,
    plan: Plan,
    given: dict[str, JsonValue],
    quiet: bool,
    options: RunOptions,
    extend: ExtendRequest | None = None,
    task_modules: Sequence[str] = (),
) -> RunState:
    from lockgate.handlers.code_tasks import load_tasks
    from lockgate.handlers.registry import default_registry
    from lockgate.runtime import Runtime

    runtime = Runtime(cfg, registry=default_registry(load_tasks(task_modules)))
    await runtime.start()
    try:
        if options.replay_from is not None:
            options = dataclasses.replace(options, replay_from=await runtime.db_call(_replay_source, runtime, spec.name,
                                                                                      options.replay_from))  # fmt: skip
        head = await runtime.start_run(spec, None, given, options, extend)
        title = f"{spec.name} v{head.number}  (run {head.id})"
        return await watch(runtime, plan, head.id, title, quiet)
    finally:
        await runtime.stop()


async def watch(runtime: Runtime, plan: Plan, run_id: str, title: str, quiet: bool) -> RunState:
    import asyncio

    from lockgate.engine.state import people_only

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    waiter = asyncio.ensure_future(runtime.wait(run_id))
    stopper = asyncio.ensure_future(stop.wait())
    people: asyncio.Future[RunState] = loop.create_future()

    def on_applied(applied: Applied) -> None:
        state = applied.transition.state if applied.transition is not None else None
        if applied.run_id == run_id and state is not None and people_only(state) and not people.done():
            people.set_result(state)

    unlisten_people = runtime.listen(on_applied)
    current = await runtime.run_state(run_id)
    if people_only(current):  # resumed while it waits for a person
        people.set_result(current)
    progress = Progress(console, plan, title)
    done: set[asyncio.Future[Any]] = {waiter, stopper, people}
    if quiet:
        console.print(title)
        await asyncio.wait(done, return_when=asyncio.FIRST_COMPLETED)
    else:
        with progress:
            unlisten = runtime.listen(progress.on_applied)
            progress.show(current, datetime.now(UTC))
            await asyncio.wait(done, return_when=asyncio.FIRST_COMPLETED)
            unlisten()
            progress.show(await runtime.run_state(run_id), datetime.now(UTC))
        if not console.is_terminal:  # Live leaves the last line open when it cannot redraw in place
            console.print()
    unlisten_people()
    stopper.cancel()
    if waiter.done():
        return waiter.result()
    waiter.cancel()
    if people.done():
        return await runtime.run_state(run_id)
    err_console.print(
        Text.assemble(("interrupted; the run goes on when resumed:", "yellow"), f" lockgate resume {run_id}")
    )
    raise typer.Exit(130)


def _waiting(state: RunState) -> None:
    from lockgate.engine import StepStatus

    console.print(Text.assemble((f"{state.pipeline} v{state.number} waits for a person", "yellow"),
                                f" (run {state.run_id}):"))  # fmt: skip
    for step in sorted(state.steps.values(), key=lambda s: s.key):
        if step.status is StepStatus.WAITING and step.waiting is not None:
            console.print(f"  {step.key}: {step.waiting.value}, task {step.task}", highlight=False)
    console.print("answer through the server: lockgate serve, then lockgate tasks list / approve / revise / submit")
    raise typer.Exit(EXIT_WAITING)


def finish(state: RunState, json_output: bool) -> None:
    from lockgate.engine import RunStatus
    from lockgate.engine.state import people_only

    if not state.status.terminal and people_only(state):
        _waiting(state)
    ok, failed, skipped, total = summary(state)
    style = "green" if state.status is RunStatus.SUCCEEDED else "red"
    took = ""
    if state.started_at and state.finished_at:
        took = f" in {(state.finished_at - state.started_at).total_seconds():.2f}s"
    counts = f"{took}: {ok} succeeded, {failed} failed, {skipped} skipped of {total} steps"
    console.print(Text.assemble((f"{state.pipeline} v{state.number} {state.status.value}", style), counts))
    if state.error is not None:
        err_console.print(Text.assemble((state.error.kind, "red"), f": {state.error.message}"), highlight=False)
    if json_output:
        typer.echo(json.dumps(state.output, indent=2, default=str))
    if state.status is not RunStatus.SUCCEEDED:
        raise typer.Exit(EXIT_FAILED)


def resume(
    ctx: typer.Context,
    run_ref: Annotated[str, typer.Argument(metavar="RUN", help="run id or PIPELINE/vN")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Carry on a run after a crash (or resume a paused one) and watch it to the end."""
    import asyncio

    with exit_on_errors():
        state = asyncio.run(_resume(settings(ctx), run_ref, quiet))
    finish(state, json_output)


async def _resume(cfg: Settings, ref: str, quiet: bool) -> RunState:
    from lockgate.engine import RunResumed, RunStatus
    from lockgate.runtime import Runtime
    from lockgate.store.runs import find_run

    probe = Runtime(cfg)
    with probe.db.read() as conn:
        head = find_run(conn, ref)
    probe.db.dispose()
    runtime = Runtime(cfg, scope={head.id})
    await runtime.start()
    try:
        plan, state = await runtime.db_call(read_run, runtime, head.id)
        if state.status is RunStatus.PAUSED:
            with contextlib.suppress(InvalidTransitionError):  # someone resumed it meanwhile
                await runtime.apply(head.id, RunResumed(by="cli"))
        await runtime.maintenance.once()  # recover lost attempts and due timers now, not in two seconds
        return await watch(runtime, plan, head.id, f"{head.pipeline} v{head.number}  (run {head.id})", quiet)
    finally:
        await runtime.stop()


def _replay_source(runtime: Runtime, pipeline: str, ref: str) -> str:
    from lockgate.store.runs import replay_source

    with runtime.db.read() as conn:
        return replay_source(conn, pipeline, ref, "--replay")


def read_run(runtime: Runtime, run_id: str) -> tuple[Plan, RunState]:
    from lockgate.store.runs import lock_run

    with runtime.db.read() as conn:
        return runtime.applier.read_state(conn, lock_run(conn, run_id))


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(resume)
    app.command()(validate)
    app.command()(schema)
