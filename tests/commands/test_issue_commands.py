from __future__ import annotations

from typing import Any

from bot.client import ArchiveBot
from bot.render import limits
from tests.commands.helpers import FakeInteraction, invoke


def _fits(embed_dict: dict[str, object]) -> None:
    assert len(str(embed_dict.get("title", ""))) <= limits.TITLE
    assert len(str(embed_dict.get("description", ""))) <= limits.DESCRIPTION


async def test_latest_shows_the_newest_issue(bot: ArchiveBot) -> None:
    interaction = FakeInteraction(bot)
    await invoke(bot, "latest", interaction)
    embed = interaction.last.embed
    assert embed is not None and not interaction.last.ephemeral
    assert embed.title == "Machine Learning Monthly Newsletter"
    assert embed.description is not None and embed.description.startswith(
        "Issue #28 · about April 2022"
    )
    assert "• All Roads Lead to Rome" in embed.description
    _fits(embed.to_dict())  # type: ignore[arg-type]


async def test_issue_found_and_not_found(bot: ArchiveBot) -> None:
    interaction = FakeInteraction(bot)
    await invoke(bot, "issue", interaction, number=7)
    assert interaction.last.embed is not None
    assert interaction.last.embed.description is not None
    assert interaction.last.embed.description.startswith("Issue #7 · July 2020")
    missing = FakeInteraction(bot)
    await invoke(bot, "issue", missing, number=3)
    assert missing.last.ephemeral
    assert missing.last.content == "There is no issue #3. The archive holds issues #2 to #28."


async def test_issue_autocomplete(bot: ArchiveBot) -> None:
    cog: Any = bot.get_cog("IssueCommands")  # extensions load as fresh modules: no isinstance
    interaction = FakeInteraction(bot)
    everything = await cog.issue_autocomplete(interaction, "")
    assert [c.value for c in everything] == [28, 23, 15, 7, 2]
    assert everything[0].name == "#28 · April 2022 · Machine Learning Monthly Newsletter"
    assert [c.value for c in await cog.issue_autocomplete(interaction, "2")] == [28, 23, 2]
    assert [c.value for c in await cog.issue_autocomplete(interaction, "july")] == [7]
    assert await cog.issue_autocomplete(interaction, "#zzz") == []
