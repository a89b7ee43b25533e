from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import anyio
import pytest

from lockgate.errors import PermanentStepError
from lockgate.handlers import cgroups, confinement, sandbox
from lockgate.handlers.context import SandboxMode, ScriptPolicy
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


_NO_LAUNCHER = pytest.mark.skipif(sandbox.launcher(sandbox.Limits(None, None)) is None, reason="no setpriv/prlimit")


@_NO_LAUNCHER
def test_the_launcher_bounds_the_command_it_becomes() -> None:
    argv = sandbox.launcher(sandbox.Limits(cpu_seconds=2, memory_bytes=256 << 20))
    assert argv is not None
    shown = subprocess.run([*argv, "/bin/sh", "-c", "ulimit -St; ulimit -Ht; ulimit -v; ulimit -c; echo $$"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    *limits, pid = shown.stdout.split()
    assert limits == ["2", "3", str(256 << 10), "0"]
    assert int(pid) > 0


@_NO_LAUNCHER
def test_the_launcher_runs_nothing_once_its_runner_is_gone(tmp_path: Path) -> None:
    # Started by another process than the one that built it: as if the runner had died before the child could
    # die with it (its parent is then another). The command must not run: recovery runs the step again.
    argv = sandbox.launcher(sandbox.Limits(None, None))
    assert argv is not None
    marker = tmp_path / "ran"
    middle = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"
    done = subprocess.run([sys.executable, "-c", middle, *argv, "/bin/touch", str(marker)], check=False)
    assert done.returncode != 0
    assert not marker.exists()
    subprocess.run([*argv, "/bin/touch", str(marker)], check=True)  # from its own runner it runs
    assert marker.exists()


def test_options_are_nul_separated() -> None:
    assert sandbox.encode_options(["--setenv", "A", "b c"]) == b"--setenv\0A\0b c\0"


# ------------------------------------------------------------------------ confinement: what runs, what /ready says


@pytest.fixture
def no_cgroup(monkeypatch: pytest.MonkeyPatch) -> None:
    none = dict.fromkeys(cgroups.Controller, "no such controller (test)")
    monkeypatch.setitem(cgroups._support, "result", cgroups.CgroupSupport({}, none))


@pytest.mark.anyio
@pytest.mark.usefixtures("no_cgroup")
async def test_root_without_a_cgroup_runs_scripts_as_nobody_or_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setitem(sandbox._probe, "nobody", None)
    monkeypatch.setitem(sandbox._probe, "nobody-python", None)
    dropped = await confinement.confinement(SandboxMode.BWRAP, ScriptPolicy())
    assert (dropped.refusal, dropped.drop_to_nobody, dropped.bwrap) == (None, True, True)
    assert dropped.processes.startswith("RLIMIT_NPROC = 256 as uid 65534")
    assert dropped.memory.startswith("RLIMIT_AS = the node's memory_mb, per process")
    # uid 65534 cannot run the interpreter (a private folder on its way): nothing bounds processes
    monkeypatch.setitem(sandbox._probe, "nobody-python", "Permission denied")
    monkeypatch.setitem(sandbox._probe, "result", None)
    refused = await confinement.confinement(SandboxMode.BWRAP, ScriptPolicy())
    assert refused.refusal is not None and "without a bound on their processes" in refused.refusal
    assert refused.sandbox.startswith("unavailable: ") and "LOCKGATE_ALLOW_UNCONFINED_SCRIPTS=true" in refused.sandbox
    allowed = await confinement.confinement(SandboxMode.BWRAP, ScriptPolicy(allow_unconfined=True))
    assert allowed.refusal is None and allowed.sandbox == "bubblewrap"
    assert allowed.processes.startswith("none (allowed by LOCKGATE_ALLOW_UNCONFINED_SCRIPTS)")
    assert allowed.warning is not None and "without a process bound" in allowed.warning


@pytest.mark.anyio
async def test_bubblewrap_required_is_never_waived(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sandbox._probe, "result", "bwrap is not installed")
    monkeypatch.setitem(sandbox._probe, "nobody", "bwrap is not installed")
    decided = await confinement.confinement(SandboxMode.BWRAP, ScriptPolicy(allow_unconfined=True))
    assert decided.refusal == "bubblewrap is required (LOCKGATE_SANDBOX=bwrap) but cannot run: bwrap is not installed"
    auto = await confinement.confinement(SandboxMode.AUTO, ScriptPolicy(allow_unconfined=True))
    assert auto.refusal is None and not auto.bwrap
    assert auto.sandbox == "unconfined (allowed by LOCKGATE_ALLOW_UNCONFINED_SCRIPTS): bwrap is not installed"


def test_an_attempt_cgroup_holds_its_limits_and_is_removed() -> None:
    support = cgroups.cgroup_support()
    if not support.where:
        pytest.skip(f"no cgroup here: {support.why}")
    attempt = cgroups.AttemptCgroup(support, max_processes=33, memory_bytes=96 << 20)
    folders = {h.parent for h in support.where.values()}
    made = [f for parent in folders for f in parent.glob(f"attempt-{os.getpid()}-*")]  # not another pass's
    assert made
    if cgroups.Controller.PIDS in support.where:
        assert any((f / "pids.max").read_text().strip() == "33" for f in made if (f / "pids.max").exists())
    for fd in attempt.join_fds():
        os.close(fd)
    anyio.run(attempt.remove)
    assert not [f for f in made if f.exists()]
