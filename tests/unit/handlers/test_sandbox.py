from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest

from lockgate.errors import PermanentStepError
from lockgate.handlers import sandbox
from lockgate.spec.nodes import ScriptConfig


def test_limits_follow_the_config() -> None:
    limits = sandbox.limits_for(ScriptConfig(code="", cpu_time=timedelta(seconds=1.5), memory_mb=64))
    assert limits == sandbox.Limits(cpu_seconds=2, memory_bytes=64 * 1024 * 1024)
    assert sandbox.limits_for(ScriptConfig(code="", cpu_time=None, memory_mb=None)) == sandbox.Limits(None, None)


def test_env_keeps_nothing_of_the_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LOCKGATE_SECRET_KEY", "k")
    env = sandbox.script_env(tmp_path, {"MODE": "x"}, {"open-ai.key": "sk"})
    assert env == {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MODE": "x",
        "LOCKGATE_CREDENTIAL_OPEN_AI_KEY": "sk",
    }


@pytest.mark.parametrize("name", ["1ABC", "A-B", "A B", "A=B", ""])
def test_bad_env_names_are_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(PermanentStepError) as caught:
        sandbox.script_env(tmp_path, {name: "v"}, {})
    assert caught.value.kind == "invalid_config"


def test_a_credential_with_nul_is_refused_without_showing_it(tmp_path: Path) -> None:
    with pytest.raises(PermanentStepError) as caught:
        sandbox.script_env(tmp_path, {}, {"db": "pass\0word"})
    assert "pass" not in caught.value.detail


def test_options_cut_the_network_unless_asked(tmp_path: Path) -> None:
    closed = sandbox.bwrap_options(tmp_path, {"A": "1"}, network=False)
    opened = sandbox.bwrap_options(tmp_path, {"A": "1"}, network=True)
    assert "--unshare-all" in closed
    assert "--share-net" not in closed
    assert "--share-net" in opened
    assert "/etc/resolv.conf" in opened
    assert "/etc/resolv.conf" not in closed
    assert closed[-3:] == ["--setenv", "A", "1"]
    # the tmpfs on /tmp is mounted before the workspace, or it would hide a workspace under /tmp
    assert closed.index("--tmpfs") < closed.index(str(tmp_path))


def test_options_are_nul_separated() -> None:
    assert sandbox.encode_options(["--setenv", "A", "b c"]) == b"--setenv\0A\0b c\0"
