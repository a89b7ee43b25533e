"""The program a script step's child runs: it loads the user code and hands back ``output``.

It reaches the interpreter by a file descriptor so that nothing of Lockgate has to be readable inside the
sandbox; hence the standard library only, and no Lockgate imports. Usage: ``python -c BOOTSTRAP JOB_FD OUT_FD
BEAT_FD`` (script.py): ``JOB_FD`` starts with this program's code object (compiled by the server, marshalled),
then the job (mode, code, the file it came from, inputs, feedback) in ``marshal`` after a ``M``, JSON after a
``J``: the server read a script file itself, inside the folders it allows, so this program never opens a path a
node names (a non-Python file's first line would come back in a SyntaxError).
``OUT_FD`` is a side channel that the script's own stdout cannot corrupt, JSON lines: first ``{"started": true}``
(proof that the sandbox came up), then, if a variables-mode script set the global ``output``, ``{"output": …}``
or ``{"invalid": "why"}``.
``BEAT_FD`` is the write end of a pipe: ``import lockgate_step; lockgate_step.heartbeat(details)`` writes one JSON
line there (script_heartbeat.py reads it). ``lockgate_step.route(["pay"])`` chooses the successors to take: once
the script exits 0, ``{"next": [...]}`` follows on ``OUT_FD`` (the engine checks the names against the node's).

Its start is most of a trivial step's cost, so it imports nothing it may not need: json (and re with it) only for
values it cannot write itself, traceback on an error, linecache when something imports it.
"""

from __future__ import annotations

import builtins
import marshal
import os
import sys

TYPE_CHECKING = False  # typing itself costs a tenth of the start
if TYPE_CHECKING:
    import types
    from collections.abc import Callable
    from importlib.machinery import ModuleSpec
    from typing import Any

__all__ = ["MEMORY_EXIT", "main"]

# Exit status meaning "the script raised MemoryError", i.e. it hit RLIMIT_AS.
MEMORY_EXIT = 213
HEARTBEAT_MAX = 1024  # bytes of JSON; the same bound as script_heartbeat.MAX_LINE


ROUTE_MAX = 1000  # names one route() may give; a node has far fewer successors


def _step_module(beat_fd: int, chosen: list[list[str]]) -> types.ModuleType:
    os.set_inheritable(beat_fd, False)  # processes the script starts do not get it
    os.set_blocking(beat_fd, False)  # a full pipe drops a heartbeat, never stalls the script

    def heartbeat(details: Any = None) -> bool:
        """Tell Lockgate the step is alive; ``details`` (JSON, at most 1 KiB) are recorded with the heartbeat.

        Returns False when the heartbeat was dropped (sent too fast). At most one a second is recorded.
        """
        import json  # json imports re: paid by the scripts that send heartbeats

        line = json.dumps(details, allow_nan=False, separators=(",", ":"))
        if len(line.encode()) > HEARTBEAT_MAX:
            raise ValueError(f"heartbeat details are {len(line.encode())} bytes of JSON, more than {HEARTBEAT_MAX}")
        try:  # under PIPE_BUF: written whole or not at all
            return os.write(beat_fd, line.encode() + b"\n") > 0
        except (BlockingIOError, BrokenPipeError):
            return False

    def route(names: Any) -> None:
        """Take only these successors (node ids) once the script succeeds; the others are skipped.

        ``[]`` takes none. The last call counts. Without a call, every successor is taken.
        """
        if isinstance(names, str) or not all(isinstance(n, str) for n in names):
            raise TypeError("lockgate_step.route takes a list of node ids (strings)")
        names = list(names)
        if len(names) > ROUTE_MAX:
            raise ValueError(f"lockgate_step.route got {len(names)} names, more than {ROUTE_MAX}")
        chosen[:] = [names]

    module = type(sys)("lockgate_step", "What a script step can tell Lockgate while it runs.")
    module.heartbeat = heartbeat  # type: ignore[attr-defined]  # a module made here, not a file
    module.route = route  # type: ignore[attr-defined]
    return module


def _read_job(job_fd: int) -> dict[str, Any]:
    with os.fdopen(job_fd, "rb") as job_file:
        data = job_file.read()
    if data[:1] == b"M":  # from the server, never from the script: marshal is safe here
        job: dict[str, Any] = marshal.loads(data[1:])  # noqa: S302
        return job
    import json  # a job marshal could not carry

    loaded: dict[str, Any] = json.loads(data[1:])
    return loaded


def _load_source(job: dict[str, Any]) -> tuple[str, str]:
    filename = "<script>" if job["file"] is None else str(job["file"])
    source = str(job["code"])
    # Registered so that tracebacks show its lines: inline code has no file, and a script file's is not here.
    entry = (len(source), None, source.splitlines(keepends=True), filename)
    if "linecache" in sys.modules:
        sys.modules["linecache"].cache[filename] = entry
    else:  # when something imports linecache (the runner's traceback, or the script's own)
        sys.meta_path.insert(0, _LinesOnImport(lambda cache: cache.__setitem__(filename, entry)))
    return filename, source


