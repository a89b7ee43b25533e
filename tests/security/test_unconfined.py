"""Without a working sandbox, script steps (and agents' run_python) run only with the administrator's consent.

Before: ``LOCKGATE_SANDBOX=none``, or ``auto`` on a machine without bubblewrap, ran every script with the
server's own view of the disk and network, silently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.security.hostile import Hostile


def test_no_sandbox_and_no_consent_refuses_scripts(hostile_factory: Callable[..., Hostile], tmp_path: Path) -> None:
    hostile = hostile_factory(sandbox="none", env={"LOCKGATE_ALLOW_UNCONFINED_SCRIPTS": "false"})
    ready = httpx.get(f"{hostile.url}/ready")
    assert ready.status_code == 200  # the server does its job; script steps are what it refuses
    sandbox = ready.json()["checks"]["sandbox"]
    assert sandbox.startswith("unavailable: ") and "LOCKGATE_ALLOW_UNCONFINED_SCRIPTS=true" in sandbox
    assert "LOCKGATE_ALLOW_UNCONFINED_SCRIPTS" in hostile.log()  # said at start, in the server's log
    marker = tmp_path / "escaped.txt"
    definition = {
        "name": "unconfined",
        "nodes": [{"id": "escape", "kind": "script", "config": {"code": f"open({str(marker)!r}, 'w').write('out')"}}],
    }
    run = hostile.save_and_run(definition)
    assert run["status"] == "failed"
    assert not marker.exists()
    seen = hostile.viewer_reads(run["id"])
    assert "sandbox_unavailable" in seen and "LOCKGATE_ALLOW_UNCONFINED_SCRIPTS=true" in seen
    hostile.assert_intact()


def test_consent_runs_scripts_unconfined_and_says_so(hostile_factory: Callable[..., Hostile], tmp_path: Path) -> None:
    hostile = hostile_factory(sandbox="none")  # LOCKGATE_ALLOW_UNCONFINED_SCRIPTS=true
    sandbox = httpx.get(f"{hostile.url}/ready").json()["checks"]["sandbox"]
    assert sandbox == "unconfined (allowed by LOCKGATE_ALLOW_UNCONFINED_SCRIPTS): LOCKGATE_SANDBOX=none"
    run = hostile.save_and_run(
        {"name": "ok", "nodes": [{"id": "s", "kind": "script", "config": {"code": "output = 7"}}]}
    )
    assert run["status"] == "succeeded"
    assert "running without a sandbox: LOCKGATE_SANDBOX=none" in hostile.viewer_reads(run["id"])  # the step's log
    hostile.assert_intact()
