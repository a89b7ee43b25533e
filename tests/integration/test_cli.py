"""``lockgate`` as users run it: a subprocess, exit codes, what it prints; SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.helpers import FAILING, cli, write_pipeline
from typer.testing import CliRunner, Result

from lockgate.cli.main import app
from lockgate.store.database import Database
from lockgate.store.migrate import head_revision

if TYPE_CHECKING:
    from pathlib import Path

PIPELINE: dict[str, Any] = {
    "name": "squares",
    "input": {"n": {"type": "integer", "required": True}, "label": {"type": "string", "default": "sq"}},
    "nodes": [
        {"id": "make", "kind": "script", "inputs": {"n": "{{ input.n }}"},
         "config": {"code": "output = list(range(n))"}},
        {"id": "square", "kind": "script", "for_each": "{{ nodes.make.output }}", "max_parallel": 2,
         "inputs": {"x": "{{ item }}"}, "config": {"code": "print('working'); output = x * x"}},
        {"id": "total", "kind": "transform",
         "config": {"value": {"label": "{{ input.label }}", "sum": "{{ nodes.square.output | sum }}"}}},
    ],
    "edges": [{"source": "make", "target": "square"}, {"source": "square", "target": "total"}],
}  # fmt: skip

# Schema problems (pydantic) in three nodes at once.
INVALID_FIELDS: dict[str, Any] = {
    "name": "broken",
    "nodes": [
        {"id": "first", "kind": "script", "config": {}},
        {"id": "second", "kind": "script", "config": {"code": "output = 1", "memory_mb": 1}},
        {"id": "third", "kind": "transform", "config": {"value": 1}, "timeout": "forever"},
    ],
}

# Graph and reference problems (the compiler) at once.
INVALID_REFERENCES: dict[str, Any] = {
    "name": "tangled",
    "nodes": [
        {"id": "first", "kind": "script", "config": {"code": "output = 1"}},
        {"id": "second", "kind": "script", "inputs": {"x": "{{ nodes.ghost.output }}"},
         "config": {"code": "output = 1"}},
        {"id": "third", "kind": "transform", "config": {"value": "{{ nodes.fourth.output }}"}},
        {"id": "fourth", "kind": "noop"},
    ],
    "edges": [
        {"source": "first", "target": "second"},
        {"source": "second", "target": "nowhere"},
        {"source": "second", "target": "third"},
        {"source": "third", "target": "fourth"},
    ],
}  # fmt: skip

# One problem of each kind (schema, graph, references, templates, start): one pass reports them all.
EVERYTHING_WRONG: dict[str, Any] = {
    "name": "everything-wrong",
    "input": {"topic": {"type": "string"}},
    "nodes": [
        {"id": "a", "kind": "noop"},
        {"id": "b", "kind": "noop", "inputs": {"x": "{{ nodes.ghost.output }}"}},
        {"id": "c", "kind": "noop", "inputs": {"t": "{{ input.tpoic }}"}},
        {"id": "broken", "kind": "noop", "retry": {"max_attempts": 0}},
        {"id": "d", "kind": "transform", "config": {"value": "{{ nodes.broken.output | shout }}"}},
        {"id": "lonely", "kind": "noop"},
    ],
    "edges": [
        {"source": "a", "target": "b"}, {"source": "b", "target": "c"}, {"source": "c", "target": "b"},
        {"source": "a", "target": "nowhere"}, {"source": "a", "target": "broken"}, {"source": "broken", "target": "d"},
    ],
}  # fmt: skip
EVERYTHING_WRONG_WHERE = [
    ("broken", "retry.max_attempts"), (None, "edges[3].target"), ("b", "edges"), ("lonely", "start"),
    ("d", "config.value"), ("b", "inputs.x"), ("c", "inputs.t"),
]  # fmt: skip


def json_tail(stdout: str) -> Any:
    """The JSON document ``--json`` prints at the end (after the human summary)."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(("{", "[", "null", '"')) or line.isdigit())
    return json.loads("\n".join(lines[start:]))


def test_run_succeeds_and_prints_the_output_as_json(tmp_path: Path, database_url: str) -> None:
    file = write_pipeline(tmp_path, PIPELINE)
    home = tmp_path / "home"
    result = cli(home, database_url, "run", str(file), "-i", "n=4", "-q", "--json")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "squares v1 succeeded" in result.stdout
    assert json_tail(result.stdout) == {"total": {"label": "sq", "sum": 0 + 1 + 4 + 9}}
    assert (home / "pipelines" / "squares" / "runs" / "latest").resolve().name == "v1"

    again = cli(home, database_url, "run", str(file), "--input", "n=3", "--input", "label=again", "--json", "-q")
    assert again.returncode == 0, again.stderr
    assert "squares v2 succeeded" in again.stdout
    assert json_tail(again.stdout) == {"total": {"label": "again", "sum": 5}}


def test_run_with_live_progress_and_an_input_file(tmp_path: Path, database_url: str) -> None:
    file = write_pipeline(tmp_path, PIPELINE)
    inputs = tmp_path / "input.yaml"
    inputs.write_text("n: 3\nlabel: from-file\n")
    result = cli(tmp_path / "home", database_url, "run", str(file), "--input-file", str(inputs), "--json")
    assert result.returncode == 0, result.stderr
    assert "square" in result.stdout and "succeeded" in result.stdout
    assert json_tail(result.stdout) == {"total": {"label": "from-file", "sum": 5}}


def test_run_without_a_database_url_keeps_sqlite_under_home(tmp_path: Path) -> None:
    file = write_pipeline(tmp_path, PIPELINE)
    home = tmp_path / "home"
    result = cli(home, None, "run", str(file), "-i", "n=2", "-q")
    assert result.returncode == 0, result.stderr
    assert (home / "lockgate.db").is_file()
    listed = cli(home, None, "runs", "list", "--json")
    summary = [(r["pipeline"], r["number"], r["status"]) for r in json.loads(listed.stdout)]
    assert summary == [("squares", 1, "succeeded")]


def test_a_failing_pipeline_exits_1_and_says_why(tmp_path: Path, database_url: str) -> None:
    file = write_pipeline(tmp_path, FAILING)
    result = cli(tmp_path / "home", database_url, "run", str(file), "-q")
    assert result.returncode == 1, result.stderr + result.stdout
    assert "doomed v1 failed" in result.stdout
    assert "no luck today" in result.stderr


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        pytest.param(INVALID_FIELDS, ["first.config", "second.config.memory_mb", "third.timeout"], id="fields"),
        pytest.param(
            INVALID_REFERENCES,
            ["edges[1].target", "nowhere", "second.inputs.x", "ghost", "third.config.value", "fourth"],
            id="references",
        ),
    ],
)
def test_an_invalid_definition_exits_2_listing_every_problem(
    tmp_path: Path, definition: dict[str, Any], expected: list[str]
) -> None:
    file = write_pipeline(tmp_path, definition)
    home = tmp_path / "home"
    for command in ("run", "validate"):
        result = cli(home, None, command, str(file))
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "3 definition problem(s)" in result.stderr
        for fragment in expected:
            assert fragment in result.stderr, (command, fragment, result.stderr)
        assert "Traceback" not in result.stderr
    assert not (home / "lockgate.db").exists()  # refused before anything was stored