class _LinesOnImport:
    """A finder for linecache alone: its module registers the script's lines as soon as it has loaded."""

    def __init__(self, register: Callable[[dict[str, Any]], None]) -> None:
        self._register = register

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if name != "linecache":
            return None
        sys.meta_path.remove(self)
        for finder in sys.meta_path:
            spec: ModuleSpec | None = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                # A loader by its two methods: importlib.abc's Loader would cost more than linecache itself.
                spec.loader = _Registering(spec.loader, self._register)  # type: ignore[assignment]
                return spec
        return None


class _Registering:
    """The loader of linecache, then the registration of the script's lines."""

    def __init__(self, loader: Any, register: Callable[[dict[str, Any]], None]) -> None:
        self._loader = loader
        self._register = register

    def create_module(self, spec: ModuleSpec) -> types.ModuleType | None:
        created: types.ModuleType | None = self._loader.create_module(spec)
        return created

    def exec_module(self, module: types.ModuleType) -> None:
        self._loader.exec_module(module)
        self._register(module.cache)


def _globals(job: dict[str, Any], filename: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "__main__", "__file__": filename, "__builtins__": builtins}
    if job["mode"] == "variables":
        inputs = job["inputs"]
        namespace["feedback"] = job.get("feedback")  # the revision request this attempt answers, or None
        namespace.update({k: v for k, v in inputs.items() if k.isidentifier() and not k.startswith("__")})
        namespace["inputs"] = inputs
    return namespace


def _exit_status(exc: SystemExit) -> int:
    # The same conversion the interpreter applies to an uncaught SystemExit.
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    sys.stderr.write(f"{exc.code}\n")
    return 1


def _send(out_fd: int, message: str) -> None:
    data = (message + "\n").encode()
    while data:
        data = data[os.write(out_fd, data) :]


def _plain_json(value: Any, depth: int = 0) -> str | None:
    """``value`` as ``json.dumps`` writes it, for the plain values that need no escaping; None: json decides."""
    kind = type(value)
    if value is None or kind is bool:
        return "null" if value is None else "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        return float.__repr__(value) if value - value == 0 else None  # NaN and infinities: json refuses them
    if kind is str:
        plain = value.isascii() and value.isprintable() and '"' not in value and "\\" not in value
        return f'"{value}"' if plain else None
    if depth >= 64 or kind not in (list, dict):
        return None
    pairs = value.items() if kind is dict else ((None, item) for item in value)
    parts = []
    for key, item in pairs:
        text = _plain_json(item, depth + 1)
        name = None if kind is list else _plain_json(key) if type(key) is str else None
        if text is None or (kind is dict and name is None):
            return None
        parts.append(text if name is None else f"{name}: {text}")
    return ("[{}]" if kind is list else "{{{}}}").format(", ".join(parts))


def _json_line(key: str, value: Any) -> str:
    """``{key: value}`` as JSON, or ValueError/TypeError as ``json.dumps(..., allow_nan=False)`` raises them."""
    try:
        plain = _plain_json(value)
    except ValueError:  # an int past the digits limit: json says so in its own words
        plain = None
    if plain is not None:
        return f'{{"{key}": {plain}}}'
    import json  # json imports re: only for values _plain_json cannot write

    return json.dumps({key: value}, allow_nan=False)


def _send_output(out_fd: int, namespace: dict[str, Any]) -> None:
    try:
        _send(out_fd, _json_line("output", namespace["output"]))
    except (TypeError, ValueError) as exc:
        _send(out_fd, _json_line("invalid", f"the global 'output' is not JSON: {exc}"))


def main() -> int:
    out_fd = int(sys.argv[2])
    os.set_inheritable(out_fd, False)  # processes the script starts must not write the channel
    _send(out_fd, '{"started": true}')
    chosen: list[list[str]] = []  # what route() chose last, if it was called
    sys.modules["lockgate_step"] = _step_module(int(sys.argv[3]), chosen)
    job = _read_job(int(sys.argv[1]))
    filename, source = _load_source(job)
    sys.argv = [filename]
    namespace = _globals(job, filename)
    try:
        exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - running user code is the point
    except SystemExit as exc:
        status = _exit_status(exc)
    except MemoryError:
        try:
            import traceback  # only on an error

            traceback.print_exc()
        except MemoryError:  # still at the bound: the exit status says it
            pass
        return MEMORY_EXIT
    except BaseException as exc:  # noqa: BLE001 - report like the interpreter, minus this frame
        import traceback  # only on an error

        traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next if exc.__traceback__ else None)
        return 1
    else:
        status = 0
    if status == 0 and job["mode"] == "variables" and "output" in namespace:
        _send_output(out_fd, namespace)
    if status == 0 and chosen:
        _send(out_fd, _json_line("next", chosen[0]))
    return status


if __name__ == "__main__":
    sys.exit(main())
