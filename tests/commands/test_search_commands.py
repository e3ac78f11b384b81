from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
import pytest

from bot.client import ArchiveBot
from bot.cogs.helpers import replies
from bot.render import limits
from tests.commands.helpers import FakeInteraction, invoke, member


def _field_names(embed: discord.Embed | None) -> list[str]:
    assert embed is not None
    return [str(f.name) for f in embed.fields]


async def test_search_pages_with_buttons_only_the_searcher_can_use(bot: ArchiveBot) -> None:
    searcher = member(1)
    interaction = FakeInteraction(bot, user=searcher)
    await invoke(bot, "search", interaction, query="machine learning")
    first = interaction.last
    view: Any = first.view
    assert view is not None and view.pages == 5
    assert _field_names(first.embed)[0].startswith("1. ") and len(first.embed.fields) == 5  # type: ignore[union-attr]
    assert first.embed.footer.text == "Page 1/5"  # type: ignore[union-attr]
    assert view.previous.disabled and not view.next.disabled

    click = FakeInteraction(bot, user=searcher)
    assert await view.interaction_check(click)
    await view.next.callback(click)
    assert click.last.kind == "edit" and click.last.embed.footer.text == "Page 2/5"  # type: ignore[union-attr]
    assert _field_names(click.last.embed)[0].startswith("6. ")
    assert not view.previous.disabled

    stranger = FakeInteraction(bot, user=member(2))
    assert not await view.interaction_check(stranger)
    assert stranger.last.ephemeral and "Only the person who searched" in (
        stranger.last.content or ""
    )
    assert view.page == 1

    await view.on_timeout()
    assert view.previous.disabled and view.next.disabled
    view.message.edit.assert_awaited_once_with(view=view)


async def test_a_short_result_list_has_only_save_buttons(bot: ArchiveBot) -> None:
    interaction = FakeInteraction(bot)
    await invoke(bot, "search", interaction, query="trivalaugment")
    view: Any = interaction.last.view
    buttons = [c for row in view.to_components() for c in row["components"]]
    assert view.timeout is None and [b["label"] for b in buttons] == ["Save 1", "Save 2"]
    assert buttons[0]["custom_id"].startswith("save:default/")
    assert _field_names(interaction.last.embed)[0].startswith("1. TrivialAugment")


async def test_nothing_found_suggests(bot: ArchiveBot) -> None:
    nothing = FakeInteraction(bot)
    await invoke(bot, "search", nothing, query="qqqzzzxxx")
    assert (
        nothing.last.ephemeral
        and nothing.last.content
        == "Nothing found for “qqqzzzxxx”. Try fewer or more general words."
    )
    close = FakeInteraction(bot)
    await invoke(bot, "search", close, query="thebitterlesson")
    assert close.last.ephemeral
    assert close.last.content == (
        "Nothing found for “thebitterlesson”. Did you mean: “From the archives: The Bitter Lesson by Rich Sutton”?"
    )


@pytest.mark.parametrize(
    "query", ['"', "*", "AND", "-", "title:", "💻", "x" * 200, "@everyone", "NEAR(a b)"]
)
async def test_hostile_queries_get_an_answer(bot: ArchiveBot, query: str) -> None:
    interaction = FakeInteraction(bot)
    await invoke(bot, "search", interaction, query=query)
    assert len(interaction.sent) == 1
    embed = interaction.last.embed
    if embed is not None:
        assert len(embed) <= limits.TOTAL and len(embed.title or "") <= limits.TITLE


async def test_search_autocomplete(bot: ArchiveBot) -> None:
    cog: Any = bot.get_cog("SearchCommands")
    interaction = FakeInteraction(bot)
    choices = await cog.search_autocomplete(interaction, "nutri")
    assert [c.value for c in choices][:2] == [
        "Nutrify web app: take a photo of food and learn about",
        "Nutrify: A machine learning project",
    ]
    assert len(await cog.search_autocomplete(interaction, "")) == 25
    long = await cog.search_autocomplete(interaction, "a" * 300)
    assert all(len(c.name) <= 100 and len(c.value) <= 100 for c in long)


async def test_search_cooldown_says_when_to_retry(bot: ArchiveBot) -> None:
    user = member(5)
    for _ in range(3):  # the test config allows 3 searches a minute
        ok = FakeInteraction(bot, user=user)
        await invoke(bot, "search", ok, query="resnet")
        assert not ok.last.ephemeral
    refused = FakeInteraction(bot, user=user)
    await invoke(bot, "search", refused, query="resnet")
    assert refused.last.ephemeral
    assert refused.last.content is not None and refused.last.content.startswith(
        "Easy there: you can use /search again <t:"
    )
    other = FakeInteraction(bot, user=member(6))
    await invoke(bot, "search", other, query="resnet")
    assert not other.last.ephemeral  # cooldowns are per user


async def test_random_pick_and_its_cooldown(bot: ArchiveBot) -> None:
    user = member(8)
    seen = []
    for _ in range(2):
        interaction = FakeInteraction(bot, user=user)
        await invoke(bot, "random", interaction)
        embed = interaction.last.embed
        assert (
            embed is not None
            and embed.title is not None
            and embed.title.startswith("From the archives")
        )
        assert embed.fields[0].name == "From" and not str(embed.fields[0].value).startswith(
            "Issue #28"
        )
        seen.append((embed.title, embed.description))
    assert seen[0] != seen[1]
    refused = FakeInteraction(bot, user=user)
    await invoke(bot, "random", refused)
    assert refused.last.ephemeral and "again" in (refused.last.content or "")


async def test_an_unexpected_error_gets_an_apology_with_an_id(
    bot: ArchiveBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(bot.service.search, "find", broken)
    interaction = FakeInteraction(bot)
    with caplog.at_level(logging.ERROR):
        await invoke(bot, "search", interaction, query="resnet")
    assert interaction.last.ephemeral
    message = interaction.last.content or ""
    assert message.startswith("Sorry, something went wrong on our side.")
    error_id = message.split("`")[1]
    record = next(r for r in caplog.records if error_id in r.getMessage())
    assert record.exc_info is not None and "database on fire" in str(record.exc_info[1])
    assert "Traceback" not in message


async def test_the_error_handler_answers_a_deferred_interaction_with_a_followup(
    bot: ArchiveBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("late failure")

    monkeypatch.setattr(bot.service.loader, "reload", broken)
    interaction = FakeInteraction(bot, user=member(1, manage_guild=True))
    await invoke(bot, "reload", interaction)
    assert interaction.response.deferred
    assert interaction.last.kind == "followup" and interaction.last.ephemeral
    assert (interaction.last.content or "").startswith("Sorry, something went wrong")


async def test_random_while_a_load_holds_the_write_turn_is_deferred_then_answered(
    bot: ArchiveBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pick records itself, so it waits for a content load's transaction: the command
    tells Discord it is working rather than miss its 3-second deadline."""
    monkeypatch.setattr(replies, "DEFER_AFTER_SECONDS", 0.05)
    interaction = FakeInteraction(bot, user=member(9))
    async with bot.service.db.transaction():  # a load, holding the write turn
        command = asyncio.create_task(invoke(bot, "random", interaction))
        await asyncio.sleep(0.2)
        assert interaction.response.deferred and not interaction.sent
    await command
    assert interaction.last.kind == "followup"
    embed = interaction.last.embed
    assert embed is not None and (embed.title or "").startswith("From the archives")
