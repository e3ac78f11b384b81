"""/search narrowed and private through the real bot process: the filters, their autocomplete,
an ephemeral answer and its Share button (a stranger refused, the searcher's share public)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import BotProcess
from tests.e2e.fake_discord import MEMBER_ID, STRANGER_ID, FakeDiscord, option
from tests.e2e.test_bot_end_to_end import first_embed, is_ephemeral, message

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_filters_narrow_the_results(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    reply = await fake_discord.command(
        "search",
        option("query", "model"),
        option("issue", 23, 4),
        option("section", "from the internet"),
    )
    embed = first_embed(reply)
    assert embed["description"].endswith(" in issue #23 · in “from the internet”")
    assert embed["fields"] and all("#23" in field["value"] for field in embed["fields"])
    nothing = await fake_discord.command(
        "search", option("query", "model"), option("year", 2019, 4)
    )
    assert is_ephemeral(nothing)
    assert message(nothing)["content"] == (
        "Nothing found for “model” from 2019. Try without those filters."
    )


async def test_filter_options_autocomplete_from_what_exists(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    sections = await fake_discord.autocomplete(
        "search", option("query", "model"), option("section", "work", focused=True)
    )
    assert [c["value"] for c in sections.callback["data"]["choices"]] == ["My work"]
    years = await fake_discord.autocomplete(
        "search", option("query", "model"), option("year", "", 4, focused=True)
    )
    assert [c["value"] for c in years.callback["data"]["choices"]] == [2022, 2021, 2020]
    issues = await fake_discord.autocomplete(
        "search", option("query", "model"), option("issue", "2", 4, focused=True)
    )
    assert [c["value"] for c in issues.callback["data"]["choices"]] == [28, 23, 2]


async def test_a_private_answer_is_shared_by_the_searcher_only(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    reply = await fake_discord.command(
        "search", option("query", "trivalaugment"), option("private", True, 5), user_id=MEMBER_ID
    )
    assert is_ephemeral(reply)
    buttons = message(reply)["components"][0]["components"]
    assert [b["label"] for b in buttons] == ["Share"]
    original = reply.original
    assert original is not None

    refused = await fake_discord.click(original, buttons[0]["custom_id"], user_id=STRANGER_ID)
    assert refused.callback["type"] == 4 and is_ephemeral(refused)
    assert message(refused)["content"].startswith("Only the person who searched can share")

    shared = await fake_discord.click(original, buttons[0]["custom_id"], user_id=MEMBER_ID)
    assert shared.callback["type"] == 4 and not is_ephemeral(shared)
    public = message(shared)
    assert public["content"] == f"<@{MEMBER_ID}> shared this search:"
    assert public["allowed_mentions"] == {"parse": []}  # the mention pings nobody
    assert public["embeds"][0]["title"] == first_embed(reply)["title"]
