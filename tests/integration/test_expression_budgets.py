"""Budgets in the runtime: a template out of time is recorded so replays agree; outputs have a size limit."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.helpers import fast_settings, running, select_rows

from lockgate.engine import RunStatus, StepStatus
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store.tables import events

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from lockgate.engine import Event, RunState
    from lockgate.executors.base import Fence
    from lockgate.runtime import Runtime
    from lockgate.runtime.applier import Applied
    from lockgate.settings import Settings

pytestmark = pytest.mark.anyio

# Within the iteration and size budgets below, but far longer than the time budget: only the clock stops it.
SLOW = "{% for i in range(3000) %}{% for j in range(3000) %}{{ i * j }}{% endfor %}{% endfor %}"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def slow_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"expression_max_iterations": 10**9, "expression_max_bytes": 10**9,
                              "expression_max_time": timedelta(milliseconds=200), **overrides}  # fmt: skip
    return fast_settings(tmp_path / "home", database_url, **values)


def spec(name: str, nodes: list[dict[str, Any]], edges: list[tuple[str, str]] | None = None) -> PipelineSpec:
    edge_list = [{"source": s, "target": t} for s, t in edges or []]
    return PipelineSpec.model_validate({"name": name, "nodes": nodes, "edges": edge_list})


async def wait_for(runtime: Runtime, run_id: str) -> RunState:
    return await asyncio.wait_for(runtime.wait(run_id), 60)


async def test_a_template_out_of_time_fails_its_step_and_replays_agree(tmp_path: Path, database_url: str) -> None:
    settings = slow_settings(tmp_path, database_url)
    pipeline = spec(
        "slow",
        [
            {"id": "first", "kind": "transform", "config": {"value": 1}},
            {"id": "slow", "kind": "transform", "config": {"value": SLOW}, "on_error": "continue"},
            {"id": "quick", "kind": "transform", "config": {"value": "{{ nodes.first.output + 1 }}"}},
        ],
        [("first", "slow"), ("first", "quick")],
    )
    async with running(settings) as runtime:
        head = await runtime.create_run(pipeline, {})
        live = await wait_for(runtime, head.id)

    error = live.steps["slow"].error
    assert error is not None
    assert (error.kind, error.field) == ("expression_budget", "config.value")
    assert "time budget" in error.message
    assert live.steps["quick"].output == 2
    assert live.status is RunStatus.SUCCEEDED
    recorded = select_rows(database_url, events, events.c.run_id == head.id, events.c.type == "expression_timed_out")
    assert [(e["data"]["field"], e["data"]["seconds"]) for e in recorded] == [("config.value", 0.2)]
    async with running(settings) as fresh:  # replayed from the events, on a cold cache
        replayed = await fresh.run_state(head.id)
    assert replayed == live


async def test_a_transform_output_over_the_limit_fails_the_step(tmp_path: Path, database_url: str) -> None:
    settings = fast_settings(tmp_path / "home", database_url, max_output_bytes=4096)
    pipeline = spec(
        "big",
        [
            {"id": "small", "kind": "transform", "config": {"value": ["{{ 'x' * 1000 }}", "{{ 'y' * 1000 }}"]}},
            {"id": "big", "kind": "transform", "config": {"value": ["{{ 'x' * 3000 }}", "{{ 'y' * 3000 }}"]}},
        ],
        [("small", "big")],
    )
    async with running(settings) as runtime:
        head = await runtime.create_run(pipeline, {})
        state = await wait_for(runtime, head.id)

    assert state.steps["small"].status is StepStatus.SUCCEEDED
    error = state.steps["big"].error
    assert error is not None and error.kind == "output_too_large"
    assert "6,007 bytes of JSON, more than the limit of 4,096 (LOCKGATE_MAX_OUTPUT_BYTES)" in error.message


async def test_a_script_output_over_the_limit_fails_the_step(tmp_path: Path, database_url: str) -> None:
    settings = fast_settings(tmp_path / "home", database_url, max_output_bytes=4096)
    pipeline = spec("script", [{"id": "big", "kind": "script", "config": {"code": "output = 'z' * 5000"}}])
    async with running(settings) as runtime:
        head = await runtime.create_run(pipeline, {})
        state = await wait_for(runtime, head.id)

    error = state.steps["big"].error
    assert error is not None and error.kind == "output_too_large" and not error.retryable
    assert "5,002 bytes of JSON" in error.message


async def test_a_transaction_out_of_time_leaves_later_runs_to_the_next_one(tmp_path: Path, database_url: str) -> None:
    """Many busy runs at once: templates are evaluated in the write transaction, which ends once out of time."""
    settings = slow_settings(tmp_path, database_url, expression_max_time=timedelta(seconds=1))
    busy = "{% for i in range(250) %}{% for j in range(250) %}{{ i }}{% endfor %}{% endfor %}"  # ~50-150 ms
    # A run starts in a transaction of its own: the busy templates come after a step the executor runs (an
    # idempotency key keeps the noop from being evaluated inline), whose results the committer applies together.
    gate = {"id": "gate", "kind": "noop", "idempotency_key": "gate-{{ run.id }}"}
    pipeline = spec("busy", [gate, {"id": "a", "kind": "transform", "config": {"value": busy}}], [("gate", "a")])
    spans: list[tuple[float, int]] = []  # each transaction: seconds, events left for the next one
    async with running(settings) as runtime:
        apply = runtime.applier.apply

        def timed(
            batch: list[tuple[str, Event]], now: datetime, fences: Mapping[int, Fence] | None = None
        ) -> list[Applied]:
            started = time.monotonic()
            results = apply(batch, now, fences)
            spans.append((time.monotonic() - started, sum(a.deferred for a in results)))
            return results

        runtime.applier.apply = timed  # type: ignore[method-assign]
        heads = await asyncio.gather(*(runtime.create_run(pipeline, {}) for _ in range(40)))
        states = [await wait_for(runtime, head.id) for head in heads]

    assert [s.status for s in states] == [RunStatus.SUCCEEDED] * 40
    assert any(deferred for _, deferred in spans), spans  # some runs waited for the next transaction
    assert max(seconds for seconds, _ in spans) < 2.5, spans  # the budget, plus the one run that crossed it


async def test_a_run_whose_templates_keep_running_out_of_time_fails(tmp_path: Path, database_url: str) -> None:
    settings = slow_settings(tmp_path, database_url)
    slow = [{"id": f"slow{i}", "kind": "transform", "config": {"value": SLOW + str(i)}, "on_error": "continue"}
            for i in range(4)]  # fmt: skip
    async with running(settings) as runtime:
        head = await runtime.create_run(spec("slower", slow), {})
        state = await wait_for(runtime, head.id)

    assert state.status is RunStatus.FAILED
    assert state.error is not None and state.error.kind == "expression_budget"
    assert "templates kept running past the time budget" in state.error.message
    recorded = select_rows(database_url, events, events.c.run_id == head.id, events.c.type == "expression_timed_out")
    assert [e["data"]["fail_run"] for e in recorded] == [False, False, True]


async def test_a_run_keeps_the_budgets_it_started_with(tmp_path: Path, database_url: str) -> None:
    """Changing the settings later changes nothing in how its events replay."""
    strict = fast_settings(tmp_path / "home", database_url, expression_max_iterations=1000)
    pipeline = spec(
        "counted",
        [
            {"id": "first", "kind": "transform", "config": {"value": 1}},
            {"id": "loop", "kind": "transform", "config": {"value": "{% for i in range(1500) %}.{% endfor %}"},
             "on_error": "continue"},
        ],
        [("first", "loop")],
    )  # fmt: skip
    async with running(strict) as runtime:
        head = await runtime.create_run(pipeline, {})
        live = await wait_for(runtime, head.id)
    error = live.steps["loop"].error
    assert error is not None and error.kind == "expression_budget" and "1,000" in error.message

    lenient = fast_settings(tmp_path / "home", database_url)  # the default: 100,000
    async with running(lenient) as fresh:
        replayed = await fresh.run_state(head.id)
        again = await wait_for(fresh, (await fresh.create_run(pipeline, {})).id)
    assert replayed == live
    assert again.steps["loop"].output == "." * 1500
