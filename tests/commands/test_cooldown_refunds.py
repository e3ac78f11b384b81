"""A /search or /random that found nothing or failed does not use up the member's cooldown
(the test config allows 3 searches and 2 picks a minute)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.client import ArchiveBot
from bot.render.messages import NOTHING_IN_ARCHIVES
from tests.commands.helpers import FakeInteraction, invoke, member


def _refused(interaction: FakeInteraction) -> bool:
    return (interaction.last.content or "").startswith("Easy there")


async def _search(bot: ArchiveBot, user_id: int, query: str) -> FakeInteraction:
    interaction = FakeInteraction(bot, user=member(user_id))
    await invoke(bot, "search", interaction, query=query)
    return interaction


async def test_searches_that_find_nothing_do_not_count(bot: ArchiveBot) -> None:
    for _ in range(5):
        nothing = await _search(bot, 21, "qqqzzzxxx")
        assert (nothing.last.content or "").startswith("Nothing found")
    found = [await _search(bot, 21, "resnet") for _ in range(4)]
    assert [_refused(i) for i in found] == [False, False, False, True]


async def test_searches_that_fail_do_not_count(
    bot: ArchiveBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("database on fire")

    with monkeypatch.context() as patch, caplog.at_level(logging.CRITICAL):
        patch.setattr(bot.service.search, "find", broken)
        for _ in range(5):
            failed = await _search(bot, 22, "resnet")
            assert (failed.last.content or "").startswith("Sorry, something went wrong")
    found = [await _search(bot, 22, "resnet") for _ in range(4)]
    assert [_refused(i) for i in found] == [False, False, False, True]


async def test_random_with_nothing_in_the_archives_does_not_count(
    bot: ArchiveBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def nothing(*_: object) -> None:
        return None

    user = member(23)
    with monkeypatch.context() as patch:
        patch.setattr(bot.service.picks, "pick", nothing)
        for _ in range(4):
            empty = FakeInteraction(bot, user=user)
            await invoke(bot, "random", empty)
            assert empty.last.content == NOTHING_IN_ARCHIVES
    picks = []
    for _ in range(3):
        interaction = FakeInteraction(bot, user=user)
        await invoke(bot, "random", interaction)
        picks.append(interaction)
    assert [i.last.embed is not None for i in picks] == [True, True, False]
    assert _refused(picks[-1])


async def test_a_refused_use_gives_nothing_back(bot: ArchiveBot) -> None:
    """The cooldown message itself goes through the error handler: it must not refund."""
    found = [await _search(bot, 24, "resnet") for _ in range(6)]
    assert [_refused(i) for i in found] == [False, False, False, True, True, True]
