"""/links for moderators, and what members see of a dead link on /random and /issue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import discord
import pytest

from bot.client import ArchiveBot
from bot.render.messages import NOT_A_MODERATOR
from tests.commands.helpers import FakeInteraction, invoke, member, moderator
from tests.link_server import issue_file


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """Two issues: May 2020's links (what /random picks from), June 2020's one link."""
    folder = tmp_path / "content"
    issue_file(
        folder,
        1,
        "2020-05",
        {
            "A parser": "https://github.com/someone/parser",
            "A linter": "https://github.com/someone/linter",
            "A talk": "https://talks.example.org/2020/parsing",
        },
    )
    issue_file(folder, 2, "2020-06", {"A book": "https://books.example.org/rust"})
    return folder


async def mark(bot: ArchiveBot, status: str, http_status: int | None) -> list[str]:
    """Every link of the archive stored as ``status`` (as a check would); the links."""
    rows = await bot.service.db.rows(
        "SELECT DISTINCT j.value FROM resources r, json_each(r.links) j ORDER BY 1"
    )
    links = [row[0] for row in rows]
    checked = dt.datetime(2026, 1, 5, tzinfo=dt.UTC).isoformat()
    async with bot.service.db.transaction() as db:
        await db.executemany(
            "INSERT INTO link_checks(url, status, http_status, checked_at, failures)"
            " VALUES (?, ?, ?, ?, 0)",
            [(url, status, http_status, checked) for url in links],
        )
    await bot.service.links.refresh()
    return links


def buttons(view: discord.ui.View | None) -> list[tuple[str | None, str | None]]:
    assert view is not None
    return [(item.label, item.url) for item in view.children if isinstance(item, discord.ui.Button)]


async def test_links_counts_statuses_and_names_the_domains_with_most_dead_links(
    bot: ArchiveBot,
) -> None:
    links = await mark(bot, "dead", 404)
    interaction = FakeInteraction(bot, user=moderator())
    await invoke(bot, "links", interaction, newsletter=None)
    sent = interaction.last
    assert sent.ephemeral and sent.embed is not None
    fields = {field.name: field.value for field in sent.embed.fields}
    assert fields["Dead (the archived copy is offered)"] == f"{len(links)} (100 %)"
    assert fields["Working"] == "0 (0 %)" and fields["Not checked yet"] == "0 (0 %)"
    assert fields["Most dead links"] == "github.com: 2\nbooks.example.org: 1\ntalks.example.org: 1"
    assert sent.embed.footer.text == (
        "Background checks are off (links.check in the config): these are the last results."
    )


async def test_links_is_for_moderators(bot: ArchiveBot) -> None:
    interaction = FakeInteraction(bot, user=member(3))
    await invoke(bot, "links", interaction, newsletter=None)
    assert interaction.last.content == NOT_A_MODERATOR and interaction.last.ephemeral


async def test_a_dead_links_button_opens_its_archived_copy(bot: ArchiveBot) -> None:
    await mark(bot, "dead", 410)
    interaction = FakeInteraction(bot)
    await invoke(bot, "random", interaction, newsletter=None)
    embed = interaction.last.embed
    assert embed is not None
    [(label, url)] = buttons(interaction.last.view)
    assert label == "Archived copy"
    assert url is not None and url.startswith("https://web.archive.org/web/20200501/https://")
    # The original address stays visible, and is still the title's link.
    original = url.split("/", 5)[5]
    assert embed.url == original
    shown = {field.name: field.value for field in embed.fields}["Links"] or ""
    assert shown.startswith(f"{original} · [Archived copy](https://web.archive.org/web/")


async def test_a_working_links_button_opens_it(bot: ArchiveBot) -> None:
    await mark(bot, "ok", 200)
    interaction = FakeInteraction(bot)
    await invoke(bot, "random", interaction, newsletter=None)
    [(label, url)] = buttons(interaction.last.view)
    assert label == "Open the link" and not (url or "").startswith("https://web.archive.org/")


async def test_an_issue_offers_the_archived_copy_of_each_dead_link(bot: ArchiveBot) -> None:
    await mark(bot, "dead", 404)
    interaction = FakeInteraction(bot)
    await invoke(bot, "issue", interaction, number=1, newsletter=None)
    embed = interaction.last.embed
    assert embed is not None and embed.description is not None
    lines = [line for line in embed.description.split("\n") if line.startswith("• [")]
    assert lines[0] == (
        "• [A parser](https://github.com/someone/parser) · [Archived copy]"
        "(https://web.archive.org/web/20200501/https://github.com/someone/parser)"
    )
    assert len(lines) == 3 and all(" · [Archived copy](" in line for line in lines)


async def test_a_search_result_offers_the_archived_copy_of_a_dead_link(bot: ArchiveBot) -> None:
    await mark(bot, "dead", 404)
    interaction = FakeInteraction(bot)
    await invoke(bot, "search", interaction, query="parser", newsletter=None)
    embed = interaction.last.embed
    assert embed is not None
    [result] = [field.value or "" for field in embed.fields]
    assert result.endswith(
        " · https://github.com/someone/parser · [Archived copy]"
        "(https://web.archive.org/web/20200501/https://github.com/someone/parser)"
    )
