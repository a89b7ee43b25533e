"""What a script step's child may see and use: its environment, rlimits and bubblewrap confinement."""

from __future__ import annotations

import asyncio
import ctypes
import functools
import math
import os
import re
import resource
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lockgate.errors import PermanentStepError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from lockgate.spec.nodes import ScriptConfig

__all__ = [
    "NOBODY",
    "Limits",
    "bwrap_command",
    "bwrap_options",
    "bwrap_problem",
    "encode_options",
    "launcher",
    "limits_for",
    "nobody_problem",
    "preexec",
    "script_env",
]

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FILE_SIZE = 1 << 30  # one file may not exceed 1 GiB: a runaway writer must not fill the disk
# The platform's own /etc holds secrets; only these harmless parts are shown to scripts.
_ETC = ("alternatives", "ssl", "ca-certificates", "localtime", "passwd", "group", "nsswitch.conf", "hosts")
_NETWORK_ETC = ("resolv.conf", "gai.conf")
NOBODY = 65534  # the unprivileged uid and gid scripts run as (inside bwrap's user namespace, or for real)
_PR_SET_PDEATHSIG = 1
# Looked up in the parent: the forked child should call, not load.
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None


@dataclass(frozen=True, slots=True)
class Limits:
    cpu_seconds: int | None
    memory_bytes: int | None
    max_processes: int = 256


def limits_for(config: ScriptConfig, max_processes: int = 256) -> Limits:
    cpu = math.ceil(config.cpu_time.total_seconds()) if config.cpu_time is not None else None
    memory = config.memory_mb * 1024 * 1024 if config.memory_mb is not None else None
    return Limits(cpu_seconds=max(cpu, 1) if cpu is not None else None, memory_bytes=memory,
                  max_processes=max_processes)  # fmt: skip


def preexec(limits: Limits, *, join_fds: Sequence[int] = (), drop_to_nobody: bool = False) -> Callable[[], None]:
    """The function the forked child runs before exec: the limits bind it and all it starts.

    It joins the attempt's cgroups (``join_fds``: their ``cgroup.procs``, opened by the runner) before anything
    else, so that nothing it starts is ever outside them. ``drop_to_nobody``: become uid 65534 for real (a root
    server without a pids cgroup), so that RLIMIT_NPROC, which the kernel ignores for root, applies.
    The child also dies with the runner: a SIGKILLed runner (OOM killer, kill -9) must not leave a script
    producing side effects while recovery runs its step again.
    """
    runner = os.getpid()

    def apply() -> None:
        for fd in join_fds:
            os.write(fd, str(os.getpid()).encode())
        if limits.cpu_seconds is not None:
            # SIGXCPU at the soft limit (reported as cpu_limit), SIGKILL a second later if ignored.
            resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
        if limits.memory_bytes is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (_FILE_SIZE, _FILE_SIZE))
        if os.getuid() != 0 or drop_to_nobody:  # the kernel ignores RLIMIT_NPROC for uid 0, even mapped inside bwrap
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes, limits.max_processes))
        if drop_to_nobody:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
        if _PRCTL is not None:  # after the uid change, which clears it
            _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != runner:  # the runner died between fork and prctl
                os._exit(1)

    return apply


# Run under setpriv --pdeathsig: dies with the runner from here on, and exits if the runner (its first argument)
# died before that; joins each cgroup named up to ``--`` (its cgroup.procs); then becomes the command after it.
# The shell's pid is the command's, so the whole tree starts inside the cgroups. Paths are arguments, never text.
_GUARD = (
    '[ "$PPID" = "$1" ] || exit 125; shift; '
    'for procs; do [ "$procs" = -- ] && break; echo $$ > "$procs" || exit 125; shift; done; shift; exec "$@"'
)


def launcher(limits: Limits, *, join: Sequence[Path] = ()) -> list[str] | None:
    """The argv prefix that bounds a command as ``preexec`` does, without running Python in the forked child.

    Without a ``preexec_fn`` the server is not forked (vfork: no copy of its memory to throw away), and no
    Python runs between fork and exec. ``setpriv`` makes the child die with the runner (and a shell checks that
    the runner was still there by then), the shell joins the attempt's cgroups (``join``: their ``cgroup.procs``),
    ``prlimit`` sets the rlimits, then it becomes the command; bubblewrap does the rest (``--new-session``,
    ``--die-with-parent``). None where ``setpriv`` or ``prlimit`` is missing: then ``preexec`` it is.
    """
    tools = _launch_tools()
    if tools is None:
        return None
    setpriv, prlimit = tools
    bounds = ["--core=0:0", f"--fsize={_FILE_SIZE}:{_FILE_SIZE}"]
    if limits.cpu_seconds is not None:  # SIGXCPU at the soft limit (cpu_limit), SIGKILL a second later if ignored
        bounds.append(f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}")
    if limits.memory_bytes is not None:
        bounds.append(f"--as={limits.memory_bytes}:{limits.memory_bytes}")
    if os.getuid() != 0:  # the kernel ignores RLIMIT_NPROC for uid 0, even mapped inside bwrap
        bounds.append(f"--nproc={limits.max_processes}:{limits.max_processes}")
    guard = [setpriv, "--pdeathsig", "KILL", "--", "/bin/sh", "-c", _GUARD, "sh", str(os.getpid())]
    return [*guard, *(str(path) for path in join), "--", prlimit, *bounds, "--"]


@functools.cache  # per attempt otherwise: a stat of every PATH entry
def _launch_tools() -> tuple[str, str] | None:
    found = [shutil.which(name) or shutil.which(name, path="/usr/bin:/bin") for name in ("setpriv", "prlimit")]
    setpriv, prlimit = found
    if setpriv is None or prlimit is None:
        return None
    return setpriv, prlimit


