"""``python -m bench cli``: what a ``lockgate`` command costs before it does anything, and a server's start.

Figures (medians of ``--samples`` runs, each a fresh process; bytecode caches warm):

- CPU (user + system) of ``lockgate --help`` and ``lockgate runs list`` (an empty home at the head revision), as
  ratios to ``python -c pass`` measured in the same run: targets ≤ 15x and ≤ 25x.
- ``lockgate serve`` (a home created beforehand) from spawn to the first ``/ready`` 200: target ≤ 0.8 s; its RSS
  once ready and idle: target ≤ 110 MB.

Figures to compare before and after a change, never a test: a missed target is MISS and the exit status stays 0.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.server import free_port

__all__ = ["CliOptions", "format_text", "run_cli_bench"]

HELP_TARGET = 15.0  # x python -c pass
LIST_TARGET = 25.0
READY_TARGET_S = 0.8
RSS_TARGET_MB = 110.0
_LOCKGATE = str(Path(sys.executable).with_name("lockgate"))


@dataclass(frozen=True, slots=True)
class CliOptions:
    samples: int = 9  # processes per CPU figure
    serve_samples: int = 3


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKGATE_") and k != "DATABASE_URL"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a cached bytecode is what a user's second command finds
    env.update({"LOCKGATE_HOME": str(home), "LOCKGATE_SANDBOX": "none", "LOCKGATE_ALLOW_UNCONFINED_SCRIPTS": "true",
                "LOCKGATE_LOG_FORMAT": "text", "COLUMNS": "120"})  # fmt: skip
    return env


def _cpu(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    """Seconds of CPU (user + system) of one process running argv to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, check=False, timeout=120)  # noqa: S603
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.decode()[-2000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _median_cpu(argv: list[str], env: dict[str, str], cwd: Path, samples: int) -> float:
    _cpu(argv, env, cwd)  # warm: bytecode written, files in the page cache
    return statistics.median(_cpu(argv, env, cwd) for _ in range(samples))


def _serve_once(env: dict[str, str], cwd: Path) -> tuple[float, float, float]:
    """(seconds from spawn to the first /ready 200, its CPU seconds by then, RSS in MB once idle for a second).

    The CPU figure is the one a loaded machine barely moves; the wall-clock one is what a user waits.
    """
    port = free_port()
    start = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603 - our own CLI
        [_LOCKGATE, "serve", "--port", str(port)], env=env, cwd=cwd,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        ready = _wait_ready(f"http://127.0.0.1:{port}/ready", proc, start)
        server = psutil.Process(proc.pid)
        times = server.cpu_times()
        cpu = times.user + times.system + times.children_user + times.children_system
        time.sleep(1.0)  # idle: what a server holds between requests, not while it starts
        return ready, cpu, server.memory_info().rss / 1e6
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(url: str, proc: subprocess.Popen[bytes], start: float) -> float:
    with httpx.Client(timeout=1.0) as client:
        while time.perf_counter() - start < 60:
            if proc.poll() is not None:
                raise RuntimeError(f"lockgate serve exited {proc.returncode}: {proc.stderr and proc.stderr.read()!r}")
            try:
                if client.get(url).status_code == 200:
                    return time.perf_counter() - start
            except httpx.TransportError:
                pass
            time.sleep(0.005)
    raise RuntimeError("lockgate serve was not ready within 60 s")


def run_cli_bench(options: CliOptions) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="lockgate-bench-cli-"))
    try:
        env = _env(work / "home")
        # the home exists and is at the head revision: what every command after the first finds
        upgrade = [_LOCKGATE, "db", "upgrade"]
        subprocess.run(upgrade, env=env, cwd=work, capture_output=True, check=True, timeout=120)  # noqa: S603
        base = _median_cpu([sys.executable, "-c", "pass"], env, work, options.samples)
        help_cpu = _median_cpu([_LOCKGATE, "--help"], env, work, options.samples)
        list_cpu = _median_cpu([_LOCKGATE, "runs", "list"], env, work, options.samples)
        starts = [_serve_once(env, work) for _ in range(options.serve_samples)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ready = statistics.median(s[0] for s in starts)
    ready_cpu = statistics.median(s[1] for s in starts)
    rss = statistics.median(s[2] for s in starts)
    return {
        "load_average": list(os.getloadavg()),
        "samples": options.samples,
        "python_pass_cpu_s": base,
        "help": {"cpu_s": help_cpu, "ratio": help_cpu / base, "target": HELP_TARGET,
                 "meets_target": help_cpu / base <= HELP_TARGET},
        "runs_list": {"cpu_s": list_cpu, "ratio": list_cpu / base, "target": LIST_TARGET,
                      "meets_target": list_cpu / base <= LIST_TARGET},
        "serve": {"ready_s": ready, "ready_cpu_s": ready_cpu, "idle_rss_mb": rss, "starts": len(starts),
                  "ready_target_s": READY_TARGET_S, "rss_target_mb": RSS_TARGET_MB,
                  "meets_target": ready <= READY_TARGET_S and rss <= RSS_TARGET_MB},
    }  # fmt: skip


def _mark(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def format_text(report: dict[str, Any]) -> str:
    h, r, s = report["help"], report["runs_list"], report["serve"]
    load = " ".join(f"{x:.2f}" for x in report["load_average"])
    return "\n".join([
        f"CLI start (medians of {report['samples']} processes; load average {load})",
        f"  python -c pass       {report['python_pass_cpu_s'] * 1000:7.1f} ms CPU",
        f"  lockgate --help      {h['cpu_s'] * 1000:7.1f} ms CPU  {h['ratio']:5.1f}x (target ≤ {h['target']:.0f}x)"
        f"  {_mark(h['meets_target'])}",
        f"  lockgate runs list   {r['cpu_s'] * 1000:7.1f} ms CPU  {r['ratio']:5.1f}x (target ≤ {r['target']:.0f}x)"
        f"  {_mark(r['meets_target'])}",
        f"  lockgate serve       {s['ready_s']:.2f} s to /ready (≤ {s['ready_target_s']} s; "
        f"{s['ready_cpu_s']:.2f} s CPU), idle RSS "
        f"{s['idle_rss_mb']:.0f} MB (≤ {s['rss_target_mb']:.0f} MB; median of {s['starts']})"
        f"  {_mark(s['meets_target'])}",
    ])  # fmt: skip
