"""The config is validated at start, with errors that name the file and the key."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest

from bot.cli import main
from bot.config import DEFAULT_CONFIG_PATH, ENV_PREFIX, load_settings
from bot.errors import ConfigError
from tests.conftest import ROOT


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_the_shipped_config_is_valid() -> None:
    settings = load_settings()
    assert settings.entries[0].name == "Machine Learning Monthly"
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
        (
            "newsletter: {name: X}\ncontent: {feeds: ['ftp://example.org/feed']}\n",
            "content.feeds.0: String should match pattern",
        ),
        (
            "newsletters: [{id: a, name: A, folder: a, feed_poll_minutes: 0}]\n",
            "newsletters[a].feed_poll_minutes: Input should be greater than 0",
        ),
        ("newsletter: {name: X}\ndiscord: {token: abc}\n", "remove the token from the config file"),
        ("newsletter: [\n", "not valid YAML"),
        (
            "newsletter: {name: X}\ndiscord: {search_cooldown: {rate: 101}}\n",
            "discord.search_cooldown.rate: Input should be less than or equal to 100",
        ),
        (
            "newsletter: {name: X}\ndiscord: {random_cooldown: {per: 86401}}\n",
            "discord.random_cooldown.per: Input should be less than or equal to 86400",
        ),
        (
            "newsletter: {name: X}\ndiscord: {random_cooldown: {rate: 0}}\n",
            "discord.random_cooldown.rate: Input should be greater than or equal to 1",
        ),
        ("- just a list\n", "expected a mapping"),
    ],
)
def test_invalid_configs_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_feeds_in_both_forms(tmp_path: Path) -> None:
    single = load_settings(
        _write(
            tmp_path,
            "newsletter: {name: X}\n"
            "content: {feeds: ['https://example.org/feed.xml'], feed_poll_minutes: 15}\n",
        )
    )
    assert single.entries[0].feeds == ("https://example.org/feed.xml",)
    assert single.entries[0].feed_poll_minutes == 15
    listed = load_settings(
        _write(
            tmp_path,
            "newsletters:\n- {id: a, name: A, folder: a, feeds: ['http://127.0.0.1:1/a.atom']}\n"
            "- {id: b, name: B, folder: b}\n",
        )
    )
    assert [(e.feeds, e.feed_poll_minutes) for e in listed.entries] == [
        (("http://127.0.0.1:1/a.atom",), 60.0),
        ((), 60.0),
    ]


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


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A working directory of the test's own (no stray .env) and an environment restored after."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    with mock.patch.dict(os.environ):
        for name in [n for n in os.environ if n.upper().startswith(ENV_PREFIX)]:
            del os.environ[name]
        yield work


def _config_error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    return str(caught.value)


# -- reading the file ------------------------------------------------------------------


def test_a_config_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes("newsletter: {name: Caf\xe9}\n".encode("latin-1"))
    message = _config_error(path)
    assert message.startswith(str(path)) and "not UTF-8 text" in message
    assert "save it as UTF-8" in message


def test_a_config_that_is_a_folder(tmp_path: Path) -> None:
    message = _config_error(tmp_path)
    assert message.startswith(str(tmp_path)) and "is a folder, not a config file" in message


def test_a_config_that_cannot_be_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "newsletter: {name: X}\n")

    def denied(self: Path, *args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_text", denied)  # root can read a chmod 000 file
    message = _config_error(path)
    assert message.startswith(str(path)) and "permission denied" in message
    assert "chmod" in message


def test_a_database_path_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    message = _config_error(_write(tmp_path, "newsletter: {name: X}\ndatabase: {path: db}\n"))
    assert message.startswith(str(tmp_path / "config.yaml"))
    assert f"database.path: {tmp_path / 'db'} is a folder" in message
    assert "set database.path" in message


def test_a_database_path_under_a_file(tmp_path: Path) -> None:
    config = "newsletter: {name: X}\ndatabase: {path: config.yaml/data/x.sqlite3}\n"
    message = _config_error(_write(tmp_path, config))
    assert f"cannot create the folder {tmp_path / 'config.yaml' / 'data'}" in message
    assert f"because {tmp_path / 'config.yaml'} is a file" in message


def test_a_database_folder_that_cannot_be_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "newsletter: {name: X}\ndatabase: {path: new/x.sqlite3}\n")
    monkeypatch.setattr("bot.config.os.access", lambda *_: False)  # root may write anywhere
    message = _config_error(path)
    assert (
        f"cannot create the folder {tmp_path / 'new'} in {tmp_path} (permission denied)" in message
    )


def test_a_database_path_in_a_folder_that_cannot_be_looked_into(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "newsletter: {name: X}\ndatabase: {path: locked/x.sqlite3}\n")

    def denied(self: Path) -> bool:
        raise PermissionError(13, "Permission denied", str(tmp_path / "locked"))

    monkeypatch.setattr(Path, "is_dir", denied)  # root may look into any folder
    message = _config_error(path)
    assert f"cannot look into {tmp_path / 'locked'} (permission denied)" in message


def test_read_errors_exit_2_with_one_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_bytes(b"\xff\xfe\x00")
    for config in (tmp_path, bad):
        assert main(["--config", str(config), "latest"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(str(config))
        assert "Traceback" not in err


# -- overrides from the environment ----------------------------------------------------


def test_environment_overrides_keys(environment: Path, tmp_path: Path) -> None:
    database = tmp_path / "data" / "archive.sqlite3"
    os.environ["ARCHIVE_BOT__DISCORD__DEV_GUILD_IDS"] = "[1,2]"
    os.environ["ARCHIVE_BOT__DATABASE__PATH"] = str(database)
    os.environ["ARCHIVE_BOT__DISCORD__SEARCH_COOLDOWN__RATE"] = "7"
    settings = load_settings()
    assert settings.discord.dev_guild_ids == (1, 2)
    assert settings.database_path == database
    assert settings.discord.search_cooldown.rate == 7
    assert settings.discord.search_cooldown.per == 30  # the rest of the mapping stays
    assert settings.entries[0].name == "Machine Learning Monthly"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "ARCHIVE_BOT__DISCORD__BACKGROUND_POLL_SECONDS",
            "0",
            "discord.background_poll_seconds: Input should be greater than or equal to 0.5 "
            "(set by ARCHIVE_BOT__DISCORD__BACKGROUND_POLL_SECONDS)",
        ),
        (
            "ARCHIVE_BOT__DISCORD__DEV_GUILDS",
            "[1]",
            "discord.dev_guilds: unknown key (check its spelling and indentation) "
            "(set by ARCHIVE_BOT__DISCORD__DEV_GUILDS)",
        ),
        (
            "ARCHIVE_BOT__DISCORD__DEV_GUILD_IDS",
            "[1,",
            "in ARCHIVE_BOT__DISCORD__DEV_GUILD_IDS (lists and mappings are JSON",
        ),
        (
            "ARCHIVE_BOT__DISCORD__DEV_GUILD_IDS",
            '["x"]',
            "discord.dev_guild_ids.0: Input should be a valid integer",
        ),
    ],
)
def test_environment_errors_name_the_key_and_variable(
    environment: Path, variable: str, value: str, message: str
) -> None:
    os.environ[variable] = value
    error = _config_error(DEFAULT_CONFIG_PATH)
    assert error.startswith(f"{DEFAULT_CONFIG_PATH}: invalid config")
    assert message in error


# -- .env ------------------------------------------------------------------------------


def test_dotenv_is_read_from_the_working_directory_only(environment: Path) -> None:
    (environment.parent / ".env").write_text("ARCHIVE_BOT__DISCORD__DEV_GUILD_IDS=[9]\n")
    assert load_settings().discord.dev_guild_ids == ()  # a parent folder's .env is ignored
    (environment / ".env").write_text(
        "ARCHIVE_BOT__DISCORD__DEV_GUILD_IDS=[3]\nARCHIVE_BOT__DISCORD__RANDOM_COOLDOWN__RATE=4\n"
    )
    os.environ["ARCHIVE_BOT__DISCORD__RANDOM_COOLDOWN__RATE"] = "5"
    settings = load_settings()
    assert settings.discord.dev_guild_ids == (3,)
    assert settings.discord.random_cooldown.rate == 5  # the environment wins over .env


def test_a_dotenv_that_is_not_utf8(environment: Path) -> None:
    (environment / ".env").write_bytes(b"DISCORD_TOKEN=\xff\xfe\n")
    assert "the .env file is not UTF-8 text" in _config_error(DEFAULT_CONFIG_PATH)


def test_the_old_name_of_the_background_pace_is_still_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "newsletter: {name: Digest}\ndiscord: {schedule_poll_seconds: 12}\n", encoding="utf-8"
    )
    settings = load_settings(path)
    assert settings.discord.background_poll_seconds == 12
    assert "background_poll_seconds" in caplog.text


def test_the_config_is_found_from_the_environment_or_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    named = tmp_path / "named.yaml"
    named.write_text("newsletter: {name: Named}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARCHIVE_BOT_CONFIG", str(named))
    assert load_settings().entries[0].name == "Named"
    monkeypatch.delenv("ARCHIVE_BOT_CONFIG")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text("newsletter: {name: Here}\n")
    assert load_settings().entries[0].name == "Here"


def test_an_installed_copy_without_a_config_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ARCHIVE_BOT_CONFIG", raising=False)
    monkeypatch.setattr("bot.config.DEFAULT_CONFIG_PATH", tmp_path / "site" / "config.yaml")
    with pytest.raises(ConfigError, match=r"no config file found \(looked at .*config\.yaml.*"):
        load_settings()
