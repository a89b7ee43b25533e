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


def test_the_environment_is_read_in_any_case_and_keywords_win(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("lockgate_port", "9001")  # the names pydantic-settings read: any case
    monkeypatch.setenv("DATABASE_URL", "sqlite:////from/env.db")
    monkeypatch.setenv("LOCKGATE_OPENAI_API_KEY", "sk-lockgate")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-plain")  # the first alias found wins, as the field lists them
    settings = Settings(home=tmp_path)
    assert (settings.port, settings.db_url) == (9001, "sqlite:////from/env.db")
    assert settings.openai_api_key is not None and settings.openai_api_key.get_secret_value() == "sk-lockgate"
    given = Settings(home=tmp_path, database_url="sqlite:////given.db", port=7000)
    assert (given.port, given.db_url) == (7000, "sqlite:////given.db")


def test_a_bad_value_in_the_environment_names_its_field(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LOCKGATE_MAX_CONCURRENCY", "many")
    with pytest.raises(ValidationError) as raised:
        Settings(home=tmp_path)
    assert [error["loc"] for error in raised.value.errors()] == [("max_concurrency",)]
