"""What the bot repeats of a member's words carries no bidi controls or zero-width characters."""

from __future__ import annotations

import pytest

from bot.client import ArchiveBot
from bot.render.echo import INVISIBLE
from tests.commands.helpers import FakeInteraction, invoke, moderator, text_channel

RLO = "\u202e"


def _visible(text: str | None) -> bool:
    return text is not None and not INVISIBLE & set(text)


async def test_a_search_title_drops_an_override(bot: ArchiveBot) -> None:
    interaction = FakeInteraction(bot)
    await invoke(bot, "search", interaction, query=f"{RLO}trivial\u200baugment\u2066")
    embed = interaction.last.embed
    assert embed is not None and embed.title == "Search: trivialaugment"


@pytest.mark.parametrize("invisible", sorted(INVISIBLE))
async def test_nothing_found_drops_every_invisible_character(
    bot: ArchiveBot, invisible: str
) -> None:
    interaction = FakeInteraction(bot)
    await invoke(bot, "search", interaction, query=f"qqq{invisible}zzz")
    assert (
        interaction.last.content == "Nothing found for “qqqzzz”. Try fewer or more general words."
    )


async def test_a_refused_cron_is_quoted_without_controls(bot: ArchiveBot) -> None:
    interaction = FakeInteraction(bot, user=moderator())
    await invoke(
        bot, "archive set", interaction, channel=text_channel(), schedule=f"{RLO}every day\u200f"
    )
    content = interaction.last.content
    assert _visible(content) and "“every day”" in (content or "")
