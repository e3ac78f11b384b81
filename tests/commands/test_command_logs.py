"""The command log: one line per command with name, guild and latency; who used it (and who
was refused) only at DEBUG. Command sync when Discord fails it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest
from discord import app_commands

from bot.archive.service import ArchiveService
from bot.client import ArchiveBot
from bot.config import load_settings
from bot.errors import ConfigError, DiscordUnavailable
from bot.runner import run_bot
from tests.commands.helpers import FakeInteraction, find_command, member
from tests.conftest import write_config

USER_ID = 123_456_789


async def test_a_command_logs_name_guild_and_latency_not_the_user(
    bot: ArchiveBot, caplog: pytest.LogCaptureFixture
) -> None:
    interaction: Any = FakeInteraction(bot, user=member(USER_ID))
    with caplog.at_level(logging.INFO, logger="bot.client"):
        await bot.on_app_command_completion(interaction, find_command(bot, "latest"))
    assert [r.getMessage().rsplit(":", 1)[0] for r in caplog.records] == ["/latest in guild 42"]
    assert str(USER_ID) not in caplog.text
    with caplog.at_level(logging.DEBUG, logger="bot.client"):
        await bot.on_app_command_completion(interaction, find_command(bot, "latest"))
    assert f"/latest was used by user {USER_ID}" in caplog.text


async def test_a_refusal_logs_the_user_only_at_debug(
    bot: ArchiveBot, caplog: pytest.LogCaptureFixture
) -> None:
    interaction: Any = FakeInteraction(bot, user=member(USER_ID))
    interaction.command = find_command(bot, "latest")
    with caplog.at_level(logging.INFO, logger="bot.cogs.errors"):
        await bot.tree.on_error(interaction, app_commands.CheckFailure("not here"))
    assert "/latest refused in guild 42: not here" in caplog.text
    assert str(USER_ID) not in caplog.text


def _server_error() -> discord.DiscordServerError:
    response = MagicMock(status=503, reason="Service Unavailable")
    return discord.DiscordServerError(response, {"code": 0, "message": "Service Unavailable"})


async def test_a_failed_sync_keeps_the_commands_synced_before(
    bot: ArchiveBot, caplog: pytest.LogCaptureFixture
) -> None:
    assert await bot.service.meta.get("command_sync:global")  # synced at set-up
    await bot.service.meta.set("command_sync:global", "an older version")
    bot.tree.sync = AsyncMock(side_effect=_server_error())  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING):
        assert await bot.sync_commands() is False
    assert "command sync failed (DiscordServerError: 503" in caplog.text
    with pytest.raises(DiscordUnavailable, match="Discord did not take the slash commands"):
        await bot.sync_commands(force=True)  # python -m bot sync says it failed


async def test_a_first_sync_that_fails_stops_the_start(tmp_path: Path, content_dir: Path) -> None:
    settings = load_settings(write_config(tmp_path, content_dir))
    service, _ = await ArchiveService.from_settings(settings)
    client = ArchiveBot(settings, service)
    client.tree.sync = AsyncMock(side_effect=_server_error())  # type: ignore[method-assign]
    async with client:
        with pytest.raises(DiscordUnavailable, match="never synced before"):
            await client.setup_hook()
    await service.close()


async def test_a_dev_guild_that_refuses_the_commands_is_a_config_error(
    tmp_path: Path, content_dir: Path
) -> None:
    settings = load_settings(write_config(tmp_path, content_dir, dev_guild_ids=[55]))
    service, _ = await ArchiveService.from_settings(settings)
    client = ArchiveBot(settings, service)
    response = MagicMock(status=403, reason="Forbidden")
    client.tree.sync = AsyncMock(  # type: ignore[method-assign]
        side_effect=discord.Forbidden(response, {"code": 50001, "message": "Missing Access"})
    )
    async with client:
        with pytest.raises(ConfigError, match="slash commands for the server 55") as caught:
            await client.setup_hook()
    await service.close()
    assert caught.value.exit_code == 2
    assert "applications.commands scope" in str(caught.value)


def test_an_unknown_log_level_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "a token")
    monkeypatch.setenv("LOG_LEVEL", "verbose")
    assert run_bot(load_settings()) == 2
    assert capsys.readouterr().err == (
        "LOG_LEVEL=verbose is not a log level: use DEBUG, INFO, WARNING or ERROR\n"
    )
