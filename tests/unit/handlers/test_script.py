"""Script steps for real: each test starts an interpreter, under bubblewrap and without it."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import shutil
import socket
import time
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import psutil
import pytest

from lockgate.errors import PermanentStepError, RetryableStepError, StepError
from lockgate.handlers import sandbox, script
from lockgate.handlers.cgroups import Controller, cgroup_support
from lockgate.handlers.context import SandboxMode, ScriptPolicy
from lockgate.security.redaction import Redactor
from lockgate.spec.nodes import ScriptConfig

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from pydantic import JsonValue
    from tests.unit.handlers.conftest import FakeContext

pytestmark = pytest.mark.anyio

_NO_BWRAP = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
_MODES = [pytest.param(SandboxMode.NONE, id="none"), pytest.param(SandboxMode.BWRAP, id="bwrap", marks=_NO_BWRAP)]


@pytest.fixture(params=_MODES)
def sctx(request: pytest.FixtureRequest, ctx: FakeContext) -> FakeContext:
    ctx.sandbox = request.param
    return ctx


async def _run(ctx: FakeContext, code: str, inputs: dict[str, JsonValue] | None = None, **config: Any) -> JsonValue:
    result = await script.run(ctx, ScriptConfig(code=code, **config), inputs or {})
    return result.output


async def _fails(ctx: FakeContext, code: str, **config: Any) -> StepError:
    with pytest.raises(StepError) as caught:
        await _run(ctx, code, **config)
    return caught.value


def _alive_with(marker: str) -> list[psutil.Process]:
    return [
        proc
        for proc in psutil.process_iter(["cmdline", "status"])
        if proc.info["status"] != psutil.STATUS_ZOMBIE and marker in " ".join(proc.info["cmdline"] or ())
    ]


def _spawner(marker: str) -> str:
    # The step's process starts a grandchild, records both pids, and both loop forever.
    return f"""
import os, pathlib, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "# {marker}\\nimport time\\nwhile True: time.sleep(0.05)"])
pathlib.Path("pids").write_text(f"{{os.getpid()}} {{child.pid}}")
while True:
    time.sleep(0.05)
