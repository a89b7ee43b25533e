"""Comparing two versions of an artifact: a unified diff of text, and JSON changes path by path."""

from __future__ import annotations

from lockgate.artifacts.compare import JsonChange, json_changes, text_diff


def test_a_text_diff_is_unified_and_empty_when_equal() -> None:
    assert text_diff("a\nb\n", "a\nb\n", "left", "right") == ""
    diff = text_diff("a\nb\nc", "a\nB\nc\nd", "v1/draft.md", "v2/draft.md")
    assert diff.startswith("--- v1/draft.md\n+++ v2/draft.md\n@@")
    assert "-b\n" in diff and "+B\n" in diff and "+d\n" in diff and diff.endswith("\n")


def test_json_changes_name_each_path() -> None:
    left = {"title": "A", "tags": ["x", "y"], "meta": {"n": 1, "gone": True}, "same": [1]}
    right = {"title": "B", "tags": ["x"], "meta": {"n": 1.0, "new": None}, "same": [1]}
    assert json_changes(left, right) == [
        JsonChange("$.meta.gone", "removed", left=True),
        JsonChange("$.meta.n", "changed", left=1, right=1.0),
        JsonChange("$.meta.new", "added", right=None),
        JsonChange("$.tags[1]", "removed", left="y"),
        JsonChange("$.title", "changed", left="A", right="B"),
    ]
    assert json_changes([1, {"a": 1}], [1, {"a": 1}, 3]) == [JsonChange("$[2]", "added", right=3)]
    assert json_changes("a", {"a": 1}) == [JsonChange("$", "changed", left="a", right={"a": 1})]
    assert len(json_changes(list(range(50)), [], limit=10)) == 10
