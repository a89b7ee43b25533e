"""Every pipeline in ``examples/`` is valid and runs to the output it promises, through the real CLI.

New example files are picked up by the glob; one without an entry in ``EXPECTED`` fails, so an
example cannot be added without saying what it produces.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import JsonValue
from tests.local_http import serving
from tests.openai_server import Reply, ToolCall, chat_server, last_user_text

from lockgate.compile import compile_pipeline
from lockgate.spec import load_spec

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
HTTP_DATA = EXAMPLES / "http_data"
RUN_TIMEOUT = 90


@dataclass(frozen=True, slots=True)
class Case:
    """One run of an example: its ``-i`` inputs (``{base_url}`` is the local server) and what it gives."""

    name: str
    output: JsonValue
    inputs: tuple[str, ...] = ()
    artifacts: dict[str, str] = field(default_factory=dict)  # path under the run folder -> text it contains
    http: bool = False
    waits_for: str | None = None  # the step whose human task the run stops at (exit 3), instead of succeeding
    llm: Callable[[dict[str, Any]], Reply] | None = None  # the model: a local OpenAI-compatible server answers so
    first: tuple[str, ...] = ()  # examples run before it in the same home (the pipelines it calls)


def release_note_writer(body: dict[str, Any]) -> Reply:
    """The model of agent_review: it reads the notes put into the prompt and answers in the schema."""
    prompt = last_user_text(body)
    title = next(line[2:] for line in prompt.splitlines() if line.startswith("# "))
    changes = [line[2:] for line in prompt.splitlines() if line.startswith("- ")]
    answer = {"title": title, "summary": f"{len(changes)} changes: {', '.join(changes)}"}
    return Reply(tool_calls=(ToolCall("final_result", answer),))


BRANCH_STATUSES = ("approve", "review", "second_look", "reject", "alert")


def _statuses(succeeded: set[str]) -> dict[str, JsonValue]:
    return {node: "succeeded" if node in succeeded else "skipped" for node in BRANCH_STATUSES}


EXPECTED: dict[str, list[Case]] = {
    "calls_another": [
        Case("defaults", {"headline": "WORDS OF THE DAY: 6 WORDS, MOST OFTEN 'DURABLE'."}, first=("linear",)),
        Case(
            "a text",
            {"headline": "WORDS OF THE DAY: 3 WORDS, MOST OFTEN 'SHIP'."},
            ("text=Ship it, ship it, ship it now",),
            first=("linear",),
        ),
    ],
    "linear": [
        Case(
            "defaults",
            {
                "summarize": {
                    "title": "Release notes",
                    "words": 18,
                    "distinct": 16,
                    "top_word": "steps",
                    "report": "report.md",
                    "sentence": "Release notes: 18 words, most often 'steps'.",
                }
            },
            artifacts={"report/report.md": "# Release notes\n\n3 lines, 18 words, 16 distinct.\n\n"},
        ),
        Case(
            "inputs",
            {
                "summarize": {
                    "title": "Counting",
                    "words": 6,
                    "distinct": 3,
                    "top_word": "three",
                    "report": "report.md",
                    "sentence": "Counting: 6 words, most often 'three'.",
                }
            },
            inputs=("title=Counting", "text=one two two three three three", "top=2", "min_length=1"),
            artifacts={"report/report.md": "| three | 3 |\n| two | 2 |\n"},
        ),
    ],
    "fan_out": [
        Case(
            "defaults",
            {
                "documents": 5,
                "words": 32,
                "per_document": [9, 4, 10, 5, 4],
                "largest_document": 2,
                "headline": "32 words in 5 documents",
            },
        ),
        Case(
            "inputs",
            {
                "documents": 3,
                "words": 6,
                "per_document": [3, 2, 1],
                "largest_document": 0,
                "headline": "6 words in 3 documents",
            },
            inputs=('documents=["a b c", "d e", "f"]',),
        ),
    ],
    "branching": [
        Case(
            "high",
            {"record": {"decision": "approved", "branch": "high", "alert": None, "statuses": _statuses({"approve"})}},
            inputs=("score=90",),
        ),
        Case(
            "medium",
            {
                "record": {
                    "decision": "needs review (second look done)",
                    "branch": "medium",
                    "alert": None,
                    "statuses": _statuses({"review", "second_look"}),
                }
            },
            inputs=("score=60",),
        ),
        Case(
            "low_with_alert",
            {
                "record": {
                    "decision": "rejected",
                    "branch": "low",
                    "alert": "score 10 is below 20",
                    "statuses": _statuses({"reject", "alert"}),
                }
            },
            inputs=("score=10",),
        ),
    ],
    "retries": [
        Case(
            "error_branch",
            {
                "summary": {
                    "outage": {"status": "failed", "attempts": 3, "error_kind": "script_retry"},
                    "parsed": None,
                    "fallback": {"used_fallback": True, "error_kind": "script_exit"},
                }
            },
        ),
        Case(
            "parsed",
            {
                "summary": {
                    "outage": {"status": "failed", "attempts": 3, "error_kind": "script_retry"},
                    "parsed": 42,
                    "fallback": None,
                }
            },
            inputs=('payload={"value": 41}',),
        ),
    ],
    "editorial": [
        Case(
            "stops_for_the_review",
            None,
            inputs=("topic=checkpoints",),
            artifacts={"prepare/notes.md": "# Notes on checkpoints for engineers", "draft/draft.md": "# Checkpoints"},
            waits_for="draft",
        ),
    ],
    "agent_review": [
        Case(
            "local_model_server",
            None,  # the draft waits for an editor (tests/integration/api/test_agent_review.py answers it)
            artifacts={"prepare/notes.md": "- budgets\n"},
            waits_for="draft",
            llm=release_note_writer,
        ),
    ],
    "http_and_wait": [
        Case(
            "local_server",
            {
                "restock": {
                    "service": "inventory",
                    "http_status": 200,
                    "skus": 4,
                    "out_of_stock": ["B-200", "D-400"],
                    "waited": "succeeded",
                }
            },
            inputs=("url={base_url}/inventory.json",),
            http=True,
        ),
    ],
}


def _example_files() -> list[Path]:
    return sorted(EXAMPLES.glob("*.yaml"))


def _run_params() -> list[Any]:
    params = []
    for path in _example_files():
        cases = EXPECTED.get(path.stem)
        if not cases:  # still collected, so that the test says what is missing
            params.append(pytest.param(path, None, id=f"{path.stem}-no-expectation"))
            continue
        params.extend(pytest.param(path, case, id=f"{path.stem}-{case.name}") for case in cases)
    return params


# ------------------------------------------------------------------------------------------ the local server


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """``examples/http_data`` served on a free loopback port, as the example's header tells people to do."""
    with serving(partial(_QuietHandler, directory=str(HTTP_DATA)), "examples-http") as url:
        yield url