"""


def _assert_gone(marker: str, ctx: FakeContext) -> None:
    deadline = time.monotonic() + 2
    while _alive_with(marker) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _alive_with(marker) == []
    if ctx.sandbox == SandboxMode.NONE:  # pids from inside bwrap's pid namespace mean nothing here
        for pid in map(int, (ctx.workspace / "pids").read_text().split()):
            assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


# ------------------------------------------------------------------------------------------ inputs and output


async def test_inputs_as_variables(sctx: FakeContext) -> None:
    inputs: dict[str, JsonValue] = {"a": 1, "b": 2, "not-a-name": 3}
    output = await _run(sctx, "output = {'sum': a + b, 'all': inputs}", inputs)
    assert output == {"sum": 3, "all": inputs}


async def test_inputs_on_stdin(sctx: FakeContext) -> None:
    code = "import json, sys\nprint(json.dumps({'got': json.load(sys.stdin)}))"
    assert await _run(sctx, code, {"x": [1, "two"]}, input_mode="stdin") == {"got": {"x": [1, "two"]}}


async def test_output_json_wins_and_is_not_left_as_an_artifact(sctx: FakeContext) -> None:
    code = "import json\njson.dump({'from': 'file'}, open('output.json', 'w'))\noutput = 1\nprint('[0]')"
    assert await _run(sctx, code) == {"from": "file"}
    assert not (sctx.workspace / "output.json").exists()


async def test_output_global_comes_before_stdout(sctx: FakeContext) -> None:
    assert await _run(sctx, "output = [1, 2]\nprint('{\"ignored\": true}')") == [1, 2]


async def test_last_stdout_line_as_json(sctx: FakeContext) -> None:
    assert await _run(sctx, "print('working...')\nprint('{\"n\": 3}')\nprint()") == {"n": 3}


async def test_no_json_means_no_output(sctx: FakeContext) -> None:
    assert await _run(sctx, "print('done, nothing to report')") is None


async def test_invalid_output_json_is_permanent(sctx: FakeContext) -> None:
    error = await _fails(sctx, "open('output.json', 'w').write('{not json')")
    assert isinstance(error, PermanentStepError)
    assert error.kind == "invalid_output"


async def test_output_json_may_not_be_a_link_out_of_the_workspace(ctx: FakeContext, tmp_path: Path) -> None:
    secret = tmp_path / "server-secret.json"
    secret.write_text('{"key": "server-only"}')
    error = await _fails(ctx, f"import os\nos.symlink({str(secret)!r}, 'output.json')")
    assert error.kind == "invalid_output"
    assert "server-only" not in error.detail


async def test_output_global_must_be_json(sctx: FakeContext) -> None:
    error = await _fails(sctx, "output = {1, 2}")
    assert error.kind == "invalid_output"


async def test_a_script_file(sctx: FakeContext, tmp_path: Path) -> None:
    path = tmp_path / "scripts" / "job.py"
    path.parent.mkdir()
    path.write_text("output = {'double': n * 2, 'file': __file__}\n")
    sctx.script_policy = dataclasses.replace(sctx.script_policy, script_dirs=(path.parent,))
    result = await script.run(sctx, ScriptConfig(file=str(path)), {"n": 21})
    assert result.output == {"double": 42, "file": str(path)}


async def test_files_written_in_the_workspace_remain(sctx: FakeContext) -> None:
    code = "import os\nos.makedirs('out')\nopen('out/report.txt', 'w').write('hello')"
    await _run(sctx, code)
    assert (sctx.workspace / "out" / "report.txt").read_text() == "hello"


async def test_stdout_and_stderr_go_to_the_attempt_log(sctx: FakeContext) -> None:
    await _run(sctx, "import sys\nprint('to stdout')\nprint('to stderr', file=sys.stderr)")
    assert "to stdout" in sctx.log_text()
    assert "to stderr" in sctx.log_text()


# ------------------------------------------------------------------------------------------------- failures


async def test_non_zero_exit_is_permanent_with_stderr(sctx: FakeContext) -> None:
    error = await _fails(sctx, "import sys\nprint('the disk is on fire', file=sys.stderr)\nsys.exit(3)")
    assert isinstance(error, PermanentStepError)
    assert error.kind == "script_exit"
    assert "3" in error.detail
    assert "the disk is on fire" in error.detail


async def test_an_exception_shows_its_traceback(sctx: FakeContext) -> None:
    error = await _fails(sctx, "def f():\n    raise ValueError('bad input')\nf()")
    assert error.kind == "script_exit"
    assert "ValueError: bad input" in error.detail
    assert "raise ValueError('bad input')" in error.detail  # inline code lines appear in the traceback


async def test_a_syntax_error_is_a_script_error(sctx: FakeContext) -> None:
    error = await _fails(sctx, "def broken(:\n")
    assert error.kind == "script_exit"
    assert "SyntaxError" in error.detail


async def test_exit_75_asks_for_a_retry(sctx: FakeContext) -> None:
    error = await _fails(sctx, "import sys\nsys.exit(75)")
    assert isinstance(error, RetryableStepError)
    assert error.kind == "script_retry"


async def test_invalid_config(ctx: FakeContext, tmp_path: Path) -> None:
    assert (await _fails(ctx, "pass", env={"BAD NAME": "x"})).kind == "invalid_config"
    ctx.script_policy = dataclasses.replace(ctx.script_policy, script_dirs=(tmp_path,))
    with pytest.raises(PermanentStepError) as caught:
        await script.run(ctx, ScriptConfig(file="relative/job.py"), {})
    assert caught.value.kind == "invalid_config"


# ------------------------------------------------------------------------------------------------ environment


async def test_the_environment_is_stripped(sctx: FakeContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCKGATE_SECRET_KEY", "server-secret-value")
    monkeypatch.setenv("DATABASE_URL", "postgresql://admin:pw@db/lockgate")
    sctx.credentials = {"github-token": "ghp_granted"}
    output = await _run(sctx, "import json, os\nprint(json.dumps(dict(os.environ)))", env={"MODE": "test"})
    assert isinstance(output, dict)
    assert "server-secret-value" not in json.dumps(output)
    assert set(output) - {"PWD"} == {  # bwrap sets PWD to the workspace
        "PATH", "LANG", "HOME", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE",
        "MODE", "LOCKGATE_CREDENTIAL_GITHUB_TOKEN",
        "LOCKGATE_RUN_ID", "LOCKGATE_RUN_NUMBER", "LOCKGATE_PIPELINE", "LOCKGATE_NODE_ID", "LOCKGATE_STEP",
        "LOCKGATE_ATTEMPT", "LOCKGATE_ITEM_INDEX",
    }  # fmt: skip
    assert output["LOCKGATE_ATTEMPT"] == str(sctx.attempt)
    assert output["LOCKGATE_CREDENTIAL_GITHUB_TOKEN"] == "ghp_granted"
    assert output["HOME"] == str(sctx.workspace)
    assert output["LANG"] == "C.UTF-8"


async def test_credentials_never_appear_on_a_command_line(sctx: FakeContext) -> None:
    secret = f"ghp_{uuid.uuid4().hex}"
    sctx.credentials = {"token": secret}
    task = asyncio.create_task(_run(sctx, "import pathlib, time\npathlib.Path('ready').touch()\ntime.sleep(30)"))
    deadline = time.monotonic() + 10
    while not (sctx.workspace / "ready").exists():
        assert time.monotonic() < deadline, "the script never started"
        await asyncio.sleep(0.02)
    assert _alive_with(secret) == []  # /proc/PID/cmdline is readable by every local user
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


_SPLIT = """
import os, sys, time
s = os.environ["LOCKGATE_CREDENTIAL_TOKEN"]
for piece in (s[:5], s[5:] + "\\n"):  # two writes, two reads of the pipe
    sys.stdout.write(piece)
    sys.stdout.flush()
    time.sleep(0.1)
