"""/archive now on a channel Discord refuses (403) or that is gone (10003) disables the
schedule with the reason, as the scheduled path does."""

from __future__ import annotations

from unittest.mock import AsyncMock, MagicMock

import discord
import pytest

from bot.client import ArchiveBot
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
    await bot.service.set_schedule(42, 500, "0 9 * * *", "UTC")
    interaction = FakeInteraction(bot, user=moderator())
    await invoke(bot, "archive now", interaction)
    content = interaction.last.content or ""
    assert (
        interaction.last.ephemeral and content.startswith("I couldn't post: ") and reason in content
    )
    schedule = await bot.service.schedule(42)
    assert schedule is not None and not schedule.enabled
    assert reason in (schedule.disabled_reason or "")
