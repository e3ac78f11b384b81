"""The config is validated at start, with errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings
from bot.errors import ConfigError
from tests.conftest import ROOT


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_the_shipped_config_is_valid() -> None:
    settings = load_settings()
    assert settings.newsletter.name == "Machine Learning Monthly"
    assert settings.content_folder == ROOT / "seeds"
    assert settings.database_path == ROOT / "data" / "archive.sqlite3"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "newsletter: {name: X}\ndiscord: {default_timezone: Mars/Base}\n",
            "discord.default_timezone: unknown time zone 'Mars/Base'",
        ),
        (
            "newsletter: {name: X}\ndiscord: {search_cooldwn: {rate: 1}}\n",
            "discord.search_cooldwn: unknown key",
        ),
        (
            "newsletter: {name: X}\ncontent: {parser: {boilerplate: ['(']}}\n",
            "content.parser.boilerplate: '(' is not a valid regular expression",
        ),
        (
            "newsletter: {name: X, date_anchor: {number: 1, date: 2020}}\n",
            "newsletter.date_anchor.date",
        ),
        ("discord: {}\n", "newsletter: Field required"),
        ("newsletter: {name: X}\ndiscord: {token: abc}\n", "remove the token from the config file"),
        ("newsletter: [\n", "not valid YAML"),
        ("- just a list\n", "expected a mapping"),
    ],
)
def test_invalid_configs_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_a_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.yaml")


def test_relative_paths_resolve_against_the_config_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "newsletter: {name: X}\ncontent: {folder: issues}\ndatabase: {path: db/x.sqlite3}\n",
    )
    settings = load_settings(path)
    assert settings.content_folder == tmp_path / "issues"
    assert settings.database_path == tmp_path / "db" / "x.sqlite3"
