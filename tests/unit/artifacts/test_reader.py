"""What a handler reads of earlier steps' artifacts: regular files only, never through a link."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from lockgate.artifacts.layout import ArtifactLayout
from lockgate.artifacts.reader import LayoutArtifactReader, glob_match
from lockgate.errors import PermanentStepError

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("name", "pattern", "matches"),
    [
        ("a.md", "*", True),
        ("sub/a.md", "*", False),
        ("sub/a.md", "**/*", True),
        ("a.md", "**/*", True),
        ("sub/deep/a.md", "**/*.md", True),
        ("sub/deep/a.txt", "**/*.md", False),
        ("sub/a.md", "sub/*", True),
        ("other/a.md", "sub/*", False),
        (".hidden", "*", True),
    ],
)
def test_glob_match_follows_path_glob(name: str, pattern: str, matches: bool) -> None:
    assert glob_match(name, pattern) is matches


@pytest.fixture
def reader(tmp_path: Path) -> LayoutArtifactReader:
    layout = ArtifactLayout(tmp_path / "home")
    step = layout.step_dir("demo", 1, "draft")
    (step / "sub").mkdir(parents=True)
    (step / "draft.md").write_text("# Draft")
    (step / "sub" / "notes.txt").write_text("notes")
    secret = tmp_path / "secret.key"
    secret.write_text("server-only-77c1")
    (step / "key.txt").symlink_to(secret)  # planted after promotion: still never followed
    (step / "outside").symlink_to(tmp_path)
    return LayoutArtifactReader(layout, "demo", 1)


def test_names_lists_regular_files_and_no_link(reader: LayoutArtifactReader) -> None:
    assert reader.names("draft") == ["draft.md"]
    assert reader.names("draft", "**/*") == ["draft.md", "sub/notes.txt"]
    assert reader.names("draft", "outside/*") == []
    assert reader.names("missing") == []


def test_read_reads_a_file_and_refuses_links(reader: LayoutArtifactReader) -> None:
    assert reader.read("draft", "sub/notes.txt") == b"notes"
    assert reader.read("draft", "./draft.md") == b"# Draft"
    for name in ("key.txt", "outside/secret.key", "../draft/draft.md", "missing.md"):
        with pytest.raises(PermanentStepError) as raised:
            reader.read("draft", name)
        assert raised.value.kind == "artifact_not_found"
        assert "server-only" not in raised.value.detail
