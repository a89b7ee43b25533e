"""``lockgate serve`` killed (SIGKILL) while a task waits; after a restart the task is still there.

Answering it through the CLI (``lockgate tasks list``, ``revise``, ``approve``, ``submit``) finishes the run,
on both backends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.integration.api.people import API, open_task, wait_run
from tests.integration.helpers import cli, write_pipeline

if TYPE_CHECKING:
    from pathlib import Path

    from tests.integration.served import Served


def _task_id(listing: str, step: str) -> str:
    line = next(x for x in listing.splitlines() if f" {step} " in x)
    return line.split()[0]


def test_a_waiting_task_survives_a_killed_server(served: Served) -> None:
    served.start()
    with served.client("operator") as operator:
        run: dict[str, Any] = operator.post(f"{API}/pipelines/editorial/runs", json={}).json()
        first = open_task(operator, run["id"], "draft")
    listed = served.lockgate("editor", "tasks", "list")
    assert listed.returncode == 0, listed.stderr
    short = _task_id(listed.stdout, "draft")  # the list shows the shortest prefix that tells ids apart
    assert first["id"].startswith(short) and "approve_complete" in listed.stdout
    assert "no tasks" in served.lockgate("operator", "tasks", "list").stdout  # the draft is for editors
    revised = served.lockgate("editor", "revise", short, "--feedback", "shorter")
    assert revised.returncode == 0 and "revision_requested by editor" in revised.stdout, revised.stderr
    with served.client("operator") as operator:
        second = open_task(operator, run["id"], "draft", not_in={first["id"]})

    served.kill()
    served.start()

    with served.client("operator") as operator:
        detail = operator.get(f"{API}/tasks/{second['id']}").json()
        assert detail["status"] == "open" and detail["output"]["feedback"] == "shorter"
        shown = served.lockgate("editor", "tasks", "show", second["id"])
        assert "answers: approve, revise, reject" in shown.stdout and '"points": 2' in shown.stdout
        assert served.lockgate("editor", "approve", second["id"]).returncode == 0
        form = open_task(operator, run["id"], "sign_off")
        bad = served.lockgate("operator", "submit", form["id"], "--field", "publish_on=soon")
        assert bad.returncode == 2 and "values.publish_on" in bad.stderr
        good = served.lockgate("operator", "submit", form["id"], "--field", "headline=Durable, reviewed",
                               "--field", "publish_on=2026-12-01", "--field", "channel=blog")  # fmt: skip
        assert good.returncode == 0, good.stderr
        done = wait_run(operator, run["id"])
    assert done["output"]["published"]["headline"] == "Durable, reviewed"
    assert done["output"]["draft_attempts"] == 2
    article = served.home / "pipelines" / "editorial" / "runs" / "v1" / "publish" / "article.md"
    assert article.read_text().startswith("# Durable, reviewed")
    again = served.lockgate("operator", "submit", form["id"], "--field", "publish_on=2026-12-01")
    assert again.returncode == 1 and "task_closed" in again.stderr


def test_lockgate_run_extends_an_earlier_run(database_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    definition = {
        "name": "twice",
        "nodes": [
            {"id": "a", "kind": "script", "config": {"code": "open('a.txt', 'w').write('once')\noutput = 'a'"}},
            {"id": "b", "kind": "script", "config": {"code": (
                "import os\nfrom pathlib import Path\nbase = os.environ.get('LOCKGATE_EXTENDS_DIR')\n"
                "output = Path(base, 'a', 'a.txt').read_text() if base else None")}},
        ],
        "edges": [{"source": "a", "target": "b"}],
    }  # fmt: skip
    path = write_pipeline(tmp_path, definition)
    first = cli(home, database_url, "run", str(path), "-q", "--json")
    assert first.returncode == 0, first.stderr
    assert '"b": null' in first.stdout
    second = cli(home, database_url, "run", str(path), "-q", "--json", "--extend", "v1", "--start-at", "b")
    assert second.returncode == 0, second.stderr
    assert "twice v2 succeeded" in second.stdout and '"b": "once"' in second.stdout
    assert (home / "pipelines" / "twice" / "runs" / "v2" / "a" / "a.txt").read_text() == "once"  # taken over
    shown = cli(home, database_url, "runs", "show", "twice/v2")
    assert "1:reused" in shown.stdout
    refused = cli(home, database_url, "run", str(path), "--start-at", "b")
    assert refused.returncode == 2 and "--extend" in refused.stderr
    unknown = cli(home, database_url, "run", str(path), "--extend", "v9")
    assert unknown.returncode == 1 and "not_found" in unknown.stderr
