"""Faults met while answering a command: a channel that is gone or refused, a damaged database."""

from __future__ import annotations

import logging
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest

from bot.client import ArchiveBot
from bot.errors import DatabaseError
from tests.commands.helpers import FakeInteraction, invoke, moderator


def _http_error(kind: type[discord.HTTPException], code: int) -> discord.HTTPException:
    response = MagicMock(status=404 if kind is discord.NotFound else 403, reason="")
    return kind(response, {"code": code, "message": "nope"})


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (_http_error(discord.NotFound, 10003), "10003"),
        (_http_error(discord.Forbidden, 50013), "50013"),
    ],
)
async def test_now_to_a_lost_channel_disables_the_schedule(
    bot: ArchiveBot, monkeypatch: pytest.MonkeyPatch, error: discord.HTTPException, reason: str
) -> None:
    channel = MagicMock(spec=discord.TextChannel)
    channel.send = AsyncMock(side_effect=error)
    monkeypatch.setattr(bot, "get_channel", lambda channel_id: channel)
    await bot.service.schedules.add(42, 500, "0 9 * * *", "UTC")
    interaction = FakeInteraction(bot, user=moderator())
    await invoke(bot, "archive now", interaction)
    content = interaction.last.content or ""
    assert (
        interaction.last.ephemeral and content.startswith("I couldn't post: ") and reason in content
    )
    schedule = await bot.service.schedules.get(42)
    assert schedule is not None and not schedule.enabled
    assert reason in (schedule.disabled_reason or "")


async def test_a_damaged_database_gets_an_apology_and_the_fix_goes_to_the_log(
    bot: ArchiveBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def damaged(*_: Any, **__: Any) -> None:
        raise DatabaseError("/data/archive.sqlite3: not a usable SQLite database: run db recover")

    monkeypatch.setattr(bot.service.search, "find", damaged)
    interaction = FakeInteraction(bot)
    with caplog.at_level(logging.ERROR):
        await invoke(bot, "search", interaction, query="resnet")
    content = interaction.last.content or ""
    assert content.startswith("Sorry, something went wrong on our side.")
    assert "archive.sqlite3" not in content  # no file path shown to members
    assert any("db recover" in str(r.exc_info and r.exc_info[1]) for r in caplog.records)
