"""Command groups imported when they are used, not when ``lockgate`` starts.

``lockgate models`` and ``lockgate agents`` take the agent stack's enums (providers, tools, output modes) as
option types, and those live with the spec and the handlers: half a second of imports that ``lockgate --help``
and every other command would pay. The root group lists a light stand-in (the same name and help) and imports the
real group only when it is resolved: to run it, show its own help or complete it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import typer
from typer import _click
from typer.core import TyperGroup

__all__ = ["LAZY_GROUPS", "LazyGroup", "LazyTyper", "register_lazy"]


@dataclass(frozen=True, slots=True)
class LazyTyper:
    """Where a sub-app lives (``module.attribute``, a ``typer.Typer``) and its help, shown without importing it."""

    module: str
    attribute: str
    help: str


LAZY_GROUPS = {
    "models": LazyTyper(
        "lockgate.cli.models", "models_app", "Model profiles: which model, where, with which credential, at what price."
    ),
    "agents": LazyTyper(
        "lockgate.cli.models", "agents_app", "Agent profiles: predefined agents that team members refer to."
    ),
}


class LazyGroup(TyperGroup):
    """A group whose ``LAZY_GROUPS`` members are stand-ins while it lists them, the real groups otherwise."""

    _listing = False
    _real: frozenset[str] = frozenset()  # the members already swapped for their real group, in this instance

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        lazy = LAZY_GROUPS.get(cmd_name)
        if lazy is not None and not self._listing and cmd_name not in self._real:
            sub_app = getattr(importlib.import_module(lazy.module), lazy.attribute)
            real = typer.main.get_group(sub_app)
            real.name = cmd_name
            self.commands[cmd_name] = real
            self._real = self._real | {cmd_name}
        return super().get_command(ctx, cmd_name)


def register_lazy(app: typer.Typer, name: str) -> None:
    """Add ``LAZY_GROUPS[name]`` to ``app`` (made with ``cls=LazyGroup``) as a stand-in in this place of the list."""
    app.add_typer(typer.Typer(help=LAZY_GROUPS[name].help, no_args_is_help=True), name=name)
