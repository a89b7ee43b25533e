"""``run_local``: the real runtime in this process, task functions on the caller's thread, answers, stubs, replay."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from tests.integration.agents.conftest import add_model
from tests.openai_server import Reply, chat_server

from lockgate import Next, Pipeline, run_local
from lockgate.engine import RunStatus, StepStatus
from lockgate.engine.state import TaskPurpose
from lockgate.errors import DefinitionErrors, InvalidInputError
from lockgate.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
THREADS: list[int] = []


# ------------------------------------------------------------------------------------- a pipeline of tasks

orders = Pipeline("orders", input={"order_id": str, "total": int})


@orders.task(retry={"max_attempts": 2, "initial_delay": "0s"})
def fetch(order_id: str, total: int) -> dict[str, object]:
    THREADS.append(threading.get_ident())
    return {"order_id": order_id, "total": total}


@orders.task(next=["pay", "check"])
def route(order: dict[str, Any] = fetch.value) -> Next:
    return Next(["pay"] if order["total"] < 100 else ["check"], output={"total": order["total"]})


check = orders.human("check", fields=[{"name": "ok", "type": "boolean", "required": True}])


@orders.task(review={"approve_complete": True})
def pay(order: dict[str, Any] = fetch.value) -> dict[str, object]:
    return {"paid": order["total"]}


def test_tasks_run_on_the_callers_thread_and_route_with_next() -> None:
    THREADS.clear()
    result = run_local(orders, input={"order_id": "A-1", "total": 42}, answers={"pay": "approve"})
    assert result.status is RunStatus.SUCCEEDED and result.succeeded, result.errors
    assert result.output == {"pay": {"paid": 42}}  # the sinks' outputs, the skipped one left out
    assert result.steps["route"].output == {"total": 42}
    assert result.steps["check"].status is StepStatus.SKIPPED
    assert [threading.get_ident()] == THREADS
    assert (result.number, result.home, result.errors, result.waiting) == (1, None, (), ())


def test_a_run_waits_for_what_no_answer_covers_and_says_what_for() -> None:
    result = run_local(orders, input={"order_id": "A-2", "total": 500}, prompt=False)
    assert result.status is RunStatus.RUNNING
    [waiting] = result.waiting
    assert (waiting.step, waiting.node_id, waiting.asks) == ("check", "check", TaskPurpose.FORM)
    assert result.steps["pay"].status is StepStatus.SKIPPED


def test_answers_fill_in_forms_and_approve_reviews() -> None:
    big = run_local(orders, input={"order_id": "A-3", "total": 500}, answers={"check": {"ok": True}})
    assert big.succeeded and big.steps["check"].output == {"ok": True}
    rejected = run_local(orders, input={"order_id": "A-4", "total": 5}, answers={"pay": "reject"})
    assert rejected.status is RunStatus.FAILED
    assert rejected.steps["pay"].error == "rejected: rejected by run_local"
    assert rejected.errors == (
        "rejected: step 'pay' failed: rejected by run_local",
        "pay: rejected: rejected by run_local",
    )


def test_home_keeps_the_database_and_artifacts(tmp_path: Path) -> None:
    first = run_local(orders, input={"order_id": "B-1", "total": 1}, answers={"pay": "approve"}, home=tmp_path)
    second = run_local(orders, input={"order_id": "B-2", "total": 2}, answers={"pay": "approve"}, home=tmp_path)
    assert (first.number, second.number) == (1, 2) and second.home == tmp_path
    assert (tmp_path / "lockgate.db").is_file() and (tmp_path / "pipelines" / "orders" / "runs" / "v2").is_dir()


# ------------------------------------------------------------------------------------- stubs


def broken(order_id: str) -> dict[str, object]:
    raise AssertionError(f"a stubbed task ran for {order_id}")


stubbed = Pipeline("stubbed", input={"order_id": str})
lookup = stubbed.task(name="lookup")(broken)
tally = stubbed.script("tally", inputs={"order": lookup.output}, code="raise SystemExit(3)\n")
decide = stubbed.task(name="decide", next=["ship", "hold"])(broken)
stubbed.noop("ship")
stubbed.noop("hold")
lookup >> decide


def test_a_stub_stands_in_for_any_node_a_handler_runs() -> None:
    result = run_local(stubbed, input={"order_id": "C-1"},
                       stub={"lookup": {"total": 3}, "tally": 3, "decide": Next(["hold"], output="held")})  # fmt: skip
    assert result.succeeded, result.errors
    assert (result.steps["lookup"].output, result.steps["tally"].output, result.steps["decide"].output) == (
        {"total": 3},
        3,
        "held",
    )
    assert (result.steps["ship"].status, result.steps["hold"].status) == (StepStatus.SKIPPED, StepStatus.SUCCEEDED)


def test_without_a_stub_the_task_runs_and_its_failure_is_reported() -> None:
    result = run_local(stubbed, input={"order_id": "C-2"}, stub={"decide": Next([])})
    assert result.status is RunStatus.FAILED
    assert result.steps["lookup"].error == "task_error: AssertionError: a stubbed task ran for C-2"


# ------------------------------------------------------------------------------------- bad arguments


def test_bad_answers_and_stubs_are_named_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as caught:
        run_local(orders, answers={"chek": {"ok": True}, "check": {"ok": "yes"}, "fetch": "approve"}, home=tmp_path)
    assert caught.value.problems == [
        "answers['chek']: no such node (nodes: fetch, route, check, pay)",
        "answers['check']: values.ok: expected true or false, got 'yes'",
        "answers['fetch']: it asks no one: a task node without a review",
    ]
    with pytest.raises(InvalidInputError) as stubs:
        run_local(stubbed, stub={"nothing": 2, "hold": None, "tally": 1}, home=tmp_path)
    assert stubs.value.problems == [
        "stub['nothing']: no such node (nodes: lookup, tally, decide, ship, hold)",
        "stub['hold']: a noop node is evaluated in place, never run: it takes no stub",
    ]
    with pytest.raises(InvalidInputError, match=r"stub\['check'\]: a human node takes answers="):
        run_local(orders, stub={"check": {}}, home=tmp_path)
    assert not (tmp_path / "lockgate.db").exists()


def test_bad_input_and_a_bad_pipeline_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="total"):
        run_local(orders, input={"order_id": "D-1", "total": "many"}, home=tmp_path)
    broken_next = Pipeline("broken", input={"order_id": str})
    broken_next.task(name="route", next=["nowhere"])(broken)
    with pytest.raises(DefinitionErrors, match="no node 'nowhere'"):
        run_local(broken_next, input={"order_id": "D-2"})


# ------------------------------------------------------------------------------------- replay


def _writer(body: dict[str, Any]) -> Reply:
    del body
    return Reply(text="a short poem", prompt_tokens=5, completion_tokens=3)


poem = Pipeline("poem", input={"topic": str})
poem.agent("write", model="local", prompt="Write a poem about {{ input.topic }}")


def test_replay_answers_agent_steps_from_an_earlier_runs_recording(tmp_path: Path) -> None:
    with chat_server(_writer) as server:
        add_model(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'lockgate.db'}"), server.base_url)
        first = run_local(poem, input={"topic": "rivers"}, home=tmp_path)
        assert first.succeeded and server.count == 1, first.errors
        again = run_local(poem, input={"topic": "rivers"}, home=tmp_path, replay=first.number)
        assert again.succeeded and again.steps["write"].output == "a short poem", again.errors
        assert server.count == 1  # the recording answered
    with pytest.raises(InvalidInputError, match="replay: no run 'v9' of 'poem'"):
        run_local(poem, input={"topic": "rivers"}, home=tmp_path, replay="v9")
    with pytest.raises(InvalidInputError, match="replay: give home= too"):
        run_local(poem, input={"topic": "rivers"}, replay=1)


# ------------------------------------------------------------------------------------- a breakpoint in a task

DEBUGGED = """
from lockgate import Pipeline, run_local

