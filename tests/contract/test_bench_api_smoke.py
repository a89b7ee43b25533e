"""``python -m bench api --quick --json`` seeds runs, starts a real server and reports every figure: not a timing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(300)
def test_quick_api_bench_reports_every_figure() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "LOCKGATE_DATABASE_URL"}}
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "api", "--quick", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=280, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["runs"] == 2_000
    latency = report["listing"]["latency"]
    for name in ("health", "first_page", "page_21", "by_status", "by_pipeline"):
        assert 0 < latency[name]["p50_ms"] <= latency[name]["p99_ms"], name
    assert report["listing"]["rps"]["first_page"] > 0 and report["listing"]["rps"]["health"] > 0
    for name in ("webhook", "manual"):
        assert 0 < report["starts"][name]["p50_ms"] <= report["starts"][name]["p99_ms"], name
    assert not any(ROOT.glob(".bench-api-*")), "the benchmark leaves no temporary home behind"
