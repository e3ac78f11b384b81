"""The commands with two newsletters configured: the seeds (``ml``) and This Week in Rust."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest

from bot.archive.service import ArchiveService
from bot.client import ArchiveBot
from bot.cogs.helpers.options import newsletter_autocomplete
from bot.config import load_settings
from tests.cards import sent_text
from tests.commands.helpers import FakeInteraction, invoke, moderator, text_channel
from tests.conftest import TWIR, FakeClock, SeededArchives, write_two_newsletter_config


@pytest.fixture
async def two(
    tmp_path: Path, content_dir: Path, clock: FakeClock, seeded: SeededArchives
) -> AsyncIterator[ArchiveBot]:
    """A bot serving both newsletters, set up as at start-up, with no network."""
    settings = load_settings(write_two_newsletter_config(tmp_path, content_dir, TWIR))
    await seeded.copy(settings.database_path, settings.served, clock)
    service, _ = await ArchiveService.from_settings(settings, clock=clock)
    client = ArchiveBot(settings, service)
    client.tree.sync = AsyncMock(return_value=[])  # type: ignore[method-assign]
    async with client:
        await client.setup_hook()
        yield client
    await service.close()


def _embed(interaction: FakeInteraction) -> discord.Embed:
    embed = interaction.last.embed
    assert embed is not None
    return embed


async def test_latest_lists_each_newsletter_or_shows_one(two: ArchiveBot) -> None:
    every = FakeInteraction(two)
    await invoke(two, "latest", every)
    embed = _embed(every)
    assert embed.title == "Latest issues"
    assert [(f.name, (f.value or "").split(" · ")[0]) for f in embed.fields] == [
        ("Machine Learning Monthly", "Issue #28"),
        ("This Week in Rust", "Issue #96"),
    ]
    one = FakeInteraction(two)
    await invoke(two, "latest", one, newsletter="rust")
    embed = _embed(one)
    assert embed.title == "This Week in Rust 96"
    assert embed.author.name == "This Week in Rust"  # in the newsletter's own colours
    assert embed.colour is not None and embed.colour.value == 0xB7410E


async def test_issue_and_random_take_the_newsletter(two: ArchiveBot) -> None:
    issue = FakeInteraction(two)
    await invoke(two, "issue", issue, number=93, newsletter="This Week in Rust")
    assert (_embed(issue).description or "").startswith("Issue #93 · August 2015")
    missing = FakeInteraction(two)
    await invoke(two, "issue", missing, number=93, newsletter="ml")
    assert missing.last.content == "There is no issue #93. The archive holds issues #2 to #28."
    pick = FakeInteraction(two)
    await invoke(two, "random", pick, newsletter="rust")
    assert _embed(pick).author.name == "This Week in Rust"


async def test_search_covers_both_and_names_the_newsletter(two: ArchiveBot) -> None:
    both = FakeInteraction(two)
    await invoke(two, "search", both, query="tensorflow rust")
    shown = sent_text(both.last.embed, both.last.view)
    assert "— Machine Learning Monthly · #" in shown and "— This Week in Rust · #" in shown
    only = FakeInteraction(two)
    await invoke(two, "search", only, query="cargo", newsletter="rust")
    values = [f.value or "" for f in _embed(only).fields]
    assert values and all("— This Week in Rust · #" in v for v in values)


async def test_an_unknown_newsletter_is_named_with_the_choices(two: ArchiveBot) -> None:
    interaction = FakeInteraction(two)
    await invoke(two, "search", interaction, query="x", newsletter="weekly")
    assert interaction.last.ephemeral
    assert interaction.last.content == (
        "There is no newsletter “weekly” here. Choose one of: "
        "Machine Learning Monthly (`ml`), This Week in Rust (`rust`)."
    )


async def test_newsletter_autocomplete(two: ArchiveBot) -> None:
    cog: Any = two.get_cog("IssueCommands")
    checked = []
    for command in two.tree.walk_commands():
        if isinstance(command, discord.app_commands.Command) and command.name in (
            "latest",
            "issue",
            "search",
            "random",
            "set",
        ):
            options = {o["name"]: o for o in command.to_dict(two.tree)["options"]}
            assert options["newsletter"]["autocomplete"] is True, command.qualified_name
            assert options["newsletter"]["required"] is False
            checked.append(command.qualified_name)
    assert sorted(checked) == ["announce set", "archive set", "issue", "latest", "random", "search"]
    choices = await newsletter_autocomplete(FakeInteraction(two), "rus")  # type: ignore[arg-type]
    assert [(c.name, c.value) for c in choices] == [("This Week in Rust", "rust")]
    issues = FakeInteraction(two)
    issues.namespace.newsletter = "rust"
    found = await cog.issue_autocomplete(issues, "9")
    assert [c.value for c in found] == [96, 95, 94, 93, 92, 91]


async def test_a_schedule_bound_to_one_newsletter(
    two: ArchiveBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = MagicMock(spec=discord.TextChannel)
    channel.send = AsyncMock()
    monkeypatch.setattr(two, "get_channel", lambda channel_id: channel)
    setting = FakeInteraction(two, user=moderator())
    await invoke(
        two,
        "archive set",
        setting,
        channel=text_channel(500),
        schedule="0 9 * * 1",
        timezone="UTC",
        newsletter="rust",
    )
    assert (setting.last.content or "").startswith(
        "Archive picks from This Week in Rust will be posted in <#500> every Monday at 09:00, UTC"
        " (`0 9 * * 1`)."
    )
    show = FakeInteraction(two, user=moderator())
    await invoke(two, "archive show", show)
    fields = {f.name: f.value for f in _embed(show).fields}
    assert fields["Newsletter"] == "This Week in Rust"
    for _ in range(5):
        await invoke(two, "archive now", FakeInteraction(two, user=moderator()))
        assert channel.send.await_args.kwargs["embed"].author.name == "This Week in Rust"


async def test_reload_reports_per_newsletter(two: ArchiveBot) -> None:
    interaction = FakeInteraction(two, user=moderator())
    await invoke(two, "reload", interaction)
    assert interaction.last.content == (
        "**Machine Learning Monthly**: Reloaded: nothing changed. "
        "Now serving 5 issues and 49 resources."
        "\n\n**This Week in Rust**: Reloaded: nothing changed. "
        "Now serving 6 issues and 300 resources."
    )