pipe = Pipeline("debugged", input={"order_id": str})


@pipe.task()
def inspect_order(order_id: str) -> dict:
    breakpoint()
    return {"seen": order_id}


if __name__ == "__main__":
    result = run_local(pipe, input={"order_id": "A-17"})
    print("RESULT", result.status.value, result.output)
"""


def test_a_breakpoint_in_a_task_stops_in_pdb_on_the_callers_thread(tmp_path: Path) -> None:
    script = tmp_path / "debugged.py"
    script.write_text(textwrap.dedent(DEBUGGED))
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PYTHONBREAKPOINT": "pdb.set_trace", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, str(script)], input="p order_id\nc\n", capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "(Pdb) 'A-17'" in done.stdout
    assert "RESULT succeeded {'inspect_order': {'seen': 'A-17'}}" in done.stdout


# ------------------------------------------------------------------------------------- a terminal asks

ASKED = """
from lockgate import Pipeline, run_local

pipe = Pipeline("asked", input={"name": str})


@pipe.task(review={"approve_complete": True})
def greet(name: str) -> str:
    return f"hello {name}"


pipe.human("sign", greet, title="Sign for {{ input.name }}", fields=[
    {"name": "who", "type": "text", "default": "{{ input.name }}"},
    {"name": "ok", "type": "boolean", "required": True},
])

if __name__ == "__main__":
    result = run_local(pipe, input={"name": "Ada"})
    print("RESULT", result.status.value, result.steps["sign"].output)
"""


def test_with_a_terminal_on_stdin_a_person_is_asked(tmp_path: Path) -> None:
    script = tmp_path / "asked.py"
    script.write_text(ASKED)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    main, terminal = os.openpty()
    try:
        os.write(main, b"maybe\napprove\n\ny\n")  # a wrong word first: asked again
        done = subprocess.run([sys.executable, str(script)], stdin=terminal, capture_output=True, text=True,
                              cwd=tmp_path, env=env, timeout=120, check=False)  # fmt: skip
    finally:
        os.close(terminal)
        os.close(main)
    assert done.returncode == 0, done.stderr
    assert 'output: "hello Ada"' in done.stdout and "answer approve or reject" in done.stdout
    assert "Sign for Ada" in done.stdout and "who (text, Enter for 'Ada')" in done.stdout
    assert "RESULT succeeded {'who': 'Ada', 'ok': True}" in done.stdout
