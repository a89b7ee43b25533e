"""The ``script`` kind: Python in a confined subprocess whose cwd is the attempt's workspace."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import importlib.resources
import json
import marshal
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING

from pydantic import JsonValue

from lockgate.errors import PermanentStepError, RetryableStepError
from lockgate.handlers.cgroups import AttemptCgroup, CgroupSupport
from lockgate.handlers.confinement import ALLOW_SETTING, confinement
from lockgate.handlers.context import HandlerContext, SandboxMode, StepResult
from lockgate.handlers.sandbox import (
    NOBODY,
    Limits,
    bwrap_command,
    bwrap_options,
    encode_options,
    launcher,
    limits_for,
    preexec,
    script_env,
)
from lockgate.handlers.script_child import Child, start_child
from lockgate.handlers.script_exit import Outcome, excerpt, raise_for_exit, sandbox_failed
from lockgate.handlers.script_file import read_script_file
from lockgate.handlers.script_heartbeat import heartbeat_pipe, relay
from lockgate.handlers.script_output import read_channel, script_next, script_output
from lockgate.security.grants import ANY_HOST, host_refusal
from lockgate.spec.nodes import ScriptConfig, ScriptHeartbeat, ScriptInputMode

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from lockgate.security.redaction import StreamRedactor

__all__ = ["ScriptRun", "run", "run_code"]

_STDOUT_KEEP = 1 << 20  # the last stdout line may carry the output: keep enough of it
_STDERR_KEEP = 4096
_DRAIN_GRACE = 2.0  # a process that escaped the group may hold the pipes open: stop reading then


@dataclass(frozen=True, slots=True)
class _Launch:
    job: bytes
    stdin: bytes | None
    env: dict[str, str]
    limits: Limits
    confine: bool
    network: bool
    cgroups: CgroupSupport  # the controllers that bound the attempt's whole tree (maybe none)
    drop_to_nobody: bool = False  # run as uid 65534 for real: RLIMIT_NPROC then applies (no pids cgroup)
    extends_dir: Path | None = None  # readable, never writable
    timeout: timedelta | None = None  # wall clock: the step's timeout, or an agent's run_python limit


@dataclass(frozen=True, slots=True)
class ScriptRun:
    output: JsonValue
    stdout: str  # its tail
    next: list[str] | None  # what ``lockgate_step.route`` chose; None: not called


async def run(ctx: HandlerContext, config: ScriptConfig, inputs: dict[str, JsonValue]) -> StepResult:
    ran = await run_code(ctx, config, inputs)
    return StepResult(output=ran.output, next=ran.next)


async def run_code(
    ctx: HandlerContext, config: ScriptConfig, inputs: dict[str, JsonValue], limit: timedelta | None = None
) -> ScriptRun:
    """Run a script as the ``script`` kind does: its output, route and the tail of its stdout (agents' run_python).

    ``limit`` (wall clock) defaults to the step's timeout.
    """
    _check_network(ctx, config)
    # Read here, by the server, inside the allowed folders only; the sandbox gets the text, never the path.
    source = None if config.file is None else read_script_file(ctx.node_id, config.file, ctx.script_policy.script_dirs)
    if config.heartbeat is ScriptHeartbeat.SCRIPT:  # only the script's own heartbeats prove it alive
        ctx.take_heartbeats()
    decided = await confinement(ctx.sandbox, ctx.script_policy)
    if decided.refusal is not None:
        raise PermanentStepError("sandbox_unavailable", decided.refusal)
    if decided.warning is not None:
        _warn(ctx, decided.warning)
    payload = json.dumps(inputs).encode()
    job = {"mode": config.input_mode.value, "code": config.code if source is None else source.text,
           "file": None if source is None else source.path, "inputs": inputs, "feedback": ctx.feedback}  # fmt: skip
    launch = _Launch(
        job=_encode_job(job),
        stdin=payload if config.input_mode is ScriptInputMode.STDIN else None,
        env=script_env(ctx.workspace, config.env, ctx.credentials, _identity(ctx)),
        limits=limits_for(config, ctx.script_policy.max_processes),
        confine=decided.bwrap,
        network=config.network,
        cgroups=decided.cgroups,
        drop_to_nobody=decided.drop_to_nobody,
        extends_dir=ctx.extends_dir if ctx.extends_dir is not None and ctx.extends_dir.is_dir() else None,
        timeout=limit if limit is not None else ctx.timeout,
    )
    outcome = await _execute(ctx, launch)
    if launch.confine and sandbox_failed(outcome):
        problem = outcome.stderr_tail.decode(errors="replace").strip()
        failed = f"bubblewrap failed to start: {problem}"
        if ctx.sandbox == SandboxMode.BWRAP:
            raise PermanentStepError("sandbox_unavailable", failed)
        if not ctx.script_policy.allow_unconfined:
            raise PermanentStepError("sandbox_unavailable", f"{failed}; set {ALLOW_SETTING}=true to run without it")
        _warn(ctx, f"bubblewrap failed to start ({problem}); running without a sandbox")
        launch = dataclasses.replace(launch, confine=False)
        outcome = await _execute(ctx, launch)
    raise_for_exit(outcome, launch.limits, confined=launch.confine)
    output = script_output(ctx.workspace, outcome.channel, outcome.stdout_tail)
    return ScriptRun(output, outcome.stdout_tail.decode(errors="replace"), script_next(outcome.channel))


def _encode_job(job: Mapping[str, JsonValue]) -> bytes:
    # The runner reads marshal without importing json (and re): a third of a trivial script's start. Through
    # JSON first, so that the script sees exactly the values JSON would give it (lists, str keys).
    text = json.dumps(job)
    try:
        return _runner_code() + b"M" + marshal.dumps(json.loads(text))
    except ValueError:  # nested deeper than marshal goes
        return _runner_code() + b"J" + text.encode()


def _check_network(ctx: HandlerContext, config: ScriptConfig) -> None:
    # No host list can be enforced on a script's own sockets: a networked script gets only credentials
    # an admin allowed to go anywhere.
    if not config.network:
        return
    for name in ctx.credentials:
        patterns = ctx.credential_hosts.get(name, ())
        if ANY_HOST not in patterns:
            detail = host_refusal(name, "any host a script with network access reaches", patterns)
            raise PermanentStepError("credential_host_not_allowed", detail)


def _warn(ctx: HandlerContext, message: str) -> None:
    ctx.logger.warning(message)
    with _open_log(ctx) as log:
        log.write(ctx.redactor.data(f"[lockgate] warning: {message}\n".encode()))


def _open_log(ctx: HandlerContext) -> IO[bytes]:
    ctx.log_path.parent.mkdir(parents=True, exist_ok=True)
    return ctx.log_path.open("ab")


@contextlib.contextmanager
def _scratch(data: bytes | None) -> Iterator[IO[bytes]]:
    # Unlinked files outside the workspace: the child reads or writes them by fd only. What the server writes
    # stays in memory (a memfd: no file system work); the child's channel is on disk, as large as RLIMIT_FSIZE.
    memfd = None if data is None else os.memfd_create("lockgate", os.MFD_CLOEXEC)
    with tempfile.TemporaryFile() if memfd is None else os.fdopen(memfd, "w+b") as scratch:
        if data is not None:
            scratch.write(data)
            scratch.flush()
            scratch.seek(0)
        yield scratch


async def _execute(ctx: HandlerContext, launch: _Launch) -> Outcome:
    cgroup = None
    if launch.cgroups.where:
        cgroup = AttemptCgroup(launch.cgroups, max_processes=launch.limits.max_processes,
                               memory_bytes=launch.limits.memory_bytes)  # fmt: skip
    if launch.drop_to_nobody:  # the workspace is where it writes
        os.chown(ctx.workspace, NOBODY, NOBODY)
    try:
        with (
            _scratch(launch.job) as job,
            _scratch(None) as out,
            _scratch(launch.stdin) if launch.stdin is not None else contextlib.nullcontext() as stdin,
            _scratch(_options(ctx.workspace, launch)) as options,
            heartbeat_pipe() as beats,
        ):
            started = time.monotonic()
            fds = (job.fileno(), out.fileno(), options.fileno(), beats.write_fd)
            try:
                proc = await _spawn(ctx, launch, fds, stdin, cgroup)
            finally:
                beats.handed_over()
            returncode, stdout_tail, stderr_tail = await _supervise(ctx, proc, launch.timeout, cgroup, beats.read_fd)
            out.seek(0)
            return Outcome(
                returncode=returncode,
                stdout_tail=stdout_tail,
                stderr_tail=stderr_tail,
                channel=read_channel(out.read()),
                elapsed=time.monotonic() - started,
                oom_kills=cgroup.oom_kills() if cgroup is not None else 0,
                processes_refused=cgroup.processes_refused() if cgroup is not None else 0,
            )
    finally:
        if cgroup is not None:
            await cgroup.kill()
            await cgroup.remove()


async def _spawn(
    ctx: HandlerContext,
    launch: _Launch,
    fds: tuple[int, int, int, int],
    stdin: IO[bytes] | None,  # the inputs (input_mode stdin), else none: no file made for nothing
    cgroup: AttemptCgroup | None,
) -> Child:
    argv = _argv(launch, *fds)
    # Confined, bubblewrap gives the session and the death with the runner; a launcher the rlimits and cgroups.
    prefix = None
    if launch.confine and not launch.drop_to_nobody:
        prefix = launcher(launch.limits, join=cgroup.join_paths() if cgroup is not None else ())
    if prefix is not None:
        return await start_child([*prefix, *argv], stdin=stdin, cwd=ctx.workspace, env=launch.env,
                                 pass_fds=fds)  # fmt: skip
    join = cgroup.join_fds() if cgroup is not None else []
    bound = preexec(launch.limits, join_fds=join, drop_to_nobody=launch.drop_to_nobody)
    try:
        return await start_child(argv, stdin=stdin, cwd=ctx.workspace, env=launch.env, pass_fds=fds,
                                 preexec_fn=bound)  # fmt: skip
    finally:
        for fd in join:
            os.close(fd)


@functools.cache
def _runner_code() -> bytes:
    # Compiled once here, not in every child (a fifth of a trivial script's start); the same interpreter loads it.
    source = importlib.resources.files("lockgate.handlers").joinpath("script_runner.py").read_text(encoding="utf-8")
    return marshal.dumps(compile(source, "<string>", "exec"))


# The runner's code object heads the job file: loaded (exactly, unbuffered) and run as __main__, it reads the job.
_BOOTSTRAP = 'import marshal,os,sys;exec(marshal.load(os.fdopen(int(sys.argv[1]),"rb",0,closefd=False)))'


def _options(workspace: Path, launch: _Launch) -> bytes | None:
    if not launch.confine:
        return None
    read_only = [launch.extends_dir] if launch.extends_dir is not None else []
    return encode_options(bwrap_options(workspace, launch.env, network=launch.network, read_only=read_only))


def _argv(launch: _Launch, job_fd: int, out_fd: int, options_fd: int, beat_fd: int) -> list[str]:
    # Passed by fd so that the runner needs no bind and no Lockgate install inside the sandbox.
    command = [sys.executable, "-c", _BOOTSTRAP, str(job_fd), str(out_fd), str(beat_fd)]
    if not launch.confine:
        return command
    return [*bwrap_command(options_fd), *command]


async def _supervise(
    ctx: HandlerContext,
    proc: Child,
    limit: timedelta | None,
    cgroup: AttemptCgroup | None,
    beat_fd: int,
) -> tuple[int, bytes, bytes]:
    stdout, stderr = bytearray(), bytearray()
    timed_out = False
    try:
        with _open_log(ctx) as log:
            pumps = [
                asyncio.create_task(_pump(proc.stdout, log, ctx.redactor.stream(), stdout, _STDOUT_KEEP)),
                asyncio.create_task(_pump(proc.stderr, log, ctx.redactor.stream(), stderr, _STDERR_KEEP)),
                asyncio.create_task(relay(ctx, beat_fd)),  # the script's own heartbeats
            ]
            try:
                # Not until the pipes close: children the script left running would hold the step until they end.
                await asyncio.wait_for(proc.exited(), limit.total_seconds() if limit is not None else None)
            except TimeoutError:
                timed_out = True
            finally:
                # On success, timeout and cancellation alike: nothing the script started outlives the step.
                _kill_group(proc)
                try:
                    if cgroup is not None:  # also what left the process group (setsid, a double fork)
                        await cgroup.kill()
                    await _drain(pumps)  # the heartbeat pipe closes with the last process that held it
                    await proc.wait()
                finally:  # cancelled half-way (the engine cancels a timed-out attempt too): nothing reads on
                    for task in pumps:
                        task.cancel()
                    await asyncio.wait(pumps)  # their readers gone before the pipes' fds close
    finally:
        proc.close()  # reaped by the loop whatever happened above, even if this coroutine was cancelled
    if timed_out:
        raise RetryableStepError("timeout", f"the script ran longer than {limit}; {excerpt(stderr)}")
    return proc.returncode if proc.returncode is not None else -1, bytes(stdout), bytes(stderr)


async def _pump(
    stream: asyncio.StreamReader, log: IO[bytes], redact: StreamRedactor, tail: bytearray, keep: int
) -> None:
    # Redacted as read: a value split across reads is caught (the redactor holds back a possible start), and the
    # tail (the output's last line, an error's excerpt) is cut from redacted bytes, never through a value.
    def keep_tail(data: bytes) -> None:
        if not log.closed:  # a pump cancelled with its attempt may finish after the log is closed
            log.write(data)
            log.flush()
        tail.extend(data)
        if len(tail) > keep:
            del tail[: len(tail) - keep]

    try:
        while chunk := await stream.read(65536):
            keep_tail(redact.feed(chunk))
    finally:
        keep_tail(redact.close())


def _kill_group(proc: Child) -> None:
    # Under bwrap this kills bwrap itself; --die-with-parent then tears down the whole sandbox.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


async def _drain(pumps: list[asyncio.Task[None]]) -> None:  # the pumps, and the heartbeat relay
    _, pending = await asyncio.wait(pumps, timeout=_DRAIN_GRACE)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)  # each writes its held-back tail before the log closes


def _identity(ctx: HandlerContext) -> dict[str, str]:
    identity = {
        "run_id": ctx.run_id,
        "run_number": str(ctx.run_number),
        "pipeline": ctx.pipeline,
        "node_id": ctx.node_id,
        "step": ctx.step_key,
        "attempt": str(ctx.attempt),
        "item_index": "" if ctx.item_index is None else str(ctx.item_index),
    }
    if ctx.feedback is not None:  # the revision request this attempt answers (also the global ``feedback``)
        identity["feedback"] = ctx.feedback.replace("\0", "")  # NUL separates sandbox options: never in a value
    if ctx.extends_dir is not None:  # the folder of the run this run extends, read only
        identity["extends_dir"] = str(ctx.extends_dir)
    return identity
