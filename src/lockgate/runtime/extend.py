"""Runs that extend an earlier run: which steps they take over (with their artifacts), and how they start."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from lockgate.engine import ArtifactRecord, ReusedStep, RunRef, RunStarted, StepStatus
from lockgate.engine.paths import step_folder
from lockgate.errors import InvalidInputError
from lockgate.store.conversations import run_options_of
from lockgate.store.runs import RunHead, find_run, get_run
from lockgate.store.tables import artifacts, runs

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pydantic import JsonValue
    from sqlalchemy import Connection

    from lockgate.artifacts.layout import ArtifactLayout
    from lockgate.compile import Plan
    from lockgate.runtime.applier import Applier

__all__ = ["first_event", "resolve_extend", "resolve_reference", "start_event"]

_NUMBER = re.compile(r"^v?(\d+)$")


def resolve_reference(conn: Connection, pipeline: str, ref: str) -> RunHead:
    """A run named ``vN`` (of ``pipeline``), ``pipeline/vN`` or by id."""
    number = _NUMBER.match(ref)
    return find_run(conn, f"{pipeline}/v{number[1]}" if number else ref)


def resolve_extend(conn: Connection, pipeline: str, plan: Plan, ref: str, start_at: str | None) -> RunHead:
    """The run to extend (``vN``, ``pipeline/vN`` or an id), which must be of the same pipeline."""
    head = resolve_reference(conn, pipeline, ref)
    if head.pipeline != pipeline:
        raise InvalidInputError([f"extend: run {ref} is of pipeline {head.pipeline}, not {pipeline}"])
    if start_at is not None and start_at not in plan.nodes:
        raise InvalidInputError([f"start_at: {start_at!r} is not a node of {pipeline}"])
    return head


def _artifacts_of(conn: Connection, run_id: str, node_id: str) -> list[ArtifactRecord]:
    """The current artifacts of a node's step (and its items): not earlier attempts, not archived ones."""
    folder = step_folder(node_id) + "/"
    rows = conn.execute(
        select(artifacts).where(
            artifacts.c.run_id == run_id,
            artifacts.c.archived.is_(False),
            or_(artifacts.c.step_key == node_id, artifacts.c.step_key.like(f"{node_id}[%")),
        )
    )
    return [
        ArtifactRecord(name=r.name, path=r.path, size=r.size, sha256=r.sha256, media_type=r.media_type, source=r.id)
        for r in rows
        if r.path.startswith(folder)
    ]


def start_event(conn: Connection, applier: Applier, layout: ArtifactLayout, run_id: str) -> RunStarted:
    """The RunStarted of a run created but not started (deferred by flow control, or its creator died).

    From what its rows hold: the input, what it extends, and a draft run's pins (kept in its options).
    """
    record = get_run(conn, run_id)
    row = conn.execute(select(runs.c.extends_run_id, runs.c.start_at).where(runs.c.id == run_id)).one()
    source = find_run(conn, row.extends_run_id) if row.extends_run_id is not None else None
    pins = run_options_of(conn, run_id).pins
    return first_event(conn, applier, layout, find_run(conn, run_id), record.input, source, row.start_at, pins)


def first_event(
    conn: Connection,
    applier: Applier,
    layout: ArtifactLayout,
    head: RunHead,
    input_: dict[str, JsonValue],
    source: RunHead | None,
    start_at: str | None,
    pins: Mapping[str, JsonValue] | None = None,
) -> RunStarted:
    """How the run starts: its input, and for a run extending ``source`` the steps before ``start_at`` taken over.

    The reused artifacts are linked into the new run's folder here (again after a crash: it is idempotent).
    ``pins`` (a draft run's only) give nodes an output that is taken over in place of running them.
    """
    budgets = applier.budgets()
    if source is None and not pins:
        return RunStarted(input=input_, budgets=budgets)
    plan = applier.plan(conn, head.version_id)
    pinned = {
        node_id: ReusedStep(output=value, artifacts=[])
        for node_id, value in (pins or {}).items()
        if node_id in plan.nodes and node_id != start_at  # a pin of a node no longer there is stale
    }
    if source is None:
        return RunStarted(input=input_, reuse=pinned, budgets=budgets)
    _, state = applier.read_state(conn, source)
    reuse: dict[str, ReusedStep] = {}
    before = plan.nodes[start_at].ancestors if start_at is not None and start_at in plan.nodes else frozenset()
    for node_id in sorted(before):
        step = state.steps.get(node_id)
        if step is None or step.status is not StepStatus.SUCCEEDED:
            continue  # it runs again
        records = _artifacts_of(conn, source.id, node_id)
        layout.link_files(head.pipeline, source.number, head.number, [a.path for a in records])
        reuse[node_id] = ReusedStep(
            output=step.output,
            next=list(step.next) if step.next is not None else None,
            branches=list(step.branches) if step.branches is not None else None,
            artifacts=records,
        )
    extends = RunRef(run_id=source.id, number=source.number)
    return RunStarted(input=input_, extends=extends, reuse={**reuse, **pinned}, budgets=budgets)
