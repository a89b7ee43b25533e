"""What every command shares: settings from options and env, input parsing, errors → exit codes."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.text import Text

from lockgate.errors import DefinitionErrors, InvalidInputError, LockgateError

if TYPE_CHECKING:  # imported where used: every command imports this module, most need neither pydantic nor YAML
    from pydantic import BaseModel, JsonValue

    from lockgate.settings import Settings

__all__ = [
    "EXIT_DEFINITION",
    "EXIT_FAILED",
    "EXIT_WAITING",
    "console",
    "err_console",
    "exit_on_errors",
    "not_blank",
    "parse_inputs",
    "print_problems",
    "print_read",
    "settings",
]

# Markup off: messages carry users' text (a pattern such as ``^[a-z]…``, a step's stderr) that Rich would read as
# style tags and swallow. Styles are given as ``Text`` parts instead, never inside an f-string.
console = Console(markup=False)
err_console = Console(stderr=True, markup=False)
EXIT_FAILED = 1
EXIT_DEFINITION = 2
EXIT_WAITING = 3  # the run is not finished: it waits for a person (a human task)


def not_blank(value: str | None) -> str | None:
    """Callback of an argument naming a task, run or artifact: an empty one is a usage error (exit 2), not a lookup."""
    if value is not None and not value.strip():
        raise typer.BadParameter("is empty: give an id (the list commands show them)")
    return value


def settings(ctx: typer.Context) -> Settings:
    from lockgate.settings import Settings

    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings()


def print_read(schema: type[BaseModel], records: object) -> None:
    """Print records (one, or a list) as JSON in the API's shape: ``schema`` is the API's ``…Read`` model."""

    def one(record: object) -> object:
        return schema.model_validate({k: getattr(record, k) for k in schema.model_fields}).model_dump(mode="json")

    shown = [one(r) for r in records] if isinstance(records, list) else one(records)
    typer.echo(json.dumps(shown, indent=2))


def parse_inputs(
    pairs: list[str], input_file: Path | None, text_fields: frozenset[str] = frozenset()
) -> dict[str, JsonValue]:
    """``--input-file`` (JSON or YAML) first, then each ``--input key=value``.

    A value is JSON if it parses, else text; a field declared as a string always takes the text as given.
    """
    data: dict[str, JsonValue] = {}
    if input_file is not None:
        import yaml

        loaded = yaml.safe_load(input_file.read_text())
        if not isinstance(loaded, dict):
            raise typer.BadParameter(f"{input_file} must hold a mapping", param_hint="--input-file")
        data.update(loaded)
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{pair!r} is not key=value", param_hint="--input")
        if key in text_fields:
            data[key] = raw
            continue
        try:
            data[key] = json.loads(raw)
        except json.JSONDecodeError:
            data[key] = raw
    return data


@contextlib.contextmanager
def exit_on_errors() -> Iterator[None]:
    """Print Lockgate errors plainly (what and where) and exit non-zero; never a traceback for user errors."""
    try:
        yield
    except DefinitionErrors as exc:
        problems = []
        for error in exc.errors:
            where = ".".join(p for p in (error.node_id, error.field) if p) or "pipeline"
            problems.append((_place(exc.source, error.line) + where, error.detail))
        print_problems(f"{len(exc.errors)} definition problem(s)", problems)
        raise typer.Exit(EXIT_DEFINITION) from None
    except InvalidInputError as exc:
        print_problems("invalid input", [("", problem) for problem in exc.problems])
        raise typer.Exit(EXIT_DEFINITION) from None
    except LockgateError as exc:
        print_problems(f"{exc.code}: {exc.detail}", [])
        raise typer.Exit(EXIT_FAILED) from None


def _place(source: str | None, line: int | None) -> str:
    """``file:line: `` as compilers print it (or what of it is known)."""
    if source and line:
        return f"{source}:{line}: "
    return f"{source}: " if source else f"line {line}: " if line else ""


def print_problems(headline: str, problems: list[tuple[str, str]]) -> None:
    """``✗ headline``, then one line per problem: where (bold, when known) and what, each said once."""
    err_console.print(Text(f"✗ {headline}" + (":" if problems else ""), "red"), highlight=False)
    for where, what in problems:
        # a message that already starts with its place (``input.topic: required``) is not prefixed again
        shown = what.removeprefix(f"{where}:").lstrip() if where else what
        line = Text("  ") + (Text(where, "bold") + ": " if where else Text()) + shown
        err_console.print(line, highlight=False)