def script_env(
    workspace: Path,
    extra: Mapping[str, str],
    credentials: Mapping[str, str],
    identity: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """A fresh environment: nothing of the server's own (DATABASE_URL, keys…) reaches the script.

    ``identity`` (run id, step, attempt…) arrives as ``LOCKGATE_*`` variables so a script can tell a retry.
    """
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(workspace),
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        **{f"LOCKGATE_{k.upper()}": v for k, v in (identity or {}).items()},
    }
    for name, value in extra.items():
        if not _ENV_NAME.match(name) or "\0" in value:
            raise PermanentStepError("invalid_config", f"config.env: {name!r} is not a valid variable name or value")
        env[name] = value
    for name, value in credentials.items():
        if "\0" in value:  # the detail names the credential, never its value
            raise PermanentStepError("invalid_credential", f"credential {name!r} contains a NUL byte")
        env["LOCKGATE_CREDENTIAL_" + re.sub(r"[^A-Za-z0-9_]", "_", name).upper()] = value
    return env


@functools.cache  # the system's layout does not change under a running server: looked at once, not per attempt
def _system_binds() -> tuple[str, ...]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("bin", "sbin", "lib", "lib32", "lib64"):
        path = Path("/", top)
        if path.is_symlink():  # merged /usr: recreate the link rather than bind its target twice
            args += ["--symlink", str(path.readlink()), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    return tuple(args)


@functools.cache
def _prefix_binds() -> tuple[str, ...]:
    # pyenv's interpreter finds libpython through RUNPATH under its prefix: same path inside,
    # both as Python names it and as the links resolve.
    named = (Path(sys.base_prefix), Path(sys.prefix))
    prefixes = {*named, *(p.resolve() for p in named)}
    args: list[str] = []
    for prefix in sorted(prefixes):
        if not prefix.is_relative_to("/usr"):
            args += ["--ro-bind", str(prefix), str(prefix)]
    return tuple(args)


def bwrap_command(options_fd: int) -> list[str]:
    """The bwrap command reading its options from a file descriptor; the interpreter's argv follows.

    The options carry the environment, credentials included: on the command line any local
    user could read them in /proc/PID/cmdline.
    """
    return [_bwrap_path() or "bwrap", "--args", str(options_fd), "--"]


def encode_options(options: Sequence[str]) -> bytes:
    # NUL separates options: script_env refuses it in values, so nothing can inject an option.
    return b"".join(option.encode() + b"\0" for option in options)


def bwrap_options(
    workspace: Path, env: Mapping[str, str], *, network: bool, read_only: Sequence[Path] = ()
) -> list[str]:
    """Everything bwrap is told: binds, namespaces, privileges and the environment."""
    # /tmp comes first: an interpreter, workspace or script file under /tmp must not be hidden by it.
    args = ["--tmpfs", "/tmp", *_system_binds(), *_prefix_binds()]  # noqa: S108
    for name in _ETC + (_NETWORK_ETC if network else ()):
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    args += ["--bind", str(workspace), str(workspace), "--chdir", str(workspace)]
    for path in read_only:
        args += ["--ro-bind", str(path), str(path)]
    args += ["--proc", "/proc", "--dev", "/dev", "--unshare-all", "--unshare-user"]
    args += ["--uid", str(NOBODY), "--gid", str(NOBODY)]
    if network:
        args.append("--share-net")
    args += ["--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv"]
    for name, value in env.items():
        args += ["--setenv", name, value]
    return args


@functools.cache
def _bwrap_path() -> str | None:
    # The server's PATH may be minimal: Debian's package puts it in /usr/bin.
    return shutil.which("bwrap") or shutil.which("bwrap", path="/usr/bin:/bin")


_probe: dict[str, str | None] = {}


async def bwrap_problem(*, drop_to_nobody: bool = False) -> str | None:
    """Why bubblewrap cannot confine scripts here, or None when it works. Probed once per process.

    ``drop_to_nobody``: as uid 65534 outside too (bwrap then needs unprivileged user namespaces).
    """
    key = "nobody" if drop_to_nobody else "result"
    if key not in _probe:
        _probe[key] = await _run_probe(bwrap=True, drop_to_nobody=drop_to_nobody)
    return _probe[key]


async def nobody_problem() -> str | None:
    """Why uid 65534 cannot run the interpreter here (a folder on its way is private), or None."""
    if "nobody-python" not in _probe:
        _probe["nobody-python"] = await _run_probe(bwrap=False, drop_to_nobody=True)
    return _probe["nobody-python"]


async def _run_probe(*, bwrap: bool, drop_to_nobody: bool) -> str | None:
    if bwrap and _bwrap_path() is None:
        return "bwrap is not installed"
    with tempfile.TemporaryDirectory(prefix="lockgate-probe-") as scratch:
        if drop_to_nobody:
            os.chown(scratch, NOBODY, NOBODY)
        options = bwrap_options(Path(scratch), {}, network=False) if bwrap else []
        command = [sys.executable, "-c", "pass"]
        argv = [_bwrap_path() or "bwrap", *options, "--", *command] if bwrap else command
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE, cwd=scratch,
                preexec_fn=preexec(Limits(None, None), drop_to_nobody=drop_to_nobody),
            )  # fmt: skip
        except OSError as exc:
            return f"{argv[0]}: {exc.strerror or exc}"
        _, stderr = await proc.communicate()
    if proc.returncode != 0:
        problem = stderr.decode(errors="replace").strip() or f"{Path(argv[0]).name} exited with {proc.returncode}"
        return f"as uid {NOBODY}: {problem}" if drop_to_nobody else problem
    return None
