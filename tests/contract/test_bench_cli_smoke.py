"""``python -m bench cli --quick --json`` runs and reports every figure: a smoke test, never a timing test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(600)  # a dozen fresh interpreters and a server: slow on a loaded machine, never a timing
def test_quick_cli_bench_reports_every_figure() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "LOCKGATE_DATABASE_URL"}}
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "cli", "--quick", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=540, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["python_pass_cpu_s"] > 0
    for name in ("help", "runs_list"):
        assert report[name]["cpu_s"] > 0 and report[name]["ratio"] > 0, name
        assert isinstance(report[name]["meets_target"], bool)
    assert report["serve"]["ready_s"] > 0 and report["serve"]["ready_cpu_s"] > 0 and report["serve"]["idle_rss_mb"] > 0
    assert isinstance(report["serve"]["meets_target"], bool)
    assert len(report["load_average"]) == 3
    assert not any(ROOT.glob(".bench-*")), "the benchmark leaves no temporary home behind"
