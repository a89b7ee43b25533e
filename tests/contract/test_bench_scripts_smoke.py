"""``python -m bench scripts --quick --json`` runs every scenario and reports its figure: a smoke test, never timed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="the scripts bench measures bubblewrap: not installed")
@pytest.mark.timeout(600)  # a few sandboxed runs: slow on a loaded machine, never a timing assertion
def test_quick_scripts_bench_reports_every_figure() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "LOCKGATE_DATABASE_URL"}}
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "scripts", "--quick", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=540, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["sandbox"].startswith("bubblewrap")
    assert len(report["load_average"]) == 3
    assert report["bare_start"]["ms"] > 0
    step, each = report["script_step"], report["for_each"]
    assert step["ms"] > 0 and step["ratio_to_bare"] == pytest.approx(step["ms"] / report["bare_start"]["ms"])
    assert each["items"] == 20 and each["items_per_second"] > 0
    assert isinstance(step["meets_target"], bool) and isinstance(each["meets_target"], bool)
    assert not any(ROOT.glob(".bench-*")), "the benchmark leaves no temporary home behind"
