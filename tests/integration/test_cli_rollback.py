"""``lockgate rollback``, ``runs rollbacks``, ``runs latest`` and ``artifacts`` as users run them (both databases)."""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING, Any

from tests.integration.helpers import FAILING, LOCKGATE, cli, cli_env, select_rows, write_pipeline

from lockgate.store.tables import rollbacks

if TYPE_CHECKING:
    from pathlib import Path

# Each attempt writes a file naming itself, so what was archived and what replaced it can be told apart.
PIPELINE: dict[str, Any] = {
    "name": "roll",
    "nodes": [
        {"id": "a", "kind": "script", "config": {"code": (
            "import os\nn = os.environ['LOCKGATE_ATTEMPT']\nopen('a.txt', 'w').write('a' + n)\noutput = 'a' + n")}},
        {"id": "b", "kind": "script", "config": {"code": (
            "import os\nn = os.environ['LOCKGATE_ATTEMPT']\nopen('b.txt', 'w').write('b' + n)\noutput = 'b' + n")}},
        {"id": "c", "kind": "transform", "config": {"value": "{{ nodes.b.output }}!"}},
    ],
    "edges": [{"source": "a", "target": "b"}, {"source": "b", "target": "c"}],
}  # fmt: skip


def _json(stdout: str) -> Any:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(("{", "[")))
    return json.loads("\n".join(lines[start:]))


