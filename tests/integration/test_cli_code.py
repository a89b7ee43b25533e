"""``lockgate run`` / ``validate`` of a pipeline written in Python: as users run them, a subprocess per call."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.helpers import cli
from tests.integration.test_cli import json_tail

ROOT = Path(__file__).resolve().parents[2]
LINEAR = ROOT / "examples" / "sdk" / "linear.py"

TWO = """\
from lockgate import Pipeline

small = Pipeline("small", input={"n": int})
small.transform("double", value="{{ input.n * 2 }}")

large = Pipeline("large")
large.transform("big", value=1000)
"""


def test_run_a_python_file_like_a_yaml_one(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "home"
    inputs = ("-i", "title=Counting", "-i", "text=one two two three three three", "-i", "top=2", "-i", "min_length=1")
    result = cli(home, database_url, "run", str(LINEAR), *inputs, "--json")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "linear v1 succeeded" in result.stdout and "count_words" in result.stdout  # the live table, as for YAML
    assert json_tail(result.stdout)["summarize"]["sentence"] == "Counting: 6 words, most often 'three'."
    report = home / "pipelines" / "linear" / "runs" / "latest" / "report" / "report.md"
    assert "| three | 3 |" in report.read_text()

    yaml_run = cli(home, database_url, "run", str(ROOT / "examples" / "linear.yaml"), "-q")
    assert yaml_run.returncode == 0, yaml_run.stderr
    assert "linear v2 succeeded" in yaml_run.stdout  # the same pipeline: its runs are numbered on


def test_a_file_with_two_pipelines_is_chosen_from_by_name(tmp_path: Path, database_url: str) -> None:
    flow = tmp_path / "flow.py"
    flow.write_text(TWO)
    home = tmp_path / "home"
    unnamed = cli(home, database_url, "run", str(flow), "-q")
    assert unnamed.returncode == 2
    assert "defines 2 pipelines: small ('small'), large ('large')" in unnamed.stderr
    assert not (home / "pipelines").exists()

    chosen = cli(home, database_url, "run", f"{flow}:small", "-i", "n=21", "-q", "--json")
    assert chosen.returncode == 0, chosen.stderr
    assert json_tail(chosen.stdout) == {"double": 42}
    checked = cli(home, database_url, "validate", f"{flow}:large", "--json")
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout) | {"hash": "-"} == {"valid": True, "name": "large", "nodes": 1, "edges": 0,
                                                          "levels": 1, "hash": "-"}  # fmt: skip


def test_a_bad_python_file_exits_2_without_a_traceback_unless_verbose(tmp_path: Path) -> None:
    flow = tmp_path / "flow.py"
    flow.write_text("from lockgate import Pipeline\n\npipe = Pipeline('x')\npipe.noop('a', inputs=undefined_name)\n")
    quiet = cli(tmp_path / "home", None, "validate", str(flow))
    assert quiet.returncode == 2
    assert "(line 4): NameError: name 'undefined_name' is not defined" in quiet.stderr
    assert "Traceback" not in quiet.stderr + quiet.stdout
    verbose = cli(tmp_path / "home", None, "-v", "run", str(flow))
    assert verbose.returncode == 2
    assert "Traceback" in verbose.stderr and f'File "{flow}", line 4' in verbose.stderr

    schema = tmp_path / "schema.py"
    schema.write_text(
        "from lockgate import Pipeline\n\npipe = Pipeline('s')\npipe.script('step', code='x', memory_mb=1)\n"
    )
    refused = cli(tmp_path / "home", None, "validate", str(schema), "--json")
    assert refused.returncode == 2
    [error] = json.loads(refused.stdout)["errors"]
    assert (error["node_id"], error["field"]) == ("step", "config.memory_mb")

    missing = cli(tmp_path / "home", None, "run", str(tmp_path / "nowhere.yaml"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_run_a_python_file_runs_its_code_tasks_in_this_process(tmp_path: Path, database_url: str) -> None:
    """``lockgate run invoice.py`` needs no --tasks: the file's own functions are what its task nodes pin."""
    invoice = ROOT / "examples" / "sdk" / "invoice.py"
    home = tmp_path / "home"
    result = cli(home, database_url, "run", str(invoice), "-i", "order_id=A-9", "-q", "--json")
    assert result.returncode == 0, result.stderr + result.stdout
    assert json_tail(result.stdout)["payment"] == {"order_id": "A-9", "paid": 42}
