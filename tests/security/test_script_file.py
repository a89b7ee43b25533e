"""A script node's ``config.file`` reaches only the folders the administrator lists (LOCKGATE_SCRIPT_DIRS).

Before: an editor named any server file; the runner compiled it, and the SyntaxError quoting its first line
became the step's error, which every viewer reads (the home's Fernet key, a ``.env`` password, ``/etc/shadow``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.security.hostile import Hostile

DB_PASSWORD = "hunter2-db-pw-5e1f7c"  # a fake password in a .env outside every allowed folder


def _pipeline(name: str, file: str) -> dict[str, Any]:
    return {"name": name, "nodes": [{"id": "steal", "kind": "script", "config": {"file": file}}]}


def _secrets(hostile: Hostile) -> list[str]:
    """What must never reach a viewer: the home's key, the .env password, the first line of /etc/shadow."""
    key = (hostile.home / "secret.key").read_text().strip()
    shadow = ""
    try:
        with open("/etc/shadow", encoding="utf-8") as file:  # noqa: PTH123 - the test runs as the server's user
            shadow = file.readline().strip()
    except OSError:
        pass
    return [s for s in (key, key[:16], DB_PASSWORD, shadow, shadow.split(":")[1] if ":" in shadow else "") if s]


def _none_leaked(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text


def _server(factory: Callable[..., Hostile], tmp_path: Path, sandbox: str) -> Hostile:
    """A server whose administrator lists one folder; bubblewrap on, or off with unconfined scripts allowed."""
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / ".env").write_text(f"DATABASE_PASSWORD={DB_PASSWORD}\n")
    hostile = factory(sandbox=sandbox, env={"LOCKGATE_SCRIPT_DIRS": str(allowed)})
    (allowed / "job.py").write_text("output = {'from': __file__, 'n': 2 * 21}\n")
    (allowed / "typo.py").write_text("total = 1\nprint(total +)\n")
    (allowed / "key.py").symlink_to(hostile.home / "secret.key")  # a link inside the folder, out of it
    (allowed / "env").symlink_to(outside)  # a folder link inside the folder, out of it
    return hostile


def _refused_on_save(server: Hostile, file: str) -> None:
    saved = server.save(_pipeline("steal", file))
    assert saved.status_code == 422, saved.text
    assert [(e["node_id"], e["field"]) for e in saved.json()["errors"]] == [("steal", "config.file")]
    _none_leaked(saved.text, _secrets(server))


def _refused_when_run(server: Hostile, name: str, file: str) -> None:
    # The name lies inside the folder, so the definition saves; the real path is checked when the step runs.
    run = server.save_and_run(_pipeline(name, file))
    assert run["status"] == "failed", run
    seen = server.viewer_reads(run["id"])
    assert "node 'steal', config.file" in seen and "leads out of the folders LOCKGATE_SCRIPT_DIRS lists" in seen
    _none_leaked(seen, _secrets(server))


def test_files_outside_the_allowed_folders_are_refused(hostile_factory: Callable[..., Hostile], tmp_path: Path) -> None:
    server = _server(hostile_factory, tmp_path, "bwrap")
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    for file in (server.home / "secret.key", outside / ".env", "/etc/shadow", f"{allowed}/../outside/.env"):
        _refused_on_save(server, str(file))
    with server.client("viewer") as viewer:  # nothing was saved
        assert viewer.get("/api/v1/pipelines").json()["items"] == []
    _refused_when_run(server, "key", str(allowed / "key.py"))
    _refused_when_run(server, "env", str(allowed / "env" / ".env"))
    server.assert_intact()


@pytest.mark.parametrize("sandbox", ["bwrap", "none"])
def test_an_allowed_file_runs_and_its_syntax_error_says_where(
    hostile_factory: Callable[..., Hostile], tmp_path: Path, sandbox: str
) -> None:
    server = _server(hostile_factory, tmp_path, sandbox)
    job = tmp_path / "allowed" / "job.py"
    run = server.save_and_run(_pipeline("allowed", str(job)))
    assert run["status"] == "succeeded", run
    assert f'"from":"{job}"' in server.viewer_reads(run["id"]).replace(" ", "")
    typo = tmp_path / "allowed" / "typo.py"
    broken = server.save_and_run(_pipeline("typo", str(typo)))
    assert broken["status"] == "failed"
    seen = server.viewer_reads(broken["id"])
    assert f'File \\"{typo}\\", line 2' in seen and "print(total +)" in seen and "SyntaxError" in seen
    if sandbox == "none":  # unconfined changes nothing for files: a link out is still refused
        _refused_when_run(server, "key", str(tmp_path / "allowed" / "key.py"))
    server.assert_intact()


def test_no_listed_folder_means_no_script_file(hostile: Hostile, tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text("output = 1\n")
    saved = hostile.save(_pipeline("nofolder", str(script)))
    assert saved.status_code == 422
    (error,) = saved.json()["errors"]
    assert (error["node_id"], error["field"]) == ("steal", "config.file")
    assert "LOCKGATE_SCRIPT_DIRS lists no folder" in error["message"]
    hostile.assert_intact()
