"""``python -m bench human --quick --json`` runs a real server and reports every figure: a smoke test, not a timing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(300)
def test_quick_human_bench_reports_every_figure() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "LOCKGATE_DATABASE_URL"}}
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "human", "--quick", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=280, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["runs"] == 200
    assert report["held"]["attempts_in_flight"] == 0 and report["held"]["children"] == 0
    for section, keys in {
        "memory": ("idle_rss_mb", "waiting_rss_mb", "ratio_to_idle"),
        "inbox": ("health_ms", "run_list_ms", "inbox_editor_ms", "inbox_admin_ms", "editor_to_run_list"),
        "approval": ("post_ms", "to_next_start_ms", "to_next_start_to_health"),
        "create": ("seconds", "runs_per_second"),
    }.items():
        for key in keys:
            value = report[section][key]
            assert isinstance(value, int | float) and value > 0, f"{section}.{key}: {value!r}"
    assert isinstance(report["memory"]["meets_target"], bool) and isinstance(report["inbox"]["meets_target"], bool)
    assert not any(ROOT.glob(".bench-human-*")), "the benchmark leaves no temporary home behind"
