"""Settings the administrator gives: script folders that keep out of the home, read from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from lockgate.settings import Settings


def test_script_dirs_are_a_path_list_and_empty_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert Settings(home=tmp_path / "home").script_dirs == ()
    monkeypatch.setenv("LOCKGATE_SCRIPT_DIRS", f"{tmp_path}/a:{tmp_path}/b")
    settings = Settings(home=tmp_path / "home")
    assert settings.script_dirs == (tmp_path / "a", tmp_path / "b")
    assert settings.script_policy.script_dirs == settings.script_dirs
    assert settings.script_policy.allow_unconfined is False


@pytest.mark.parametrize("folder", ["home", "", "home/pipelines", "relative", "up"])
def test_a_script_folder_that_is_holds_or_lies_in_the_home_is_refused(tmp_path: Path, folder: str) -> None:
    home = tmp_path / "home"
    (home / "pipelines").mkdir(parents=True)
    (tmp_path / "up").symlink_to(home)  # the real path decides
    given = {"relative": Path("scripts"), "up": tmp_path / "up"}.get(folder, tmp_path / folder)
    with pytest.raises(ValidationError, match="LOCKGATE_SCRIPT_DIRS"):
        Settings(home=home, script_dirs=(given,))


def test_the_unconfined_setting_reads_as_a_bool(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LOCKGATE_ALLOW_UNCONFINED_SCRIPTS", "true")
    assert Settings(home=tmp_path).script_policy.allow_unconfined is True
