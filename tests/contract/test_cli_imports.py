"""``lockgate --help`` starts at once: the commands import the product when they run, not when the CLI loads.

Each check runs a fresh interpreter (the test process has imported everything already) and reads ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What ``lockgate --help`` must not load: the database layer, migrations, the HTTP client, the agent stack, the
# API, and the product's heavy packages (the spec's JSON Schema, Jinja2, the runtime's cron and crypto); nor
# asyncio, logging or OpenSSL, which only running commands use, nor the parts of Rich help never shows (Markdown
# with markdown-it and Pygments, tracebacks with attrs).
HEAVY = ("sqlalchemy", "alembic", "httpx", "pydantic_ai", "fastapi", "uvicorn", "jinja2", "jsonschema", "croniter",
         "cryptography", "yaml", "pydantic", "lockgate.store", "lockgate.runtime", "lockgate.engine", "lockgate.spec",
         "lockgate.settings", "lockgate.api", "asyncio", "logging", "hashlib", "rich.markdown", "rich.traceback",
         "markdown_it", "pygments", "attr")  # fmt: skip
# A group's help runs the root callback first, which reads the settings (pydantic-settings, and what they name);
# still none of the database, migrations, HTTP client or agent stack.
HEAVY_FOR_GROUPS = ("sqlalchemy", "alembic", "httpx", "pydantic_ai", "fastapi", "uvicorn", "lockgate.store",
                    "lockgate.runtime", "lockgate.api")  # fmt: skip

# ``lockgate runs list`` on a home at the head revision: SQLAlchemy Core and the store's queries, read settings; not
# the migrations, the ORM, pydantic-settings, the API, the runtime, the engine or what they bring.
HEAVY_FOR_RUNS_LIST = ("alembic", "sqlalchemy.orm", "pydantic_settings", "dotenv", "httpx", "pydantic_ai", "fastapi",
                       "uvicorn", "jinja2", "croniter", "cryptography", "yaml", "rich.markdown", "lockgate.api",
                       "lockgate.runtime", "lockgate.engine", "lockgate.expressions", "lockgate.compile")  # fmt: skip

_PROBE = """
import contextlib, io, json, os, sys
if os.environ.get("PROBE_RICH_FIRST"):  # every module of Rich's there already: Typer's renderer is its own
    import rich.markdown, rich.traceback