sys.stderr.write(s + "y" * 4090)  # the error keeps the last 4096 bytes of stderr: a raw cut would split the value
sys.exit(3)
"""


async def test_a_credential_split_across_writes_is_redacted_from_the_log_and_the_error(sctx: FakeContext) -> None:
    secret = f"ghp_{uuid.uuid4().hex}"
    sctx.credentials = {"token": secret}
    sctx.redactor = Redactor.of(sctx.credentials)
    error = await _fails(sctx, _SPLIT)
    log = sctx.log_text()
    assert secret not in log and "[redacted:token]\n" in log
    assert error.detail is not None
    assert secret[-6:] not in error.detail  # the excerpt is cut from redacted bytes
    assert error.detail.endswith("y" * 100)


async def test_a_nul_byte_cannot_smuggle_options(ctx: FakeContext) -> None:
    error = await _fails(ctx, "pass", env={"X": "a\0--bind\0/\0/host"})
    assert error.kind == "invalid_config"


# ------------------------------------------------------------------------------------------------ time and limits


async def test_wall_time_kills_the_process_group(sctx: FakeContext) -> None:
    marker = f"lockgate-test-{uuid.uuid4().hex}"
    sctx.timeout = timedelta(seconds=0.6)
    error = await _fails(sctx, _spawner(marker))
    assert isinstance(error, RetryableStepError)
    assert error.kind == "timeout"
    _assert_gone(marker, sctx)


async def test_cancellation_kills_the_process_group(sctx: FakeContext) -> None:
    marker = f"lockgate-test-{uuid.uuid4().hex}"
    task = asyncio.create_task(_run(sctx, _spawner(marker)))
    deadline = time.monotonic() + 10
    while not (sctx.workspace / "pids").exists():
        assert time.monotonic() < deadline, "the script never started"
        await asyncio.sleep(0.02)
    assert _alive_with(marker)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    _assert_gone(marker, sctx)


async def test_cpu_limit(sctx: FakeContext) -> None:
    error = await _fails(sctx, "while True:\n    pass", cpu_time=timedelta(seconds=1))
    assert isinstance(error, PermanentStepError)
    assert error.kind == "cpu_limit"


async def test_memory_limit(sctx: FakeContext) -> None:
    error = await _fails(sctx, "hog = bytearray(1024 * 1024 * 1024)", memory_mb=256)
    assert isinstance(error, PermanentStepError)
    assert error.kind == "memory_limit"


async def test_a_script_sends_its_own_heartbeats_with_details(sctx: FakeContext) -> None:
    code = """
