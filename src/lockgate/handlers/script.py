"""The ``script`` kind: Python in a confined subprocess whose cwd is the attempt's workspace."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import importlib.resources
import json
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
from lockgate.handlers.context import HandlerContext, SandboxMode, StepResult
from lockgate.handlers.sandbox import (
    Limits,
    bwrap_command,
    bwrap_options,
    bwrap_problem,
    encode_options,
    limits_for,
    preexec,
    script_env,
)
from lockgate.handlers.script_output import read_channel, script_output
from lockgate.handlers.script_runner import MEMORY_EXIT
from lockgate.security.grants import ANY_HOST, host_refusal
from lockgate.spec.nodes import ScriptConfig, ScriptInputMode

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lockgate.security.redaction import StreamRedactor

__all__ = ["run", "run_code"]

_RETRY_EXIT = 75  # EX_TEMPFAIL: the script's way to ask for another attempt
_STDOUT_KEEP = 1 << 20  # the last stdout line may carry the output: keep enough of it
_STDERR_KEEP = 4096
_DRAIN_GRACE = 2.0  # a process that escaped the group may hold the pipes open: stop reading then
_HEARTBEAT_EVERY = 30.0


@dataclass(frozen=True, slots=True)
class _Launch:
    job: bytes
    stdin: bytes | None
    env: dict[str, str]
    limits: Limits
    confine: bool
    network: bool
    script_file: Path | None
    extends_dir: Path | None = None  # readable, never writable
    timeout: timedelta | None = None  # wall clock: the step's timeout, or an agent's run_python limit


@dataclass(frozen=True, slots=True)
class _Outcome:
    returncode: int
    stdout_tail: bytes
    stderr_tail: bytes
    channel: list[dict[str, JsonValue]]
    elapsed: float


async def run(ctx: HandlerContext, config: ScriptConfig, inputs: dict[str, JsonValue]) -> StepResult:
    output, _ = await run_code(ctx, config, inputs)
    return StepResult(output=output)


async def run_code(
    ctx: HandlerContext, config: ScriptConfig, inputs: dict[str, JsonValue], limit: timedelta | None = None
) -> tuple[JsonValue, str]:
    """Run a script as the ``script`` kind does: its output and the tail of its stdout (agents' run_python).

    ``limit`` (wall clock) defaults to the step's timeout.
    """
    _check_network(ctx, config)
    script_file = _script_file(config)
    payload = json.dumps(inputs).encode()
    job = {"mode": config.input_mode.value, "code": config.code, "file": config.file, "inputs": inputs,
           "feedback": ctx.feedback}  # fmt: skip
    launch = _Launch(
        job=json.dumps(job).encode(),
        stdin=payload if config.input_mode is ScriptInputMode.STDIN else None,
        env=script_env(ctx.workspace, config.env, ctx.credentials, _identity(ctx)),
        limits=limits_for(config),
        confine=await _use_bwrap(ctx),
        network=config.network,
        script_file=script_file,
        extends_dir=ctx.extends_dir if ctx.extends_dir is not None and ctx.extends_dir.is_dir() else None,
        timeout=limit if limit is not None else ctx.timeout,
    )
    outcome = await _execute(ctx, launch)
    if launch.confine and _sandbox_failed(outcome):
        problem = outcome.stderr_tail.decode(errors="replace").strip()
        if ctx.sandbox == SandboxMode.BWRAP:
            raise PermanentStepError("sandbox_unavailable", f"bubblewrap failed to start: {problem}")
        _warn(ctx, f"bubblewrap failed to start ({problem}); running without a sandbox")
        launch = dataclasses.replace(launch, confine=False)
        outcome = await _execute(ctx, launch)
    _raise_for_exit(outcome, launch)
    output = script_output(ctx.workspace, outcome.channel, outcome.stdout_tail)
    return output, outcome.stdout_tail.decode(errors="replace")


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


def _script_file(config: ScriptConfig) -> Path | None:
    if config.file is None:
        return None
    path = Path(config.file)
    if not path.is_absolute() or not path.is_file():
        raise PermanentStepError("invalid_config", f"config.file: {config.file!r} is not an absolute path to a file")
    return path


async def _use_bwrap(ctx: HandlerContext) -> bool:
    if ctx.sandbox == SandboxMode.NONE:
        return False
    problem = await bwrap_problem()
    if problem is None:
        return True
    if ctx.sandbox == SandboxMode.BWRAP:
        raise PermanentStepError("sandbox_unavailable", problem)
    _warn(ctx, f"bubblewrap is unavailable ({problem}); running without a sandbox")
    return False


def _warn(ctx: HandlerContext, message: str) -> None:
    ctx.logger.warning(message)
    with _open_log(ctx) as log:
        log.write(ctx.redactor.data(f"[lockgate] warning: {message}\n".encode()))


def _open_log(ctx: HandlerContext) -> IO[bytes]:
    ctx.log_path.parent.mkdir(parents=True, exist_ok=True)
    return ctx.log_path.open("ab")


@contextlib.contextmanager
def _scratch(data: bytes | None) -> Iterator[IO[bytes]]:
    # Unlinked files outside the workspace: the child reads or writes them by fd only.
    with tempfile.TemporaryFile() as scratch:
        if data is not None:
            scratch.write(data)
            scratch.flush()
            scratch.seek(0)
        yield scratch


async def _execute(ctx: HandlerContext, launch: _Launch) -> _Outcome:
    with (
        _scratch(launch.job) as job,
        _scratch(None) as out,
        _scratch(launch.stdin) as stdin,
        _scratch(_options(ctx.workspace, launch)) as options,
    ):
        fds = (job.fileno(), out.fileno(), options.fileno())
        argv = _argv(launch, *fds)
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=stdin if launch.stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=ctx.workspace,
            env=launch.env,
            start_new_session=True,  # one process group to kill, whatever the script starts
            preexec_fn=preexec(launch.limits),
            pass_fds=fds,
        )
        returncode, stdout_tail, stderr_tail = await _supervise(ctx, proc, launch.timeout)
        out.seek(0)
        return _Outcome(
            returncode=returncode,
            stdout_tail=stdout_tail,
            stderr_tail=stderr_tail,
            channel=read_channel(out.read()),
            elapsed=time.monotonic() - started,
        )


@functools.cache
def _runner_source() -> str:
    return importlib.resources.files("lockgate.handlers").joinpath("script_runner.py").read_text(encoding="utf-8")


def _options(workspace: Path, launch: _Launch) -> bytes | None:
    if not launch.confine:
        return None
    read_only = [p for p in (launch.script_file, launch.extends_dir) if p is not None]
    return encode_options(bwrap_options(workspace, launch.env, network=launch.network, read_only=read_only))


def _argv(launch: _Launch, job_fd: int, out_fd: int, options_fd: int) -> list[str]:
    # Passed with -c so that the runner needs no bind and no Lockgate install inside the sandbox.
    command = [sys.executable, "-c", _runner_source(), str(job_fd), str(out_fd)]
    if not launch.confine:
        return command
    return [*bwrap_command(options_fd), *command]


async def _supervise(
    ctx: HandlerContext, proc: asyncio.subprocess.Process, limit: timedelta | None
) -> tuple[int, bytes, bytes]:
    assert proc.stdout is not None and proc.stderr is not None  # noqa: S101 - both are PIPE
    stdout, stderr = bytearray(), bytearray()
    with _open_log(ctx) as log:
        pumps = [
            asyncio.create_task(_pump(proc.stdout, log, ctx.redactor.stream(), stdout, _STDOUT_KEEP)),
            asyncio.create_task(_pump(proc.stderr, log, ctx.redactor.stream(), stderr, _STDERR_KEEP)),
        ]
        beats = asyncio.create_task(_heartbeats(ctx))
        timed_out = False
        try:
            await asyncio.wait_for(proc.wait(), limit.total_seconds() if limit is not None else None)
        except TimeoutError:
            timed_out = True
        finally:
            # On success, timeout and cancellation alike: nothing the script started outlives the step.
            beats.cancel()
            await _kill_group(proc)
            await _drain(pumps)
    if timed_out:
        raise RetryableStepError("timeout", f"the script ran longer than {limit}; {_excerpt(stderr)}")
    return proc.returncode if proc.returncode is not None else -1, bytes(stdout), bytes(stderr)


async def _pump(
    stream: asyncio.StreamReader, log: IO[bytes], redact: StreamRedactor, tail: bytearray, keep: int
) -> None:
    # Redacted as read: a value split across reads is caught (the redactor holds back a possible start), and the
    # tail (the output's last line, an error's excerpt) is cut from redacted bytes, never through a value.
    def keep_tail(data: bytes) -> None:
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


async def _heartbeats(ctx: HandlerContext) -> None:
    while True:
        await asyncio.sleep(_HEARTBEAT_EVERY)
        await ctx.heartbeat()


async def _kill_group(proc: asyncio.subprocess.Process) -> None:
    # Under bwrap this kills bwrap itself; --die-with-parent then tears down the whole sandbox.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    await proc.wait()


async def _drain(pumps: list[asyncio.Task[None]]) -> None:
    _, pending = await asyncio.wait(pumps, timeout=_DRAIN_GRACE)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)  # each writes its held-back tail before the log closes


def _sandbox_failed(outcome: _Outcome) -> bool:
    # The runner's first act is to say it started: without that, and with bwrap's own complaint
    # on stderr, the user code never ran and the sandbox is to blame.
    return not outcome.channel and outcome.stderr_tail.startswith(b"bwrap:")


def _excerpt(stderr: bytes | bytearray) -> str:
    text = bytes(stderr).decode(errors="replace").strip()
    return f"stderr:\n{text}" if text else "no stderr"


def _raise_for_exit(outcome: _Outcome, launch: _Launch) -> None:
    code = outcome.returncode
    if launch.confine and code > 128:  # bwrap reports a death by signal N as exit 128 + N
        code = -(code - 128)
    if code == 0:
        return
    excerpt = _excerpt(outcome.stderr_tail)
    if code == _RETRY_EXIT:
        raise RetryableStepError("script_retry", f"the script asked for a retry (exit 75); {excerpt}")
    last_line = excerpt.rstrip().rsplit("\n", 1)[-1]
    if code == MEMORY_EXIT or "MemoryError" in last_line:
        raise PermanentStepError("memory_limit", f"the script ran out of memory ({launch.limits.memory_bytes} bytes)")
    cpu = launch.limits.cpu_seconds
    if code == -signal.SIGXCPU or (code == -signal.SIGKILL and cpu is not None and outcome.elapsed >= cpu):
        raise PermanentStepError("cpu_limit", f"the script used more than {cpu}s of CPU time")
    if code < 0:
        raise PermanentStepError("script_exit", f"the script was killed by {signal.Signals(-code).name}; {excerpt}")
    raise PermanentStepError("script_exit", f"the script exited with code {code}; {excerpt}")


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
