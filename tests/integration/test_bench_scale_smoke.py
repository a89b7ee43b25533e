"""``python -m bench scale``, tiny, on the session's PostgreSQL and Redis: every figure reported, not a timing.

It runs real ``lockgate worker`` processes like the full benchmark, so it runs in the PostgreSQL pass only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import PostgresServer, RedisServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(240)
def test_tiny_scale_bench_reports_every_figure(postgres_server: PostgresServer, redis_server: RedisServer) -> None:
    if os.environ.get("LOCKGATE_TEST_DB", "").strip().lower() == "sqlite":
        pytest.skip("PostgreSQL, Redis and Celery workers: the PostgreSQL pass runs it")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKGATE_") and k != "DATABASE_URL"}
    argv = [sys.executable, "-m", "bench", "scale", "--steps", "20", "--scripts", "4", "--workers", "1",
            "--probes", "3", "--postgres", postgres_server.url(), "--redis", redis_server.url(7), "--json"]  # fmt: skip
    before = set(ROOT.glob(".bench-scale-*"))  # a full run may be going on beside this one
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=220, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = json.loads(proc.stdout)
    local, celery = report["configurations"]
    assert (local["workers"], celery["workers"]) == (0, 1)
    for configuration in (local, celery):
        for workload, steps in (("noop", 20), ("script", 4), ("probe", 3)):
            figures = configuration[workload]
            assert figures["steps"] == steps, (configuration["name"], workload)
            assert 0 <= figures["p50_ms"] <= figures["p99_ms"], (configuration["name"], workload)
            if workload != "probe":
                assert figures["steps_per_second"] > 0
    # Every no-op step really went through the Celery worker (none folded inline by the engine).
    assert [celery[w]["in_workers"] for w in ("noop", "script", "probe")] == [20, 4, 3]
    assert local["noop"]["ratio"]["steps_per_second"] == 1.0
    assert celery["noop"]["ratio"]["p50_ms"] is not None
    assert set(ROOT.glob(".bench-scale-*")) <= before, "the benchmark leaves no temporary home behind"