import time, lockgate_step
assert lockgate_step.heartbeat({"done": 1})
lockgate_step.heartbeat({"done": "dropped: within a second of the first"})
time.sleep(1.05)
assert lockgate_step.heartbeat({"done": 2})
output = "ok"
"""
    assert await _run(sctx, code) == "ok"
    assert sctx.heartbeats == [{"done": 1}, {"done": 2}]
    assert not sctx.heartbeats_taken  # Lockgate's own heartbeats go on too


async def test_heartbeat_details_past_1_kib_are_refused_to_the_script(ctx: FakeContext) -> None:
    code = "import lockgate_step\nlockgate_step.heartbeat('x' * 2000)"
    error = await _fails(ctx, code)
    assert "more than 1024" in error.detail
    assert ctx.heartbeats == []


async def test_heartbeat_script_leaves_liveness_to_the_script(ctx: FakeContext) -> None:
    assert await _run(ctx, "output = 1", heartbeat="script") == 1
    assert ctx.heartbeats_taken


# -------------------------------------------------------------------------------------------------- sandbox


@pytest.fixture
def listening_port() -> Iterator[int]:
    # A connect succeeds against the listen backlog: nobody needs to accept.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


def _connect_code(port: int) -> str:
    return f"""
import json, socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
    print(json.dumps({{"connected": True}}))
except OSError as exc:
    print(json.dumps({{"connected": False, "error": str(exc)}}))
