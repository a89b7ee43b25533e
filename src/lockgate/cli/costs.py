"""``lockgate runs costs RUN``: what a run's agents used and cost, per step, member and model, against its budgets.

The JSON is the API's ``GET /runs/{run}/costs`` (steps and attempts, totals, the run's budget) with what the
CLI adds: totals per member and per model, what requests in flight hold, and every budget (the run's and each
agent node's) with what is spent, held and left.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from lockgate.cli.options import console, exit_on_errors, settings

if TYPE_CHECKING:  # the store is imported when the command runs: every command imports this module
    from sqlalchemy import Connection

    from lockgate.spec.agent import Budget
    from lockgate.store import conversations as store

__all__ = ["costs", "register"]


def _add(into: dict[str, Any], row: Any) -> None:
    into["requests"] = into.get("requests", 0) + int(row[-2])
    into["replayed"] = into.get("replayed", 0) + (int(row[-2]) if row.replayed else 0)
    into["input_tokens"] = into.get("input_tokens", 0) + int(row[-4])
    into["output_tokens"] = into.get("output_tokens", 0) + int(row[-3])
    into["cost"] = into.get("cost", 0.0) + float(row[-1])
    into["estimated"] = into.get("estimated", 0) + int(row.estimated)


def _grouped(rows: list[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    members: dict[tuple[str, str], dict[str, Any]] = {}
    models: dict[str, dict[str, Any]] = {}
    for row in rows:
        _add(members.setdefault((row.step_key, row.member), {"step": row.step_key, "member": row.member}), row)
        _add(models.setdefault(row.model, {"model": row.model}), row)
    return list(members.values()), sorted(models.values(), key=lambda m: str(m["model"]))


def _spend(totals: store.Totals) -> dict[str, Any]:
    return {"cost": totals.cost, "tokens": totals.tokens, "requests": totals.requests}


def _budget(scope: str, limit: Budget, spent: store.Totals, held: store.Totals) -> dict[str, Any]:
    used, holding = _spend(spent), _spend(held)
    limits = {"cost": limit.max_cost, "tokens": limit.max_tokens, "requests": limit.max_requests}
    left = {k: None if v is None else max(v - used[k] - holding[k], 0) for k, v in limits.items()}
    return {"scope": scope, "limit": limit.model_dump(exclude_none=True), "spent": used, "held": holding,
            "left": {k: v for k, v in left.items() if v is not None}}  # fmt: skip


def _report(conn: Connection, ref: str) -> dict[str, Any]:
    # FastAPI loads only when this command runs: every other command starts faster
    from lockgate.api.routes.agents import run_costs
    from lockgate.store import conversations as store
    from lockgate.store.pipelines import get_version
    from lockgate.store.runs import find_run

    head = find_run(conn, ref)
    read = run_costs(conn, head.id)
    report = read.model_dump(mode="json")
    report["members"], report["models"] = _grouped(store.usage_breakdown(conn, head.id))
    report["held"] = _spend(store.held(conn, head.id))
    budgets = []
    if read.budget is not None:
        budgets.append(_budget("run", read.budget, store.spent(conn, head.id), store.held(conn, head.id)))
    limits = [(n.id, b) for n in get_version(conn, head.version_id).spec().nodes if (b := n.budget()) is not None]
    budgets.extend(_budget(f"node {node_id}", budget, store.spent(conn, head.id, node_id),
                           store.held(conn, head.id, node_id)) for node_id, budget in limits)  # fmt: skip
    report["budgets"] = budgets
    return report


def _money(value: float) -> str:
    return f"${value:,.6f}".rstrip("0").rstrip(".") if value else "$0"


def _row(item: dict[str, Any]) -> list[str]:
    replayed = f" ({item['replayed']} replayed)" if item["replayed"] else ""
    replayed += f" ({item['estimated']} estimated)" if item.get("estimated") else ""
    return [f"{item['requests']}{replayed}", f"{item['input_tokens']:,}", f"{item['output_tokens']:,}",
            _money(item["cost"])]  # fmt: skip


def _table(first: list[str], rows: list[tuple[list[str], dict[str, Any]]], total: dict[str, Any]) -> Table:
    table = Table(*first, "requests", "tokens in", "tokens out", "US$", box=None, header_style="bold")
    for label, item in rows:
        table.add_row(*label, *_row(item))
    table.add_section()
    table.add_row(*(["total"] + [""] * (len(first) - 1)), *_row(total), style="bold")
    return table


def _limits(values: dict[str, Any]) -> str:
    parts = [_money(values["cost"]) if "cost" in values else None,
             f"{values['tokens']:,} tokens" if "tokens" in values else None,
             f"{values['requests']} requests" if "requests" in values else None]  # fmt: skip
    return ", ".join(p for p in parts if p)


def _print(report: dict[str, Any]) -> None:
    total = report["totals"]
    console.print(Text(f"{report['ref']}  agent costs", "bold") + Text(f"  (run {report['run_id']})"))
    if not report["steps"]:
        console.print("no model requests in this run")
    else:
        steps = [([s["step"], ", ".join(str(a["attempt"]) for a in s["attempts"])], s["totals"])
                 for s in report["steps"]]  # fmt: skip
        members = [([m["step"], m["member"]], m) for m in report["members"]]
        for table in (_table(["step", "attempts"], steps, total), _table(["step", "member"], members, total),
                      _table(["model"], [([m["model"]], m) for m in report["models"]], total)):  # fmt: skip
            console.print()
            console.print(table)
    held = report["held"]
    if held["requests"]:
        console.print(f"held by {held['requests']} request(s) in flight: {_limits(held)}", highlight=False)
    for b in report["budgets"]:
        limit = {"cost": b["limit"].get("max_cost"), "tokens": b["limit"].get("max_tokens"),
                 "requests": b["limit"].get("max_requests")}  # fmt: skip
        shown = {k: v for k, v in limit.items() if v is not None}
        console.print(f"budget ({b['scope']}): {_limits(shown)}; spent {_limits({k: b['spent'][k] for k in shown})}, "
                      f"held {_limits({k: b['held'][k] for k in shown})}, left {_limits(b['left'])}",
                      highlight=False)  # fmt: skip


def _print_pipeline(report: dict[str, Any]) -> None:
    console.print(Text(f"{report['pipeline']}  agent costs per run", "bold"))
    if not report["runs"]:
        console.print("no model requests in its runs")
        return
    console.print(_table(["run"], [([f"v{r['number']}"], r) for r in report["runs"]], report["totals"]))


def costs(
    ctx: typer.Context,
    run_ref: Annotated[str | None, typer.Argument(metavar="[RUN]", help="run id or PIPELINE/vN")] = None,
    pipeline: Annotated[str | None, typer.Option("--pipeline", "-p", help="every run of the pipeline")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="print it as JSON")] = False,
) -> None:
    """Tokens and US$ of a run's agent steps: per step, member and model, in all, and against its budgets.

    With --pipeline: per run of the pipeline, and in all (replayed answers are free).
    """
    if (run_ref is None) == (pipeline is None):
        raise typer.BadParameter("give a RUN or --pipeline NAME (one of them)")
    # FastAPI loads only when this command runs: every other command starts faster
    from lockgate.api.routes.agents import pipeline_costs
    from lockgate.store.database import Database
    from lockgate.store.migrate import upgrade

    cfg = settings(ctx)
    db = Database(cfg.db_url, synchronous=cfg.sqlite_synchronous)
    try:
        upgrade(db)
        with exit_on_errors(), db.read() as conn:
            if run_ref is not None:
                report = _report(conn, run_ref)
            else:
                report = pipeline_costs(conn, pipeline or "").model_dump(mode="json")
    finally:
        db.dispose()
    if json_output:
        typer.echo(json.dumps(report, indent=2))
    elif run_ref is not None:
        _print(report)
    else:
        _print_pipeline(report)


def register(runs_app: typer.Typer) -> None:
    runs_app.command()(costs)
