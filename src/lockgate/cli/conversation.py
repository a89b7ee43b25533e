"""``lockgate runs conversation RUN STEP``: what an agent step's agents said, attempt by attempt, turn by turn."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from lockgate.cli.options import console, exit_on_errors, settings

if TYPE_CHECKING:
    from lockgate.api.schemas.conversations import CostTotals, TurnRead

__all__ = ["conversation", "register"]

_WHO = {"system-prompt": "system", "user-prompt": "user", "text": "model", "tool-call": "tool call",
        "tool-return": "tool result", "retry-prompt": "retry", "thinking": "thinking"}  # fmt: skip


def _clip(text: str, width: int | None) -> str:
    if width is None or len(text) <= width:
        return text
    return text[:width] + f" [… {len(text) - width} more characters: --full]"


def _content(part: dict[str, Any]) -> str:
    if part.get("part_kind") == "tool-call":
        args = part.get("args")
        shown = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
        return f"{part.get('tool_name')}({shown})"
    content = part.get("content")
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, default=str)
    return f"{part['tool_name']}: {text}" if part.get("part_kind") == "tool-return" and "tool_name" in part else text


def _messages(messages: Any, width: int | None) -> None:
    shown = None  # every request repeats the instructions: show them when they change
    for message in messages if isinstance(messages, list) else []:
        instructions = message.get("instructions") if message.get("kind") == "request" else None
        if instructions and instructions != shown:
            console.print(Text("    instructions  ", "dim") + Text(_clip(instructions, width)), soft_wrap=True)
            shown = instructions
        for part in message.get("parts") or []:
            who = _WHO.get(part.get("part_kind", ""), part.get("part_kind", "?"))
            console.print(Text(f"    {who:<12}  ", "bold" if who == "model" else "dim") +
                          Text(_clip(_content(part), width)), soft_wrap=True)  # fmt: skip


def _sums(totals: CostTotals | TurnRead) -> str:
    estimated = " (estimated: the server reported no usage)" if totals.estimated else ""
    return (f"{totals.requests} request(s), {totals.input_tokens:,} in / {totals.output_tokens:,} out tokens, "
            f"${totals.cost:.6f}{estimated}")  # fmt: skip


def conversation(
    ctx: typer.Context,
    run_ref: Annotated[str, typer.Argument(metavar="RUN", help="run id or PIPELINE/vN")],
    step: Annotated[str, typer.Argument(help="the step (a node id, or node[i] for an item)")],
    attempt: Annotated[int | None, typer.Option(min=1, help="one attempt; default: every attempt")] = None,
    full: Annotated[bool, typer.Option("--full", help="long messages in full")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="print it as JSON (the API's shape)")] = False,
) -> None:
    """An agent step's conversation: each attempt's turns (member, role, round), messages and tool calls, usage."""
    # FastAPI and the store load only when this command runs: every other command starts faster
    from lockgate.api.routes.agents import step_conversation
    from lockgate.store.database import Database
    from lockgate.store.migrate import upgrade

    cfg = settings(ctx)
    db = Database(cfg.db_url, synchronous=cfg.sqlite_synchronous)
    try:
        upgrade(db)
        with exit_on_errors(), db.read() as conn:
            read = step_conversation(conn, run_ref, step, attempt)
    finally:
        db.dispose()
    if json_output:
        typer.echo(read.model_dump_json(indent=2))
        return
    if not read.attempts:
        console.print(f"step {step} of {run_ref} has no agent conversation")
        return
    width = None if full else 500
    for each in read.attempts:
        console.print(Text(f"attempt {each.attempt}", "bold") + Text(f"  {_sums(each.totals)}"))
        for turn in each.turns:
            where = f", round {turn.round}" if turn.round else ""
            console.print(Text(f"  {turn.member} ({turn.role.value}{where})", "cyan") + Text(f"  {_sums(turn)}"))
            _messages(turn.messages, width)
            if turn.error:
                console.print(Text(f"    error         {turn.error}", "red"))


def register(runs_app: typer.Typer) -> None:
    runs_app.command()(conversation)