"""


@_NO_BWRAP
async def test_bwrap_cuts_the_network(ctx: FakeContext, listening_port: int) -> None:
    ctx.sandbox = SandboxMode.BWRAP
    output = await _run(ctx, _connect_code(listening_port))
    assert isinstance(output, dict)
    assert output["connected"] is False


@pytest.mark.parametrize("mode", _MODES)
async def test_network_true_keeps_the_network(ctx: FakeContext, listening_port: int, mode: SandboxMode) -> None:
    ctx.sandbox = mode
    assert await _run(ctx, _connect_code(listening_port), network=True) == {"connected": True}


@_NO_BWRAP
@pytest.mark.parametrize("mode", [SandboxMode.AUTO, SandboxMode.BWRAP])
async def test_bwrap_hides_the_host_and_drops_to_nobody(ctx: FakeContext, tmp_path: Path, mode: SandboxMode) -> None:
    ctx.sandbox = mode  # auto confines too, where bubblewrap works
    secret = tmp_path / "host-only.txt"
    secret.write_text("not for scripts")
    code = f"import os\noutput = {{'uid': os.getuid(), 'sees_host_file': os.path.exists({str(secret)!r})}}"
    assert await _run(ctx, code) == {"uid": 65534, "sees_host_file": False}


async def test_auto_falls_back_when_bwrap_is_unavailable(ctx: FakeContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sandbox._probe, "result", "no user namespaces")
    monkeypatch.setitem(sandbox._probe, "nobody", "no user namespaces")
    ctx.sandbox = SandboxMode.AUTO
    assert await _run(ctx, "output = 'ran'") == "ran"
    assert "no user namespaces" in ctx.log_text()
    ctx.sandbox = SandboxMode.BWRAP
    assert (await _fails(ctx, "output = 'ran'")).kind == "sandbox_unavailable"


@_NO_BWRAP
@pytest.mark.parametrize("mode", [SandboxMode.AUTO, SandboxMode.BWRAP])
async def test_a_sandbox_that_fails_to_start(ctx: FakeContext, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    def broken_options(*args: Any, **kwargs: Any) -> list[str]:
        return [*sandbox.bwrap_options(*args, **kwargs), "--ro-bind", "/no/such/path", "/x"]

    monkeypatch.setattr(script, "bwrap_options", broken_options)
    ctx.sandbox = SandboxMode(mode)
    if ctx.sandbox == SandboxMode.AUTO:  # the script still runs, unconfined (allowed here), and the log says so
        assert await _run(ctx, "output = 'ran'") == "ran"
        assert "/no/such/path" in ctx.log_text()
        ctx.script_policy = ScriptPolicy(allow_unconfined=False)  # not allowed: refused, naming the setting
        error = await _fails(ctx, "output = 'ran'")
        assert error.kind == "sandbox_unavailable"
        assert "/no/such/path" in error.detail and "LOCKGATE_ALLOW_UNCONFINED_SCRIPTS=true" in error.detail
    else:
        assert (await _fails(ctx, "output = 'ran'")).kind == "sandbox_unavailable"


async def test_a_revision_s_feedback_is_a_global_and_a_variable(sctx: FakeContext) -> None:
    code = "import os\noutput = [feedback, os.environ.get('LOCKGATE_FEEDBACK')]"
    assert await _run(sctx, code) == [None, None]
    sctx.feedback = "shorter, please\0--bind / /"
    assert await _run(sctx, code) == ["shorter, please\0--bind / /", "shorter, please--bind / /"]
    assert await _run(sctx, "output = feedback", {"feedback": "an input wins"}) == "an input wins"


async def test_the_extended_run_s_folder_is_readable_not_writable(sctx: FakeContext, tmp_path: Path) -> None:
    earlier = tmp_path / "runs" / "v1"
    (earlier / "draft").mkdir(parents=True)
    (earlier / "draft" / "draft.md").write_text("# the first draft")
    sctx.extends_dir = earlier
    code = """
import os
from pathlib import Path
base = Path(os.environ["LOCKGATE_EXTENDS_DIR"])
text = (base / "draft" / "draft.md").read_text()
try:
    (base / "draft" / "draft.md").write_text("changed")
    wrote = True
except OSError:
    wrote = False
