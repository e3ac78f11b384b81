"""/search narrowed by issue, year and section, their autocomplete, and private answers with a
Share button only the searcher can press."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from bot.client import ArchiveBot
from tests.commands.helpers import FakeInteraction, invoke, member


async def test_filters_narrow_and_the_card_says_how(bot: ArchiveBot) -> None:
    interaction = FakeInteraction(bot)
    await invoke(bot, "search", interaction, query="model", issue=23, section="from the internet")
    shown = interaction.last.embed
    assert shown is not None and not interaction.last.ephemeral
    assert shown.description is not None and shown.description.endswith(
        " in issue #23 · in “from the internet”"
    )
    assert all("#23" in str(field.value) for field in shown.fields)
    yearly = FakeInteraction(bot)
    await invoke(bot, "search", yearly, query="model", year=2020)
    assert yearly.last.embed is not None
    assert all("2020" in str(field.value) for field in yearly.last.embed.fields)


async def test_nothing_found_within_filters_says_so_and_gives_the_use_back(
    bot: ArchiveBot,
) -> None:
    for _ in range(4):  # more than the cooldown's 3: a search that found nothing is refunded
        interaction = FakeInteraction(bot, user=member(5))
        await invoke(bot, "search", interaction, query="model", issue=15, year=2020)
        assert interaction.last.ephemeral and interaction.last.content == (
            "Nothing found for “model” in issue #15 · from 2020. Try without those filters."
        )


async def test_issue_year_and_section_autocomplete_from_what_exists(bot: ArchiveBot) -> None:
    cog: Any = bot.get_cog("SearchCommands")
    issues = await cog.issue_autocomplete(FakeInteraction(bot), "2")
    assert [c.value for c in issues] == [28, 23, 2]
    years = await cog.year_autocomplete(FakeInteraction(bot), "")
    assert [c.value for c in years] == [2022, 2021, 2020]
    sections = await cog.section_autocomplete(FakeInteraction(bot), "work")
    assert [c.value for c in sections] == ["My work"]
    unknown = FakeInteraction(bot, namespace=SimpleNamespace(newsletter="nope"))
    assert await cog.section_autocomplete(unknown, "") != []  # an unknown newsletter: all


async def test_a_private_answer_has_a_share_button_for_the_searcher_only(
    bot: ArchiveBot,
) -> None:
    searcher = member(1)
    interaction = FakeInteraction(bot, user=searcher)
    await invoke(bot, "search", interaction, query="trivalaugment", private=True)
    answer = interaction.last
    view: Any = answer.view
    assert answer.ephemeral and view is not None
    assert [item.label for item in view.children] == ["Share", "Save 1", "Save 2"]  # no paging

    stranger = FakeInteraction(bot, user=member(2), data={"custom_id": view.share.custom_id})
    assert not await view.interaction_check(stranger)
    assert stranger.last.ephemeral and stranger.last.content == (
        "Only the person who searched can share these results: run /search to get your own."
    )

    press = FakeInteraction(bot, user=searcher, data={"custom_id": view.share.custom_id})
    assert await view.interaction_check(press)
    await view.share.callback(press)
    shared = press.last
    assert not shared.ephemeral and shared.content == f"{searcher.mention} shared this search:"
    assert shared.embed is not None and shared.embed.title == answer.embed.title  # type: ignore[union-attr]
    assert view.share.disabled
    view.message.edit.assert_awaited_once_with(view=view)


async def test_a_private_answer_of_several_pages_pages_and_shares(bot: ArchiveBot) -> None:
    interaction = FakeInteraction(bot, user=member(1))
    await invoke(bot, "search", interaction, query="machine learning", private=True)
    view: Any = interaction.last.view
    assert interaction.last.ephemeral
    saves = [f"Save {n}" for n in range(1, 6)]
    assert [item.label for item in view.children] == ["Previous", "Next", "Share", *saves]
    public = FakeInteraction(bot, user=member(1))
    await invoke(bot, "search", public, query="machine learning")
    assert [item.label for item in public.last.view.children] == ["Previous", "Next", *saves]  # type: ignore[union-attr]
