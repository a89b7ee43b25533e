"""``lockgate tasks list|show`` and ``lockgate approve|revise|submit|reject TASK``: human tasks on a server."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from lockgate.cli.client import DEFAULT_URL, KeyOption, UrlOption, segment, server
from lockgate.cli.options import console, not_blank
from lockgate.cli.short_ids import short_ids

__all__ = ["app", "register"]

app = typer.Typer(help="Human tasks waiting for people, on a server (--url, --key).", no_args_is_help=True)
TaskArg = Annotated[
    str, typer.Argument(metavar="TASK", help="the task's id, or its first characters (tasks list)", callback=not_blank)
]
JsonOption = Annotated[bool, typer.Option("--json", help="print the server's answer as JSON")]
_TEXT_TYPES = frozenset({"text", "multiline", "date"})


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


@app.command("list")
def list_(
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    every: Annotated[bool, typer.Option("--all", help="every task, not only those you may answer")] = False,
    status: Annotated[
        str, typer.Option(help="open, approved, submitted, revision_requested, rejected, cancelled or any")
    ] = "open",
    pipeline: Annotated[str | None, typer.Option("--pipeline", "-p")] = None,
    run: Annotated[str | None, typer.Option(help="a run id or PIPELINE/vN")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=500)] = 50,
    json_output: JsonOption = False,
) -> None:
    """The inbox: open tasks you may answer, oldest first."""
    params: dict[str, Any] = {"status": status, "assigned": "any" if every else "me", "limit": limit}
    params.update({k: v for k, v in {"pipeline": pipeline, "run": run}.items() if v is not None})
    with server(url, key) as api:
        page = api.call("GET", "/tasks", params=params)
    if json_output:
        _print_json(page["items"])
        return
    shown = short_ids(t["id"] for t in page["items"])
    table = Table(box=None, header_style="bold")
    # the id is what approve, revise, submit and reject take: shown short and never cut
    table.add_column("task", no_wrap=True, min_width=max((len(s) for s in shown.values()), default=4))
    for column in ("run", "step", "asks", "title", "status", "opened"):
        table.add_column(column)
    for t in page["items"]:
        status = f"{t['status']} (run paused)" if t.get("run_paused") else t["status"]
        table.add_row(shown[t["id"]], t["run"], t["step"], t["purpose"], Text(t["title"]), status, t["created_at"][:19])
    console.print(table if page["items"] else "no tasks")


@app.command()
def show(task: TaskArg, url: UrlOption = DEFAULT_URL, key: KeyOption = None, json_output: JsonOption = False) -> None:
    """One task: what it asks, the inputs, the output and artifacts to review, the answers so far."""
    with server(url, key) as api:
        detail = api.call("GET", f"/tasks/{segment(task)}")
    if json_output:
        _print_json(detail)
        return
    console.print(Text(detail["title"], "bold") + Text(f"  {detail['status']}  ({detail['purpose']})"))
    console.print(f"run {detail['run']}  step {detail['step']}  attempt {detail['attempt']}  "
                  f"revisions {detail['revisions']}/{detail['max_revisions']}", highlight=False)  # fmt: skip
    if detail.get("instructions"):
        console.print(Text(detail["instructions"].strip()))
    if detail.get("revision_feedback"):
        console.print(Text(f"revision asked: {detail['revision_feedback']}", "yellow"))
    console.print(f"inputs {json.dumps(detail['context'], default=str)[:300]}", highlight=False)
    if detail.get("output") is not None:
        console.print(f"output {json.dumps(detail['output'], default=str)[:500]}", highlight=False)
    for field in detail.get("form") or []:
        console.print(f"  field {field['name']} ({field['type']}{', required' if field['required'] else ''})"
                      f"  default {json.dumps(field.get('default'))}", highlight=False)  # fmt: skip
    for artifact in detail["artifacts"]:
        console.print(
            f"  artifact {artifact['name']} (attempt {artifact['attempt']}) {artifact['id']}", highlight=False
        )
    if detail["actions"]:
        console.print(f"answers: {', '.join(detail['actions'])}{'' if detail['can_answer'] else ' (not by you)'}")


def _answered(detail: dict[str, Any], json_output: bool) -> None:
    if json_output:
        _print_json(detail)
        return
    console.print(
        f"task {detail['id']}: {detail['status']} by {detail['closed_by']}  ({detail['run']} {detail['step']})"
    )


@app.command()
def approve(
    task: TaskArg,
    comment: Annotated[str | None, typer.Option(help="recorded with the answer")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    json_output: JsonOption = False,
) -> None:
    """Approve a task: the step starts, or its attempt counts as done and the run goes on."""
    with server(url, key) as api:
        _answered(api.call("POST", f"/tasks/{segment(task)}/approve", json={"comment": comment}), json_output)


@app.command()
def revise(
    task: TaskArg,
    feedback: Annotated[str, typer.Option("--feedback", "-f", help="what to change: the next attempt sees it")],
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    json_output: JsonOption = False,
) -> None:
    """Send a step back: it runs again with the feedback (up to its max_revisions)."""
    with server(url, key) as api:
        _answered(api.call("POST", f"/tasks/{segment(task)}/revise", json={"feedback": feedback}), json_output)


@app.command()
def reject(
    task: TaskArg,
    reason: Annotated[str | None, typer.Option(help="recorded, and in the step's error")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    json_output: JsonOption = False,
) -> None:
    """Reject: the step fails with error kind rejected (its on_error decides what follows)."""
    with server(url, key) as api:
        _answered(api.call("POST", f"/tasks/{segment(task)}/reject", json={"reason": reason}), json_output)


def _value(field: dict[str, Any] | None, raw: str) -> Any:
    """Text as given for text, date and single-choice fields; ``@path`` uploads a file; else JSON if it parses."""
    kind = field["type"] if field is not None else None
    if kind == "file":
        if not raw:
            return None  # no file
        path = Path(raw.removeprefix("@")).expanduser()
        if not path.is_file():
            raise typer.BadParameter(f"{path} is not a file", param_hint="--field")
        return {"filename": path.name, "content_base64": base64.b64encode(path.read_bytes()).decode()}
    if kind in _TEXT_TYPES or (kind == "select" and field is not None and not field.get("multiple")):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


@app.command()
def submit(
    task: TaskArg,
    field: Annotated[
        list[str] | None, typer.Option("--field", "-F", help="name=value (a file field: name=@path)")
    ] = None,
    comment: Annotated[str | None, typer.Option(help="recorded with the answer")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    json_output: JsonOption = False,
) -> None:
    """Fill in a human step's form; refused values are listed field by field and nothing changes.

    A value is taken as text for text, date and single-choice fields, else as JSON when it parses
    (``--field n=3``, ``--field tags='["a","b"]'``). A file field takes ``name=@path``: the file is uploaded.
    """
    with server(url, key) as api:
        form = {f["name"]: f for f in api.call("GET", f"/tasks/{segment(task)}").get("form") or []}
        values: dict[str, Any] = {}
        for pair in field or []:
            name, sep, raw = pair.partition("=")
            if not sep or not name:
                raise typer.BadParameter(f"{pair!r} is not name=value", param_hint="--field")
            values[name] = _value(form.get(name), raw)
        _answered(
            api.call("POST", f"/tasks/{segment(task)}/submit", json={"values": values, "comment": comment}), json_output
        )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="tasks")
    for command in (approve, revise, submit, reject):
        root.command()(command)