from lockgate.cli.main import app
with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(io.StringIO()) as err:
    try:
        app(sys.argv[1:], prog_name="lockgate")
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "help": out.getvalue(), "error": err.getvalue(), "modules": sorted(sys.modules)}))
"""


def _probe(*argv: str, rich_first: bool = False) -> dict[str, object]:
    env = {**os.environ, "COLUMNS": "120", **({"PROBE_RICH_FIRST": "1"} if rich_first else {})}
    argv_ = [sys.executable, "-c", _PROBE, *argv]
    proc = subprocess.run(argv_, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    report: dict[str, object] = json.loads(proc.stdout.splitlines()[-1])
    return report


def _loaded(modules: object, name: str) -> bool:
    assert isinstance(modules, list)
    return any(m == name or m.startswith(name + ".") for m in modules)


@pytest.mark.parametrize(
    ("argv", "heavy"),
    [(("--help",), HEAVY), (("runs", "--help"), HEAVY_FOR_GROUPS), (("tasks", "--help"), HEAVY_FOR_GROUPS),
     (("credentials", "--help"), HEAVY_FOR_GROUPS), (("run", "--help"), HEAVY_FOR_GROUPS)],
)  # fmt: skip
def test_help_imports_none_of_the_heavy_modules(argv: tuple[str, ...], heavy: tuple[str, ...]) -> None:
    report = _probe(*argv)
    assert report["code"] == 0
    assert "Usage: lockgate" in str(report["help"])
    loaded = [name for name in heavy if _loaded(report["modules"], name)]
    assert loaded == [], f"lockgate {' '.join(argv)} imports {loaded}"


def test_runs_list_imports_only_what_it_reads_with(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    assert _probe("--home", home, "db", "upgrade")["code"] == 0  # at the head: no migration to import Alembic for
    report = _probe("--home", home, "runs", "list")
    assert report["code"] == 0
    assert "no runs" in str(report["help"])  # what it printed
    loaded = [name for name in HEAVY_FOR_RUNS_LIST if _loaded(report["modules"], name)]
    assert loaded == [], f"lockgate runs list imports {loaded}"


def test_help_lists_every_command_with_its_help() -> None:
    shown = str(_probe("--help")["help"])
    for command, summary in {
        "run": "Run a pipeline in this process",
        "serve": "Start the server",
        "models": "Model profiles: which model, where",
        "agents": "Agent profiles: predefined agents",
        "runs": "Look at runs: list, show, costs",
        "db": "Database maintenance.",
    }.items():
        assert any(line.split()[1:2] == [command] and summary in line for line in shown.splitlines()), command


@pytest.mark.parametrize("argv", [("--help",), ("runs", "list", "--help"), ("models", "add", "--help"), ("nope",)])
def test_help_and_errors_show_what_rich_shows(argv: tuple[str, ...]) -> None:
    """Typer's renderer, loaded with stand-ins for Rich's Markdown and Traceback, prints what it prints without."""
    light, real = _probe(*argv), _probe(*argv, rich_first=True)
    assert (light["code"], light["help"], light["error"]) == (real["code"], real["help"], real["error"])
    assert light["help"] or "No such command 'nope'" in str(light["error"])
    assert not _loaded(light["modules"], "rich.markdown")
    assert _loaded(real["modules"], "rich.markdown")


def test_lazy_groups_load_their_own_commands_when_asked() -> None:
    report = _probe("models", "--help")
    assert report["code"] == 0
    shown = str(report["help"])
    for command in ("add", "list", "show", "test", "update", "delete"):
        assert f" {command} " in shown, command
    assert "Model profiles: which model, where, with which credential, at what price." in shown


def test_a_lazy_group_is_real_at_every_invocation_in_one_process() -> None:
    """Typer builds the root group anew for each call (as CliRunner does): each build loads the real groups."""
    from typer.testing import CliRunner

    from lockgate.cli.main import app

    runner = CliRunner()
    for _ in range(2):
        shown = runner.invoke(app, ["agents", "--help"], prog_name="lockgate")
        assert shown.exit_code == 0, shown.output
        assert all(f" {command} " in shown.output for command in ("add", "list", "show", "update", "delete"))
    listed = runner.invoke(app, ["--help"], prog_name="lockgate")
    assert "Agent profiles: predefined agents that team members refer to." in listed.output


# What a server loads before it is ready (its app with the routers deferred, and its runtime): none of the HTTP
# client, cron, Fernet, SQLAlchemy's PostgreSQL dialect on SQLite, the agent stack or the resource routers.
HEAVY_FOR_SERVE_START = ("httpx", "croniter", "cryptography", "sqlalchemy.dialects.postgresql", "pydantic_ai",
                         "lockgate.api.routes.runs", "lockgate.api.schemas.runs", "pydantic_settings")  # fmt: skip
_SERVE_PROBE = """
import json, sys
from lockgate.api.app import create_app
from lockgate.runtime import Runtime
from lockgate.settings import Settings
settings = Settings(home=sys.argv[1])
create_app(settings, defer_routes=True)
Runtime(settings, kind="server", scheduler=True)
print(json.dumps(sorted(sys.modules)))
"""


def test_a_server_loads_only_what_it_starts_with(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", _SERVE_PROBE, str(tmp_path / "home")]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    modules = json.loads(proc.stdout.splitlines()[-1])
    loaded = [name for name in HEAVY_FOR_SERVE_START if _loaded(modules, name)]
    assert loaded == [], f"a server's start imports {loaded}"