# ------------------------------------------------------------------------------------------------- tests


def _lockgate() -> str:
    beside = Path(sys.executable).parent / "lockgate"
    found = str(beside) if beside.exists() else shutil.which("lockgate")
    assert found, "the lockgate console script is not installed (uv sync)"
    return found


def _output_json(stdout: str) -> JsonValue:
    """The run's output: the JSON document after the title and summary lines."""
    lines = stdout.splitlines()
    for index, line in enumerate(lines):
        if line[:1] in "{[":
            try:
                value: JsonValue = json.loads("\n".join(lines[index:]))
            except ValueError:
                continue
            return value
    raise AssertionError(f"no JSON output in:\n{stdout}")


def test_examples_exist() -> None:
    assert len(_example_files()) >= 5


def test_every_expectation_has_an_example() -> None:
    stems = {path.stem for path in _example_files()}
    assert set(EXPECTED) <= stems, f"expectations for missing examples: {sorted(set(EXPECTED) - stems)}"


@pytest.mark.parametrize("path", _example_files(), ids=lambda p: p.stem)
def test_example_is_valid_and_documented(path: Path) -> None:
    plan = compile_pipeline(load_spec(path))
    assert plan.name == path.stem, "the pipeline is named like its file"
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"# {path.name}"), "an example opens with a comment naming it"
    assert f"lockgate run examples/{path.name}" in text, "the header says how to run it"


@pytest.mark.parametrize(("path", "case"), _run_params())
def test_example_runs(path: Path, case: Case | None, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if case is None:
        pytest.fail(f"{path.name} has no entry in EXPECTED of {Path(__file__).name}: say what it outputs")
    inputs = list(case.inputs)
    if case.http:
        url: str = request.getfixturevalue("base_url")
        inputs = [value.replace("{base_url}", url) for value in inputs]
    home = tmp_path / "home"
    args = [_lockgate(), "--home", str(home), "run", str(path), "-q", "--json"]
    for value in inputs:
        args += ["-i", value]
    skip = {"DATABASE_URL", "LOCKGATE_DATABASE_URL", "LOCKGATE_HOME", "LOCKGATE_MODEL", "OPENAI_BASE_URL",
            "OPENAI_API_KEY"}  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env["LOCKGATE_ALLOW_UNCONFINED_SCRIPTS"] = "true"  # bubblewrap where it works; the examples run anywhere
    for name in case.first:  # stored by running it: what this example calls must exist
        before = [_lockgate(), "--home", str(home), "run", str(EXAMPLES / f"{name}.yaml"), "-q"]
        ran = subprocess.run(before, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                             check=False)  # fmt: skip
        assert ran.returncode == 0, f"{name} first: {ran.stdout}{ran.stderr}"
    with contextlib.ExitStack() as stack:
        if case.llm is not None:  # as the example's header says: the server and model from the environment
            llm = stack.enter_context(chat_server(case.llm))
            env.update({"OPENAI_BASE_URL": llm.base_url, "LOCKGATE_MODEL": "local-model"})
        proc = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                              check=False)  # fmt: skip
    if case.waits_for is not None:  # people answer through the server; the run stops here, resumable
        assert proc.returncode == 3, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        assert f"{path.stem} v1 waits for a person" in proc.stdout and f"  {case.waits_for}: " in proc.stdout
    else:
        assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        assert f"{path.stem} v1 succeeded" in proc.stdout
        assert _output_json(proc.stdout) == case.output
    run_dir = home / "pipelines" / path.stem / "runs" / "v1"
    for relative, expected in case.artifacts.items():
        artifact = run_dir / relative
        assert artifact.is_file(), f"no artifact {relative}; the run folder holds {sorted(run_dir.rglob('*'))}"
        assert expected in artifact.read_text(encoding="utf-8")
