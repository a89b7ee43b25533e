"""deploy/compose.yaml and deploy/Dockerfile cannot be built here (no Docker, no registry): check what can rot.

Every ``LOCKGATE_*`` variable the compose file sets is a setting and its value parses; every command it runs
is a real ``lockgate`` command with real options; the health check asks for a route the app serves on the
port the server listens on; the Dockerfile copies only what the repository has, from where vite writes the UI.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import typer
import yaml
from cryptography.fernet import Fernet
from typer.core import TyperGroup
from typer.testing import CliRunner

from lockgate.api.app import create_app
from lockgate.cli.main import app as cli_app
from lockgate.settings import Settings

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
LOCKGATE = {name: service for name, service in SERVICES.items() if "build" in service}
_INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[-?]([^}]*))?\}")


def _interpolate(value: str) -> str:
    """Compose's ``${VAR:-default}``/``${VAR:?message}`` with the defaults, and a fresh key for the secret."""

    def one(match: re.Match[str]) -> str:
        if match.group(1) == "LOCKGATE_SECRET_KEY":
            return Fernet.generate_key().decode()
        assert "?" not in match.group(0), f"{match.group(1)} is required but has no test value"
        return match.group(2) or ""

    return _INTERPOLATION.sub(one, value)


def _env_names(name: str, field: FieldInfo) -> set[str]:
    alias = field.validation_alias
    choices = getattr(alias, "choices", None)
    return {str(choice) for choice in choices} if choices else {f"LOCKGATE_{name.upper()}"}


def test_the_compose_file_has_servers_workers_and_their_services() -> None:
    assert {"postgres", "redis", "migrate", "server", "worker"} <= SERVICES.keys()
    assert set(LOCKGATE) == {"migrate", "server", "worker"}
    for name, service in LOCKGATE.items():
        assert (ROOT / service["build"]["dockerfile"]).resolve() == DEPLOY / "Dockerfile", name
        assert (DEPLOY / service["build"]["context"]).resolve() == ROOT, name
        assert "home:/srv/lockgate" in service["volumes"], f"{name} shares the home volume"
        assert "LOCKGATE_SECRET_KEY" in service["environment"], f"{name} has the one secret key"
    for name in ("server", "worker"):  # neither starts before the schema is current
        assert SERVICES[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert "ports" not in SERVICES["worker"] and "healthcheck" in SERVICES["server"]


@pytest.mark.parametrize("service", sorted(LOCKGATE))
def test_every_variable_is_a_setting_and_parses(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    known = {env for name, field in Settings.model_fields.items() for env in _env_names(name, field)}
    environment: dict[str, str] = LOCKGATE[service]["environment"]
    unknown = {key for key in environment if key.startswith("LOCKGATE_") and key not in known}
    assert not unknown, f"{service} sets variables that are no setting: {sorted(unknown)}"
    for key in list(known):
        monkeypatch.delenv(key, raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, _interpolate(str(value)))
    settings = Settings()  # raises on a value that does not parse (a duration, a sandbox mode, an executor)
    assert settings.executor.value == "celery" and settings.broker_url == "redis://redis:6379/0"
    assert settings.db_url.startswith("postgresql+psycopg://lockgate:lockgate@postgres:5432/")
    assert str(settings.home) == "/srv/lockgate"


def _resolve(group: TyperGroup, argv: list[str]) -> tuple[Any, list[str]]:
    """The subcommand ``argv`` names (walking groups) and the words after it (typer vendors its click)."""
    command: Any = group
    words = list(argv)
    while isinstance(command, TyperGroup) and words and words[0] in command.commands:
        command = command.commands[words.pop(0)]
    return command, words


@pytest.mark.parametrize("service", sorted(LOCKGATE))
def test_every_command_is_a_real_cli_command_with_real_options(service: str) -> None:
    argv: list[str] = LOCKGATE[service]["command"]
    root = typer.main.get_command(cli_app)
    assert isinstance(root, TyperGroup)
    command, words = _resolve(root, argv)
    assert command is not root and not isinstance(command, TyperGroup), f"{service}: {argv} names no command"
    options = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    used = {word.split("=", 1)[0] for word in words if word.startswith("-")}
    assert used <= options, f"{service}: {sorted(used - options)} are not options of {argv[0]}"
    result = CliRunner().invoke(cli_app, [*argv[: len(argv) - len(words)], "--help"])
    assert result.exit_code == 0, result.output


def test_the_health_check_asks_for_a_route_on_the_servers_port(tmp_path: Path) -> None:
    server = SERVICES["server"]
    probe = " ".join(server["healthcheck"]["test"])
    match = re.search(r"http://127\.0\.0\.1:(\d+)(/[\w/-]*)", probe)
    assert match is not None, probe
    port, path = match.groups()
    assert server["command"][server["command"].index("--port") + 1] == port
    assert server["ports"][0].endswith(f":{port}")
    paths = create_app(Settings(home=tmp_path)).openapi()["paths"]  # every route the app serves, included routers'
    assert "get" in paths.get(path, {}), f"GET {path} is not a route of the app"


def _instructions(text: str) -> list[tuple[str, list[str]]]:
    joined = re.sub(r"\\\n", " ", text)
    lines = (line.strip() for line in joined.splitlines())
    return [(line.split()[0].upper(), shlex.split(line)[1:]) for line in lines if line and not line.startswith("#")]


def test_the_dockerfile_copies_what_exists_and_builds_the_ui_where_vite_writes_it() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    instructions = _instructions(text)
    copies = [args for op, args in instructions if op == "COPY"]
    local = [args for args in copies if not any(a.startswith("--from=") for a in args)]
    assert local, "the Dockerfile copies the repository's files"
    for args in local:
        for source in args[:-1]:
            assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
    # The web stage works in /build/web; vite writes ../src/lockgate/api/static; the final stage copies that.
    outdir = re.search(r'outDir:\s*"([^"]+)"', (ROOT / "web" / "vite.config.ts").read_text())
    assert outdir is not None and outdir.group(1) == "../src/lockgate/api/static"
    assert ["--from=web", "/build/src/lockgate/api/static/", "./src/lockgate/api/static/"] in copies
    runs = " ".join(" ".join(args) for op, args in instructions if op == "RUN")
    assert "npm run build" in runs and "build" in (ROOT / "web" / "package.json").read_text()
    assert "--extra postgres --extra celery" in runs and "--frozen" in runs and "bubblewrap" in runs
    assert (
        'ENTRYPOINT ["lockgate"]' in text
        and 'lockgate = "lockgate.cli.entry:main"' in (ROOT / "pyproject.toml").read_text()
    )