def test_rollback_archives_the_node_and_downstream_and_runs_again(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "home"
    file = write_pipeline(tmp_path, PIPELINE)
    assert cli(home, database_url, "run", str(file), "-q").returncode == 0
    runs = home / "pipelines" / "roll" / "runs"
    assert (runs / "v1" / "b" / "b.txt").read_text() == "b1"

    done = cli(home, database_url, "rollback", "roll/v1", "--to", "b", "--reason", "b again", "-q", "--json")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "rolled back roll/v1 to b" in done.stdout and "reset b, c" in done.stdout
    assert "roll v1 succeeded" in done.stdout
    assert _json(done.stdout) == {"c": "b2!"}  # b ran again as attempt 2; c after it
    assert (runs / "v1" / "b" / "b.txt").read_text() == "b2"
    assert (runs / "v1" / "a" / "a.txt").read_text() == "a1"  # upstream untouched

    listed = cli(home, database_url, "runs", "rollbacks", "roll/v1", "--json")
    assert listed.returncode == 0, listed.stderr
    [record] = json.loads(listed.stdout)
    assert (record["kind"], record["run"], record["node"], record["reason"]) == ("run", "roll/v1", "b", "b again")
    assert record["by"].startswith("cli")
    assert {s["key"]: (s["status"], s["output"]) for s in record["steps"]} == {
        "b": ("succeeded", "b1"), "c": ("succeeded", "b1!")}  # fmt: skip
    [moved] = record["artifacts"]
    assert (moved["step_key"], moved["name"], moved["attempt"]) == ("b", "b.txt", 1)
    assert (home / "pipelines" / "roll" / moved["moved_to"]).read_text() == "b1"  # kept, not deleted
    assert (home / "pipelines" / "roll" / record["folder"] / "rollback.json").is_file()

    shown = cli(home, database_url, "runs", "rollbacks", "roll/v1")
    assert "roll/v1 back to b" in shown.stdout and "b.txt (attempt 1)" in shown.stdout and '"b1"' in shown.stdout
    history = json.loads(cli(home, database_url, "runs", "show", "roll/v1", "--json").stdout)
    b_attempts = sorted((a["number"], a["status"]) for a in history["attempts"] if a["step_key"] == "b")
    assert b_attempts == [(1, "succeeded"), (2, "succeeded")]


def test_rollback_refusals_change_nothing(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "home"
    assert cli(home, database_url, "run", str(write_pipeline(tmp_path, PIPELINE)), "-q").returncode == 0
    assert cli(home, database_url, "run", str(write_pipeline(tmp_path, FAILING, "f.yaml")), "-q").returncode == 1

    unknown_node = cli(home, database_url, "rollback", "roll/v1", "--to", "zz")
    assert unknown_node.returncode == 2
    assert "--to: 'zz' is not a node of roll (its nodes: a, b, c)" in unknown_node.stderr
    unknown_run = cli(home, database_url, "rollback", "roll/v7", "--to", "a")
    assert unknown_run.returncode == 1 and "not_found" in unknown_run.stderr
    never_ran = cli(home, database_url, "rollback", "doomed/v1", "--to", "never")
    assert never_ran.returncode == 1
    assert "conflict" in never_ran.stderr and "'never' has not run" in never_ran.stderr
    assert "Traceback" not in unknown_node.stderr + unknown_run.stderr + never_ran.stderr
    assert select_rows(database_url, rollbacks) == []
    assert json.loads(cli(home, database_url, "runs", "show", "doomed/v1", "--json").stdout)["status"] == "failed"
    both = cli(home, database_url, "runs", "rollbacks", "roll/v1", "--pipeline", "roll")
    assert both.returncode == 2 and "one of them" in both.stderr


def test_rollback_of_a_failed_run_reopens_it(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "home"
    assert cli(home, database_url, "run", str(write_pipeline(tmp_path, FAILING)), "-q").returncode == 1
    again = cli(home, database_url, "rollback", "doomed/v1", "--to", "boom", "-q")
    assert again.returncode == 1, again.stdout  # it fails again, and says so like run does
    assert "rolled back doomed/v1 to boom" in again.stdout and "doomed v1 failed" in again.stdout
    assert "no luck today" in again.stderr
    [record] = json.loads(cli(home, database_url, "runs", "rollbacks", "doomed/v1", "--json").stdout)
    assert [(s["key"], s["status"]) for s in record["steps"]] == [("boom", "failed")]


def test_runs_latest_shows_and_points_back(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "home"
    file = write_pipeline(tmp_path, PIPELINE)
    for _ in range(2):
        assert cli(home, database_url, "run", str(file), "-q").returncode == 0
    link = home / "pipelines" / "roll" / "runs" / "latest"
    shown = cli(home, database_url, "runs", "latest", "roll", "--json")
    assert json.loads(shown.stdout) == {"pipeline": "roll", "latest": 2, "link": "v2", "succeeded": [1, 2]}
    assert "roll: latest → v2" in cli(home, database_url, "runs", "latest", "roll").stdout

    back = cli(home, database_url, "runs", "latest", "roll", "v1", "--reason", "v2 was wrong", "--json")
    assert back.returncode == 0, back.stderr
    record = json.loads(back.stdout)
    assert (record["kind"], record["run"], record["previous_latest"], record["reason"]) == (
        "latest", "roll/v1", 2, "v2 was wrong")  # fmt: skip
    assert link.readlink().name == "v1"
    assert json.loads(cli(home, database_url, "runs", "latest", "roll", "--json").stdout)["latest"] == 1
    history = json.loads(cli(home, database_url, "runs", "rollbacks", "--pipeline", "roll", "--json").stdout)
    assert [(r["kind"], r["run"]) for r in history] == [("latest", "roll/v1")]

    assert cli(home, database_url, "run", str(write_pipeline(tmp_path, FAILING, "f.yaml")), "-q").returncode == 1
    failed = cli(home, database_url, "runs", "latest", "doomed", "v1")
    assert failed.returncode == 1 and "succeeded run only" in failed.stderr
    other = cli(home, database_url, "runs", "latest", "roll", "doomed/v1")
    assert other.returncode == 2 and "is a run of doomed, not of roll" in other.stderr
    missing = cli(home, database_url, "runs", "latest", "nothing")
    assert missing.returncode == 1 and "not_found" in missing.stderr
    assert link.readlink().name == "v1"  # none of the refusals moved it


WRITER: dict[str, Any] = {
    "name": "writer",
    "nodes": [{"id": "w", "kind": "script", "config": {"code": (
        "import json, os\nn = int(os.environ['LOCKGATE_ATTEMPT'])\n"
        "open('out.txt', 'w').write(f'line one\\nattempt {n}\\n')\n"
        "json.dump({'attempt': n, 'same': True}, open('out.json', 'w'))\n"
        "open('raw.bin', 'wb').write(bytes([0, 255, n]))\noutput = n")}}],
}  # fmt: skip


def test_artifacts_list_get_and_diff_across_attempts(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "home"
    assert cli(home, database_url, "run", str(write_pipeline(tmp_path, WRITER)), "-q").returncode == 0
    assert cli(home, database_url, "rollback", "writer/v1", "--to", "w", "-q").returncode == 0
    listed = json.loads(cli(home, database_url, "artifacts", "list", "writer/v1", "--json").stdout)
    ids = {(a["name"], a["attempt"], a["archived"]): a["id"] for a in listed}
    assert set(ids) == {(name, n, n == 1) for name in ("out.txt", "out.json", "raw.bin") for n in (1, 2)}
    archived = json.loads(cli(home, database_url, "artifacts", "list", "writer/v1", "--archived", "--json").stdout)
    assert {a["attempt"] for a in archived} == {1}
    table = cli(home, database_url, "artifacts", "list", "writer/v1", "--step", "w", "--attempt", "2")
    shown = [line.split()[-1] for line in table.stdout.splitlines()[1:] if line.strip()]  # short ids, as git's
    assert any(ids[("out.txt", 2, False)].startswith(s) for s in shown), table.stdout
    assert not any(ids[("out.txt", 1, True)].startswith(s) for s in shown), table.stdout

    old_raw = ids[("raw.bin", 1, True)]
    argv = [LOCKGATE, "--home", str(home), "--database-url", database_url, "artifacts", "get", old_raw]
    raw = subprocess.run(argv, capture_output=True, env=cli_env(), check=False, timeout=60)
    assert raw.returncode == 0 and raw.stdout == bytes([0, 255, 1])  # the archived file, byte for byte
    saved = tmp_path / "copy.txt"
    assert cli(home, database_url, "artifacts", "get", ids[("out.txt", 2, False)], "-o", str(saved)).returncode == 0
    assert saved.read_text() == "line one\nattempt 2\n"

    text = cli(home, database_url, "artifacts", "diff", ids[("out.txt", 1, True)], ids[("out.txt", 2, False)])
    assert text.returncode == 1  # they differ, as diff(1) says
    assert "-attempt 1" in text.stdout and "+attempt 2" in text.stdout and " line one" in text.stdout
    data = cli(home, database_url, "artifacts", "diff", ids[("out.json", 1, True)], ids[("out.json", 2, False)],
               "--json")  # fmt: skip
    compared = json.loads(data.stdout)
    assert compared["identical"] is False
    assert compared["json_changes"] == [{"path": "$.attempt", "op": "changed", "left": 1, "right": 2}]
    same = cli(home, database_url, "artifacts", "diff", ids[("out.txt", 2, False)], ids[("out.txt", 2, False)])
    assert same.returncode == 0 and "identical" in same.stdout
    binary = cli(home, database_url, "artifacts", "diff", ids[("raw.bin", 1, True)], ids[("raw.bin", 2, False)])
    assert binary.returncode == 1 and "binary files differ" in binary.stdout
    missing = cli(home, database_url, "artifacts", "get", "nope")
    assert missing.returncode == 1 and "artifact 'nope' not found" in missing.stderr
