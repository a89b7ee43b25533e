"""Every pipeline in ``examples/sdk/`` builds the spec of its YAML twin in ``examples/``, read as the server would.

A pipeline with ``task`` nodes has no twin (its definition pins functions by code hash, which only the code
gives): each of those is run here through ``run_local`` instead, to the output it promises.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from tests.openai_server import Reply, chat_server, last_user_text

from lockgate import run_local
from lockgate.compile import compile_pipeline
from lockgate.engine import StepStatus
from lockgate.handlers.code_tasks import CodeTasks
from lockgate.sdk import Answers, Pipeline
from lockgate.sdk.loading import load_pipeline
from lockgate.spec import parse_spec
from lockgate.spec.nodes import TaskNode

if TYPE_CHECKING:
    from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
SDK_EXAMPLES = sorted((ROOT / "examples" / "sdk").glob("*.py"))
YAML_EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
TWINNED = [p for p in SDK_EXAMPLES if (ROOT / "examples" / f"{p.stem}.yaml").is_file()]
CODE_ONLY = [p for p in SDK_EXAMPLES if p not in TWINNED]


def _pipeline(path: Path) -> Pipeline:
    module = importlib.import_module(f"examples.sdk.{path.stem}")
    pipe = module.pipe
    assert isinstance(pipe, Pipeline), f"{path.name} defines `pipe`, a Pipeline"
    return pipe


def test_there_are_sdk_examples() -> None:
    assert len(TWINNED) >= 3
    assert len(CODE_ONLY) >= 3


@pytest.mark.parametrize("path", YAML_EXAMPLES, ids=lambda p: p.stem)
def test_every_yaml_example_has_an_sdk_twin(path: Path) -> None:
    assert (ROOT / "examples" / "sdk" / f"{path.stem}.py").is_file(), f"{path.name} has no twin in examples/sdk/"


@pytest.mark.parametrize("path", CODE_ONLY, ids=lambda p: p.stem)
def test_only_a_pipeline_with_tasks_goes_without_a_yaml_twin(path: Path) -> None:
    spec = _pipeline(path).spec()
    assert any(isinstance(node, TaskNode) for node in spec.nodes), f"{path.name} has no YAML twin"
    compile_pipeline(spec)


@pytest.mark.parametrize("path", TWINNED, ids=lambda p: p.stem)
def test_sdk_example_equals_its_yaml_twin(path: Path) -> None:
    twin = ROOT / "examples" / f"{path.stem}.yaml"
    expected = parse_spec(twin.read_text(encoding="utf-8"), "yaml")  # as POST /api/v1/pipelines reads it
    spec = _pipeline(path).spec()
    assert spec == expected
    assert spec.content_hash() == expected.content_hash(), "the same pipeline version on the server"
    compile_pipeline(spec)


@pytest.mark.parametrize("path", SDK_EXAMPLES, ids=lambda p: p.stem)
def test_sdk_example_as_lockgate_run_reads_it(path: Path) -> None:
    """``lockgate run|apply examples/sdk/X.py``: the YAML's version, and refs ``--tasks examples.sdk.X`` runs."""
    loaded = load_pipeline(path)  # pytest runs in the repository: the file is examples.sdk.<stem>
    assert loaded.attribute == "pipe"
    assert loaded.spec == _pipeline(path).spec()
    if path in TWINNED:
        twin = parse_spec((ROOT / "examples" / f"{path.stem}.yaml").read_text(encoding="utf-8"), "yaml")
        assert loaded.spec.content_hash() == twin.content_hash()


@pytest.mark.parametrize("path", SDK_EXAMPLES, ids=lambda p: p.stem)
def test_sdk_example_yaml_reads_back(path: Path) -> None:
    pipe = _pipeline(path)
    assert parse_spec(pipe.to_yaml(), "yaml") == pipe.spec()


@pytest.mark.parametrize("path", SDK_EXAMPLES, ids=lambda p: p.stem)
def test_sdk_example_is_documented(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if path in TWINNED:
        assert text.startswith(f'"""{path.name} — examples/{path.stem}.yaml in code'), "the docstring names its twin"
    else:
        assert text.startswith(f'"""{path.name} — tasks in code'), "the docstring says it is code only"


# ------------------------------------------------------------------------------------- code-only examples, run


def _module(stem: str) -> ModuleType:
    return importlib.import_module(f"examples.sdk.{stem}")


def test_invoice_pays_small_invoices_and_asks_a_person_about_large_ones() -> None:
    pipe = _module("invoice").pipe
    small = run_local(pipe, input={"order_id": "A-1"})
    assert small.output == {"payment": {"order_id": "A-1", "paid": 42}, "reviewed": "skipped"}, small.errors
    large = run_local(pipe, input={"order_id": "A-2", "total": 900}, answers={"review": {"ok": True}})
    assert large.output == {"payment": {"order_id": "A-2", "paid": 900}, "reviewed": "succeeded"}, large.errors
    refused = run_local(pipe, input={"order_id": "A-3", "total": 900}, answers={"review": {"ok": False}})
    assert refused.succeeded and refused.steps["pay"].status is StepStatus.SKIPPED


def test_word_counts_fans_out_over_a_task() -> None:
    result = run_local(_module("word_counts").pipe, input={"documents": ["one two", "", "three"]})
    assert result.output == {"aggregate": {"documents": 2, "words": 3, "per_document": [2, 1]}}, result.errors
    assert [result.steps[f"count[{i}]"].output["index"] for i in (0, 1)] == [0, 1]  # type: ignore[index,call-overload]


def test_release_note_with_the_agent_stubbed_and_then_answered_by_a_local_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pipe = _module("release_note").pipe
    answers: Answers = {"draft": "approve", "editor": {"title": "Lockgate 0.3"}}

    def note(body: dict[str, Any]) -> Reply:
        assert "code tasks" in last_user_text(body)
        return Reply(text="Tasks arrive.")

    with chat_server(note) as server:  # every agent step's model is checked, stubbed or not
        monkeypatch.setenv("LOCKGATE_MODEL", "local-model")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        stubbed = run_local(pipe, answers=answers, stub={"draft": "A stubbed note."})
        assert server.count == 0
        answered = run_local(pipe, answers=answers)
        assert server.count == 1
    assert stubbed.output == {"publish": {"title": "Lockgate 0.3", "note": "A stubbed note."}}, stubbed.errors
    assert answered.output == {"publish": {"title": "Lockgate 0.3", "note": "Tasks arrive."}}, answered.errors
    waiting = run_local(pipe, answers={"draft": "approve"}, stub={"draft": "A stubbed note."}, prompt=False)
    assert [(w.node_id, w.asks.value) for w in waiting.waiting] == [("editor", "form")]


@pytest.mark.parametrize("path", CODE_ONLY, ids=lambda p: p.stem)
def test_a_worker_given_the_example_module_registers_every_task_of_it(path: Path) -> None:
    tasks = CodeTasks()
    tasks.load([f"examples.sdk.{path.stem}"])  # what `lockgate worker --tasks examples.sdk.<name>` does
    pinned = {n.config.ref: n.config.code_hash for n in _pipeline(path).spec().nodes if isinstance(n, TaskNode)}
    assert dict(tasks.refs) == pinned
    assert all(ref.startswith(f"examples.sdk.{path.stem}:") for ref in pinned)