def test_validate_prints_every_kind_of_problem_at_once(tmp_path: Path) -> None:
    result = cli(tmp_path / "home", None, "validate", str(write_pipeline(tmp_path, EVERYTHING_WRONG)))

    assert result.returncode == 2, result.stdout
    assert f"{len(EVERYTHING_WRONG_WHERE)} definition problem(s)" in result.stderr
    for node_id, field in EVERYTHING_WRONG_WHERE:
        assert ".".join(p for p in (node_id, field) if p) + ":" in result.stderr, (node_id, field, result.stderr)
    for message in ("cycle: b → c → b", "'nowhere' is not a node", "unknown node 'ghost'", "'tpoic'", "'shout'"):
        assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_required_input_exits_2_naming_the_field(tmp_path: Path, database_url: str) -> None:
    file = write_pipeline(tmp_path, PIPELINE)
    missing = cli(tmp_path / "home", database_url, "run", str(file), "-q")
    assert missing.returncode == 2
    assert "input.n: required" in missing.stderr
    wrong = cli(tmp_path / "home", database_url, "run", str(file), "-i", "n=three", "-i", "colour=red", "-q")
    assert wrong.returncode == 2
    assert "input.n: expected integer, got str" in wrong.stderr
    assert "input.colour: not a declared input field" in wrong.stderr
    listed = cli(tmp_path / "home", database_url, "runs", "list", "--json")
    assert json.loads(listed.stdout) == []  # nothing was started


