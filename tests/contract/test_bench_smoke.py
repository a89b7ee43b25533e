"""``python -m bench engine --quick --json`` runs and reports every figure: a smoke test, never a timing test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIO_KEYS = {"steps", "seconds", "steps_per_second", "peak_rss_mb", "ratio_to_floor", "meets_target"}


def _positive(section: dict[str, Any], *keys: str) -> None:
    for key in keys:
        value = section[key]
        assert isinstance(value, int | float) and not isinstance(value, bool), f"{key}: {value!r}"
        assert value > 0, f"{key} should be positive, is {value}"


@pytest.mark.timeout(600)  # a dozen fresh interpreters: slow on a loaded machine, never a timing assertion
def test_quick_engine_bench_reports_every_figure() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "LOCKGATE_DATABASE_URL"}}
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "engine", "--quick", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=540, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["quick"] is True
    assert report["sqlite_synchronous"] in {"full", "normal"}
    _positive(report["floor"], "transactions", "seconds", "transactions_per_second")
    for name in ("chain", "fan_out", "fan_out_capped", "chain_executor", "fan_out_executor"):
        section = report[name]
        assert section.keys() >= SCENARIO_KEYS, f"{name} lacks {SCENARIO_KEYS - section.keys()}"
        _positive(section, "steps", "seconds", "steps_per_second", "peak_rss_mb", "ratio_to_floor")
        assert isinstance(section["meets_target"], bool)
    assert report["chain"]["steps"] == report["chain_executor"]["steps"] == 100
    assert report["chain"]["inline"] is True and report["chain_executor"]["inline"] is False
    assert report["fan_out"]["steps"] == report["fan_out"]["size"]
    assert report["fan_out_capped"]["max_parallel"] == 64
    points = report["memory"]["points"]
    assert [p["items"] for p in points] == sorted(p["items"] for p in points) and len(points) == 3
    assert isinstance(report["memory"]["mb_per_1000_items"], float)
    transform = report["transform_chain"]
    assert transform["size"] == 100 and isinstance(transform["meets_target"], bool)
    for label in ("first_run", "again"):
        _positive(transform[label], "noop_cpu_ms_per_step", "transform_cpu_ms_per_step", "ratio")
    per_step = report["per_step"]  # issue 14: the executor path against LangGraph-sync and the floor
    _positive(per_step["langgraph"], "steps", "seconds", "steps_per_second", "cpu_ms_per_step")
    _positive(per_step["chain"], "steps_per_second", "cpu_ms_per_step")
    assert per_step["langgraph"]["steps"] == per_step["chain"]["steps"] == 100
    assert per_step["concurrent"]["steps"] == per_step["concurrent"]["size"] * 10
    _positive(per_step, "chain_vs_langgraph", "chain_ratio_to_floor", "concurrent_ratio_to_floor")
    assert set(per_step["meets"]) == {"vs_langgraph", "cpu_per_step", "chain_floor", "concurrent_floor"}
    assert not any(ROOT.glob(".bench-*")), "the benchmark leaves no temporary home behind"
