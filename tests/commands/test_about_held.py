"""/about counts the feed entries held for a moderator (and says where to decide them)."""

from __future__ import annotations

from bot.client import ArchiveBot
from tests.commands.helpers import FakeInteraction, invoke


async def test_about_counts_the_held_feed_entries(bot: ArchiveBot) -> None:
    async def fields() -> dict[str, str]:
        interaction = FakeInteraction(bot)
        await invoke(bot, "about", interaction)
        assert interaction.last.embed is not None
        return {str(f.name): str(f.value) for f in interaction.last.embed.fields}

    assert "Feed entries held" not in await fields()
    async with bot.service.db.transaction() as db:
        await db.executemany(
            "INSERT INTO feed_entries(newsletter, url, entry_id, seen_at, state, number, title)"
            " VALUES ('default', 'https://example.org/feed', ?, '2024-01-01T00:00:00+00:00',"
            " 'held', ?, 'Issue far away')",
            [("a", 990), ("b", 991)],
        )
    assert (await fields())["Feed entries held"] == (
        "2 (numbered far beyond the newest issue; `python -m bot feeds` lists them, "
        "to release or dismiss)"
    )