def test_validate_accepts_a_good_definition(tmp_path: Path) -> None:
    file = write_pipeline(tmp_path, PIPELINE)
    result = cli(tmp_path / "home", None, "validate", str(file))
    assert result.returncode == 0, result.stderr
    assert "squares: 3 nodes, 2 edges" in result.stdout


def test_runs_list_and_show_describe_the_run(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "home"
    ok = cli(home, database_url, "run", str(write_pipeline(tmp_path, PIPELINE)), "-i", "n=3", "-q")
    failed = cli(home, database_url, "run", str(write_pipeline(tmp_path, FAILING, "failing.yaml")), "-q")
    assert (ok.returncode, failed.returncode) == (0, 1)

    listed = json.loads(cli(home, database_url, "runs", "list", "--json").stdout)
    summary = sorted((r["pipeline"], r["number"], r["status"]) for r in listed)
    assert summary == [("doomed", 1, "failed"), ("squares", 1, "succeeded")]
    squares_id = next(r["id"] for r in listed if r["pipeline"] == "squares")

    by_id = cli(home, database_url, "runs", "show", squares_id, "--json")  # by id here, by pipeline/vN below
    assert by_id.returncode == 0, by_id.stderr
    shown = json.loads(by_id.stdout)
    assert (shown["id"], shown["status"], shown["input"]) == (squares_id, "succeeded", {"n": 3, "label": "sq"})
    assert shown["output"] == {"total": {"label": "sq", "sum": 5}}
    step_outputs = {s["key"]: (s["status"], s["output"]) for s in shown["steps"]}
    assert step_outputs == {
        "make": ("succeeded", [0, 1, 2]),
        "square": ("succeeded", [0, 1, 4]),
        "square[0]": ("succeeded", 0),
        "square[1]": ("succeeded", 1),
        "square[2]": ("succeeded", 4),
        "total": ("succeeded", {"label": "sq", "sum": 5}),
    }
    scripted = {a["step_key"]: (a["number"], a["status"]) for a in shown["attempts"]}
    assert {k: v for k, v in scripted.items() if k != "total"} == {
        "make": (1, "succeeded"), "square[0]": (1, "succeeded"), "square[1]": (1, "succeeded"),
        "square[2]": (1, "succeeded"),
    }  # fmt: skip

    doomed = json.loads(cli(home, database_url, "runs", "show", "doomed/v1", "--json").stdout)
    assert (doomed["pipeline"], doomed["number"], doomed["status"]) == ("doomed", 1, "failed")
    boom = next(a for a in doomed["attempts"] if a["step_key"] == "boom")
    assert boom["status"] == "failed" and "no luck today" in boom["error"]["message"]


TOLERANT: dict[str, Any] = {
    "name": "tolerant",
    "nodes": [
        {"id": "parse", "kind": "script", "on_error": "continue", "config": {"code": "raise ValueError('no')"}},
        {"id": "enrich", "kind": "script", "on_error": "continue", "config": {"code": "raise ValueError('no')"}},
        {"id": "done", "kind": "noop"},
    ],
    "edges": [{"source": "parse", "target": "done"}, {"source": "enrich", "target": "done"}],
}


def test_runs_list_says_how_many_steps_failed_in_a_run_that_succeeded(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "home"
    assert cli(home, database_url, "run", str(write_pipeline(tmp_path, TOLERANT)), "-q").returncode == 0
    listed = json.loads(cli(home, database_url, "runs", "list", "--json").stdout)
    assert [(r["status"], r["failed_steps"]) for r in listed] == [("succeeded", 2)]
    table = cli(home, database_url, "runs", "list").stdout
    assert "succeeded, 2 steps failed" in table


def test_db_upgrade_prints_the_head_revision(tmp_path: Path, database_url: str) -> None:
    db = Database(database_url)
    try:
        head = head_revision(db)
    finally:
        db.dispose()
    assert head is not None
    for _ in range(2):  # idempotent
        result = cli(tmp_path / "home", database_url, "db", "upgrade")
        assert result.returncode == 0, result.stderr
        assert f"database at revision {head}" in result.stdout


TYPOS = """\
name: typos
nodes:
  - id: fetch
    kind: scirpt
    config: {code: "output = 1"}
  - id: shape
    kind: transform
    inpts: {x: "{{ nodes.fetch.output }}"}
    config: {value: 1}
  - id: "[a-z]"
    kind: noop
edges:
  - {source: fetch, target: shape}
"""


def test_definition_problems_are_said_in_the_pipelines_words_with_file_and_line(tmp_path: Path) -> None:
    file = tmp_path / "typos.yaml"
    file.write_text(TYPOS)
    result = cli(tmp_path / "home", None, "validate", str(file))
    assert result.returncode == 2, result.stdout
    said = " ".join(result.stderr.split())  # the console wraps long lines
    assert f"{file}:4: fetch.kind: unknown kind 'scirpt': did you mean `script`?" in said
    assert f"{file}:8: shape.inpts: unknown field 'inpts': did you mean `inputs`?" in said
    # brackets are printed as written (Rich markup once swallowed them), the pattern said in words
    assert f"{file}:10: [a-z].id: must be lowercase letters, digits, - and _, starting with a letter" in said
    for pydantic_words in ("Unable to extract tag", "Extra inputs are not permitted", "should match pattern"):
        assert pydantic_words not in said

    as_json = json.loads(cli(tmp_path / "home", None, "validate", str(file), "--json").stdout)
    lines = {(e["node_id"], e["field"]): e["line"] for e in as_json["errors"]}
    assert lines[("fetch", "kind")] == 4 and lines[("shape", "inpts")] == 8


NOOPS: dict[str, Any] = {"name": "noops", "nodes": [{"id": "only", "kind": "noop"}]}


def test_runs_take_the_short_ids_they_list_and_refuse_an_ambiguous_one(tmp_path: Path, database_url: str) -> None:
    home, file = tmp_path / "home", write_pipeline(tmp_path, NOOPS)
    for _ in range(2):
        assert cli(home, database_url, "run", str(file), "-q").returncode == 0
    runner = CliRunner()  # in-process: the reading commands need no fresh process each

    def lockgate(*args: str) -> Result:
        argv = ["--home", str(home), "--database-url", database_url, *args]
        return runner.invoke(app, argv, env={"COLUMNS": "120", "NO_COLOR": "1"})

    ids = [r["id"] for r in json.loads(lockgate("runs", "list", "--json").stdout)]
    table = lockgate("runs", "list").stdout
    shown = [line.split()[-1] for line in table.splitlines()[1:]]
    assert len(shown) == 2 and all(len(s) < len(ids[0]) for s in shown), table
    assert {next(i for i in ids if i.startswith(s)) for s in shown} == set(ids)  # each names one run

    by_short = lockgate("runs", "show", shown[0], "--json")
    assert by_short.exit_code == 0, by_short.output
    assert json.loads(by_short.stdout)["id"].startswith(shown[0])

    common = ids[0][:4]  # ids begin with their time (48 bits of ms): ids made together share it
    assert ids[1].startswith(common)
    ambiguous = lockgate("runs", "show", common)
    said = " ".join(ambiguous.stderr.split())
    assert ambiguous.exit_code == 1 and "ambiguous_id" in said and all(i in said for i in ids), said
    assert isinstance(ambiguous.exception, SystemExit)  # an exit, not a crash