output = {"text": text, "wrote": wrote}
"""
    result = await _run(sctx, code)
    assert isinstance(result, dict) and result["text"] == "# the first draft"
    if sctx.sandbox is SandboxMode.BWRAP:  # without a sandbox only the file's own permissions apply
        assert result["wrote"] is False
        assert (earlier / "draft" / "draft.md").read_text() == "# the first draft"


# ------------------------------------------------------------------------------------- script files (config.file)


@pytest.fixture
def scripts(sctx: FakeContext, tmp_path: Path) -> Path:
    """A folder the administrator lists in LOCKGATE_SCRIPT_DIRS."""
    folder = tmp_path / "allowed"
    folder.mkdir()
    sctx.script_policy = dataclasses.replace(sctx.script_policy, script_dirs=(folder,))
    return folder


async def _file_fails(ctx: FakeContext, file: str) -> StepError:
    with pytest.raises(StepError) as caught:
        await script.run(ctx, ScriptConfig(file=file), {})
    return caught.value


async def test_a_file_is_refused_when_no_folder_is_listed(sctx: FakeContext, tmp_path: Path) -> None:
    path = tmp_path / "job.py"
    path.write_text("output = 1\n")
    error = await _file_fails(sctx, str(path))
    assert error.kind == "invalid_config"
    assert error.detail.startswith("node 'step', config.file: script files are turned off")
    assert "LOCKGATE_SCRIPT_DIRS" in error.detail


@pytest.mark.parametrize("kind", ["outside", "dotdot", "link_out", "linked_folder"])
async def test_a_file_out_of_the_listed_folders_is_refused_unread(
    sctx: FakeContext, scripts: Path, tmp_path: Path, kind: str
) -> None:
    secret = tmp_path / "private" / "secret.key"
    secret.parent.mkdir()
    secret.write_text("Zm9vYmFyLXNlY3JldC1rZXktdmFsdWU=\n")  # not Python: a SyntaxError would quote it
    (scripts / "to-secret.py").symlink_to(secret)
    (scripts / "private").symlink_to(secret.parent)
    file = {
        "outside": str(secret),
        "dotdot": f"{scripts}/../private/secret.key",
        "link_out": str(scripts / "to-secret.py"),
        "linked_folder": str(scripts / "private" / "secret.key"),
    }[kind]
    error = await _file_fails(sctx, file)
    assert error.kind == "invalid_config"
    assert error.detail.startswith("node 'step', config.file: ")
    assert "Zm9vYmFy" not in error.detail
    assert "Zm9vYmFy" not in sctx.log_text()


async def test_a_link_inside_the_folder_to_a_file_inside_it_runs(sctx: FakeContext, scripts: Path) -> None:
    (scripts / "real.py").write_text("output = 'via a link'\n")
    (scripts / "alias.py").symlink_to(scripts / "real.py")
    assert (await script.run(sctx, ScriptConfig(file=str(scripts / "alias.py")), {})).output == "via a link"


async def test_a_folder_or_fifo_is_not_a_script(sctx: FakeContext, scripts: Path) -> None:
    (scripts / "folder").mkdir()
    os.mkfifo(scripts / "pipe")  # opened without blocking, then refused
    for name in ("folder", "pipe", "absent.py"):
        error = await _file_fails(sctx, str(scripts / name))
        assert error.kind == "invalid_config"
        assert error.detail.startswith("node 'step', config.file: ")


async def test_a_syntax_error_in_an_allowed_file_says_where(sctx: FakeContext, scripts: Path) -> None:
    path = scripts / "broken.py"
    path.write_text("x = 1\ndef broken(:\n    pass\n")
    error = await _file_fails(sctx, str(path))
    assert error.kind == "script_exit"
    assert f'File "{path}", line 2' in error.detail
    assert "def broken(:" in error.detail and "SyntaxError" in error.detail


async def test_the_sandbox_gets_the_text_not_the_file(ctx: FakeContext, scripts: Path) -> None:
    ctx.sandbox = SandboxMode.BWRAP if shutil.which("bwrap") else SandboxMode.NONE
    path = scripts / "job.py"
    path.write_text("import os\noutput = {'file': __file__, 'visible': os.path.exists(__file__)}\n")
    output = (await script.run(ctx, ScriptConfig(file=str(path)), {})).output
    assert output == {"file": str(path), "visible": ctx.sandbox is SandboxMode.NONE}


# ------------------------------------------------------------------------------------------ unconfined: refused


async def test_no_sandbox_without_the_administrator_s_consent_is_refused(ctx: FakeContext) -> None:
    ctx.sandbox = SandboxMode.NONE
    ctx.script_policy = ScriptPolicy(allow_unconfined=False)
    error = await _fails(ctx, "open('ran', 'w')")
    assert isinstance(error, PermanentStepError)
    assert error.kind == "sandbox_unavailable"
    assert "LOCKGATE_SANDBOX=none" in error.detail and "LOCKGATE_ALLOW_UNCONFINED_SCRIPTS=true" in error.detail
    assert not (ctx.workspace / "ran").exists()


async def test_auto_without_bubblewrap_is_refused_unless_allowed(
    ctx: FakeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sandbox._probe, "result", "bwrap is not installed")
    monkeypatch.setitem(sandbox._probe, "nobody", "bwrap is not installed")
    ctx.sandbox = SandboxMode.AUTO
    ctx.script_policy = ScriptPolicy(allow_unconfined=False)
    error = await _fails(ctx, "output = 'ran'")
    assert error.kind == "sandbox_unavailable"
    assert "bwrap is not installed" in error.detail and "LOCKGATE_ALLOW_UNCONFINED_SCRIPTS" in error.detail


# ------------------------------------------------------------------------------------ bounds on the whole tree


def _needs_cgroups(*controllers: Controller) -> None:
    missing = [c for c in controllers if c not in cgroup_support().where]
    if missing:
        pytest.skip(f"no cgroup for {missing}: {cgroup_support().why}")


FORK_BOMB = """
import os, time
children = []
for _ in range(300):
    pid = os.fork()
    if pid == 0:
        time.sleep(60)  # {marker}
        os._exit(0)
    children.append(pid)
