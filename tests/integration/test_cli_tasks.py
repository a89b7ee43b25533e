"""``lockgate approve`` / ``submit`` against ``lockgate serve``: a file field uploaded with ``name=@path``; --json.

Real processes (the server and each CLI call), the editorial example, SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from tests.integration.api.people import API, open_task, wait_run
from typer.testing import CliRunner, Result

from lockgate.cli.main import app

if TYPE_CHECKING:
    from pathlib import Path

    from tests.integration.served import Served

# Bytes that survive no text decoding: every byte value, a PNG signature first.
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


def test_submit_uploads_a_file_field_byte_for_byte(served: Served, tmp_path: Path) -> None:
    served.start()
    with served.client("operator") as operator:
        run: dict[str, Any] = operator.post(f"{API}/pipelines/editorial/runs", json={}).json()
        draft = open_task(operator, run["id"], "draft")
    approved = served.lockgate("editor", "approve", draft["id"], "--comment", "fine", "--json")
    assert approved.returncode == 0, approved.stderr
    assert json.loads(approved.stdout)["status"] == "approved"
    with served.client("operator") as operator:
        form = open_task(operator, run["id"], "sign_off")
    shown = json.loads(served.lockgate("operator", "tasks", "show", form["id"], "--json").stdout)
    assert {f["name"]: f["type"] for f in shown["form"]}["attachment"] == "file"

    cover = tmp_path / "cover.png"
    cover.write_bytes(PNG)
    too_big = tmp_path / "huge.bin"
    too_big.write_bytes(b"x" * 1_000_001)  # the field's max is 1,000,000 bytes
    base = ("submit", form["id"], "--field", "headline=Durable, reviewed", "--field", "publish_on=2026-12-01")
    missing = served.lockgate("operator", *base, "--field", f"attachment=@{tmp_path / 'nowhere.png'}")
    assert missing.returncode == 2 and "nowhere.png is not a file" in missing.stderr
    refused = served.lockgate("operator", *base, "--field", f"attachment=@{too_big}")
    assert refused.returncode == 2 and "values.attachment" in refused.stderr, refused.stderr
    with served.client("operator") as operator:
        assert operator.get(f"{API}/tasks/{form['id']}").json()["status"] == "open"  # refusals changed nothing

    submitted = served.lockgate("operator", *base, "--field", f"attachment=@{cover}", "--json")
    assert submitted.returncode == 0, submitted.stderr
    assert json.loads(submitted.stdout)["status"] == "submitted"
    with served.client("operator") as operator:
        done = wait_run(operator, run["id"])
        step = operator.get(f"{API}/runs/{run['id']}/steps/sign_off").json()
        listed = operator.get(f"{API}/runs/{run['id']}/artifacts", params={"step": "sign_off"}).json()
        artifact = next(a for a in listed if a["name"] == "attachment/cover.png")
        content = operator.get(f"{API}/artifacts/{artifact['id']}/content").content
    attachment = step["output"]["attachment"]
    assert attachment == {"name": "cover.png", "size": len(PNG), "sha256": hashlib.sha256(PNG).hexdigest(),
                          "media_type": "image/png", "artifact": "attachment/cover.png"}  # fmt: skip
    assert content == PNG
    folder = served.home / "pipelines" / "editorial" / "runs" / "v1" / "sign_off"
    assert (folder / "attachment" / "cover.png").read_bytes() == PNG
    assert json.loads((folder / "sign_off.json").read_text())["attachment"]["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert "Attached: cover.png" in (folder.parent / "publish" / "article.md").read_text()
    assert done["output"]["published"]["headline"] == "Durable, reviewed"


def test_empty_or_odd_ids_and_the_wrong_answer_are_clear_refusals(served: Served) -> None:
    served.start()
    with served.client("operator") as operator:
        run: dict[str, Any] = operator.post(f"{API}/pipelines/editorial/runs", json={}).json()
        draft = open_task(operator, run["id"], "draft")
    runner = CliRunner()  # in-process against the real server: thirteen start-ups of the command would cost minutes
    env = {"LOCKGATE_URL": served.url, "LOCKGATE_API_KEY": served.keys["editor"]}  # the draft's reviewers

    def lockgate(*args: str) -> Result:
        return runner.invoke(app, ["--home", str(served.home), "--database-url", served.database_url, *args], env=env)

    empty = [("submit", "", "--field", "a=b"), ("approve", ""), ("revise", " ", "-f", "x"), ("reject", ""),
             ("tasks", "show", ""), ("runs", "show", ""), ("artifacts", "get", ""),
             ("artifacts", "list", "")]  # fmt: skip
    for args in empty:
        refused = lockgate(*args)
        assert refused.exit_code == 2, (args, refused.output)
        assert "is empty: give an id" in refused.stderr, refused.stderr
        assert isinstance(refused.exception, SystemExit), refused.exception  # an exit, not a crash
    # an id is one path segment: it names a task, never another route (this one would start a run)
    for odd in ("../pipelines/editorial/runs#", "..", "?status=any", "a/b"):
        refused = lockgate("approve", odd)
        assert refused.exit_code == 1 and "not_found" in refused.stderr, (odd, refused.output)
        assert isinstance(refused.exception, SystemExit), refused.exception
    with served.client("operator") as operator:
        assert len(operator.get(f"{API}/runs", params={"pipeline": "editorial"}).json()["items"]) == 1

    wrong = lockgate("submit", draft["id"], "--field", "title=x")
    assert wrong.exit_code == 1, wrong.output
    said = " ".join(wrong.stderr.split())  # the console wraps long lines
    assert (f"answer_not_allowed: submit is not an answer to task {draft['id']}: it reviews the step's output "
            "(approve_complete). It takes approve, revise or reject; it has no form") in said  # fmt: skip
    with served.client("operator") as operator:
        assert operator.get(f"{API}/tasks/{draft['id']}").json()["status"] == "open"


def test_tasks_list_shows_ids_that_fit_and_every_answer_takes_them(served: Served) -> None:
    served.start()
    with served.client("operator") as operator:
        runs = [operator.post(f"{API}/pipelines/editorial/runs", json={}).json() for _ in range(2)]
        drafts = [open_task(operator, run["id"], "draft")["id"] for run in runs]
    runner = CliRunner()
    env = {"LOCKGATE_URL": served.url, "LOCKGATE_API_KEY": served.keys["editor"], "COLUMNS": "120"}

    def lockgate(*args: str) -> Result:
        return runner.invoke(app, ["--home", str(served.home), "--database-url", served.database_url, *args], env=env)

    listed = lockgate("tasks", "list")
    assert listed.exit_code == 0, listed.output
    shown = [line.split()[0] for line in listed.stdout.splitlines()[1:] if line.strip()]
    assert len(shown) == 2 and all(len(s) < len(drafts[0]) for s in shown), listed.stdout  # 120 columns, not cut
    assert sorted(next(d for d in drafts if d.startswith(s)) for s in shown) == sorted(drafts)

    too_short = lockgate("approve", drafts[0][:3])  # under 4 characters: a slip, not a choice
    assert too_short.exit_code == 1 and "not_found" in too_short.stderr, too_short.output

    first = next(s for s in shown if drafts[0].startswith(s))
    approved = lockgate("approve", first, "--json")
    assert approved.exit_code == 0, approved.output
    assert json.loads(approved.stdout)["id"] == drafts[0]
    with served.client("operator") as operator:
        assert operator.get(f"{API}/tasks/{drafts[0]}").json()["status"] == "approved"
        assert operator.get(f"{API}/tasks/{drafts[1]}").json()["status"] == "open"
