"""The attack harness itself: a viewer reads a run, and a sound database reads as sound."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.security.hostile import Hostile


def test_a_viewer_reads_what_a_harmless_script_wrote(hostile: Hostile) -> None:
    definition = {
        "name": "harmless",
        "nodes": [{"id": "write", "kind": "script",
                   "config": {"code": "open('note.txt', 'w').write('marker-2c41')\noutput = 'done-9f3a'"}}],
    }  # fmt: skip
    run = hostile.save_and_run(definition)
    assert run["status"] == "succeeded", run
    seen = hostile.viewer_reads(run["id"])
    assert "done-9f3a" in seen and "marker-2c41" in seen and "note.txt" in seen
    hostile.assert_intact()