"""


async def test_a_fork_bomb_stops_at_the_process_bound(sctx: FakeContext) -> None:
    _needs_cgroups(Controller.PIDS)
    marker = f"lockgate-test-{uuid.uuid4().hex}"
    sctx.script_policy = dataclasses.replace(sctx.script_policy, max_processes=40)
    error = await _fails(sctx, FORK_BOMB.replace("{marker}", marker))
    assert isinstance(error, PermanentStepError)
    assert error.kind == "process_limit"
    assert "more than 40 processes" in error.detail
    # the children were forked from this very program: the marker is in none of their command lines, but none
    # of them may outlive the step: the attempt's cgroup is emptied and removed
    # (only this process's: the other test pass runs scripts at the same time, each in its own cgroup)
    mine = f"attempt-{os.getpid()}-*"
    assert not any(p.is_dir() for h in cgroup_support().where.values() for p in h.parent.glob(mine))


TREE_HOG = """
import os, sys, time
children = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        hog = bytearray(150 << 20)  # under memory_mb for one process, not for three
        time.sleep(10)
        os._exit(0)
    children.append(pid)
for _ in children:
    if os.wait()[1] != 0:  # a child was killed: give up at once
        sys.exit(1)
"""


async def test_memory_bounds_the_whole_tree(sctx: FakeContext) -> None:
    _needs_cgroups(Controller.MEMORY)
    started = time.monotonic()
    error = await _fails(sctx, TREE_HOG, memory_mb=256)
    assert isinstance(error, PermanentStepError)
    assert error.kind == "memory_limit"
    assert "processes together" in error.detail and "memory_mb: 256" in error.detail
    assert time.monotonic() - started < 10  # stopped, not waited out


DAEMON = """
import os, subprocess, sys, pathlib
# A double fork into a new session: out of the step's process group, as a daemon leaves it.
child = subprocess.Popen([sys.executable, "-c", "# {marker}\\nimport time\\ntime.sleep(60)"], start_new_session=True)
pathlib.Path("pids").write_text(str(child.pid))
"""


async def test_a_process_that_left_the_group_dies_with_the_step(ctx: FakeContext) -> None:
    _needs_cgroups(Controller.PIDS)
    marker = f"lockgate-test-{uuid.uuid4().hex}"
    await _run(ctx, DAEMON.replace("{marker}", marker))
    _assert_gone(marker, ctx)


async def test_a_swap_between_check_and_open_is_caught(
    ctx: FakeContext, scripts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race, made deterministic: the check sees the path as it was (realpath unchanged), the open sees it now.
    secret = tmp_path / "private" / "secret.py"
    secret.parent.mkdir()
    secret.write_text("SECRET-4ab1 = not python\n")
    (scripts / "swapped.py").symlink_to(secret)  # the file itself became a link
    (scripts / "folder").symlink_to(secret.parent)  # a folder on the way became a link
    monkeypatch.setattr(os.path, "realpath", lambda path, **_: str(path))
    last = await _file_fails(ctx, str(scripts / "swapped.py"))
    assert "was replaced by a symbolic link" in last.detail
    on_the_way = await _file_fails(ctx, str(scripts / "folder" / "secret.py"))
    assert "moved out of the allowed folders" in on_the_way.detail
    assert "SECRET-4ab1" not in last.detail + on_the_way.detail + ctx.log_text()
