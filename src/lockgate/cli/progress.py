"""Live progress of a run in the terminal: a line per step (status, attempt, duration), a summary at the end."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # ``lockgate runs`` imports STYLE: the engine and the runtime are imported for a run only
    from lockgate.compile import Plan
    from lockgate.engine import RunState, StepState
    from lockgate.runtime import Applied

__all__ = ["Progress", "render_steps"]

STYLE = {
    "pending": "dim",
    "queued": "cyan",
    "running": "yellow",
    "retrying": "magenta",
    "waiting": "bold blue",  # for a person
    "succeeded": "green",
    "failed": "red",
    "skipped": "dim",
    "cancelled": "red",
}
ICON = {"succeeded": "✓", "failed": "✗", "skipped": "↷", "cancelled": "⊘", "running": "▶", "retrying": "↻",
        "waiting": "⧗"}  # fmt: skip


def _duration(step: StepState, now: datetime) -> str:
    if step.started_at is None:
        return ""
    seconds = ((step.finished_at or now) - step.started_at).total_seconds()
    return f"{seconds:.2f}s" if seconds < 60 else f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def render_steps(plan: Plan, state: RunState, now: datetime) -> Table:
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    for column in ("step", "status", "attempt", "duration", "detail"):
        table.add_column(column)
    for node_id in plan.order:
        step = state.steps.get(node_id)
        if step is None:
            table.add_row(node_id, Text("· not started", "dim"), "", "", "")
            continue
        status = step.status.value
        # "waiting" alone would read like the steps not started yet: say for whom, or that a timer holds it
        shown = status if status != "waiting" else "waiting for a person" if step.waiting else "waiting for its time"
        detail = ""
        if step.items is not None:
            p = step.items
            detail = f"{p.done - p.failed}/{p.total} items done" + (f", {p.failed} failed" if p.failed else "")
        elif step.error is not None:
            detail = f"{step.error.kind}: {step.error.message}".splitlines()[0][:100]
        label = Text(f"{ICON.get(status, '·')} {shown}", STYLE.get(status, ""))
        table.add_row(node_id, label, str(step.attempt or ""), _duration(step, now), Text(detail, "dim"))
    return table


class Progress:
    """Fed by the runtime's listener; redraws at most a few times a second (Rich Live throttles)."""

    def __init__(self, console: Console, plan: Plan, title: str) -> None:
        self.plan = plan
        self.title = title
        self.state: RunState | None = None
        self.live = Live(console=console, refresh_per_second=8, transient=False)

    def __enter__(self) -> Progress:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__(None, None, None)

    def on_applied(self, applied: Applied) -> None:
        if applied.transition is None:
            return
        state = applied.transition.state
        if self.state is not None and state.run_id != self.state.run_id:
            return
        self.state = state
        self.live.update(self._view(applied.at))

    def show(self, state: RunState, now: datetime) -> None:
        self.state = state
        self.live.update(self._view(now))

    def _view(self, now: datetime) -> Group:
        if self.state is None:
            return Group()
        header = Text(f"{self.title}  ", "bold")
        header.append(self.state.status.value, STYLE.get(self.state.status.value, ""))
        return Group(header, render_steps(self.plan, self.state, now))


def summary(state: RunState) -> tuple[int, int, int, int]:
    """(succeeded, failed, skipped, total) over node-level steps."""
    from lockgate.engine import StepStatus

    nodes = [s for s in state.steps.values() if s.item_index is None]
    counts = {st: sum(1 for s in nodes if s.status is st) for st in StepStatus}
    return counts[StepStatus.SUCCEEDED], counts[StepStatus.FAILED], counts[StepStatus.SKIPPED], len(nodes)
