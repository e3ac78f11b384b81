"""New issues that start conversations, through the real bot process with the shipped poll
(30 s): announced within seconds of a reload, as forum posts (once, across a crash) or with a
thread each; and Save → direct message → /saved → remove, before and after a restart."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import closing
from typing import Any

import pytest
import pytest_asyncio
import yaml

from bot.config import load_settings
from tests.e2e.conftest import BotProcess
from tests.e2e.fake_discord import (
    ARCHIVE_CHANNEL_ID,
    CHANNEL_ID,
    FORUM_CHANNEL_ID,
    MEMBER_ID,
    ML_TAG_ID,
    MODERATOR_ID,
    QUIET_CHANNEL_ID,
    STRANGER_ID,
    FakeDiscord,
    option,
    subcommand,
)
from tests.e2e.test_announcements import reload
from tests.e2e.test_bot_end_to_end import followed_up, is_ephemeral, message
from tests.unit.test_announcements import issue_file

pytestmark = pytest.mark.asyncio(loop_scope="module")

#: The shipped config's pace of the background passes: announcements must not wait for it.
SHIPPED_POLL = 30.0


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def bot_process(
    fake_discord: FakeDiscord, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[BotProcess]:
    process = BotProcess(fake_discord, tmp_path_factory.mktemp("e2e-conversations"))
    data = yaml.safe_load(process.config.read_text())
    data["discord"]["background_poll_seconds"] = SHIPPED_POLL
    process.config.write_text(yaml.safe_dump(data, allow_unicode=True))
    await process.start()
    yield process
    process.stop()


async def announce(fake_discord: FakeDiscord, channel_id: int, *extra: dict[str, Any]) -> str:
    reply = await fake_discord.command(
        "announce",
        subcommand("set", option("channel", str(channel_id), 7), *extra),
        user_id=MODERATOR_ID,
    )
    content: str = message(reply)["content"]
    return content


async def add_issue(fake_discord: FakeDiscord, bot_process: BotProcess, number: int) -> None:
    (bot_process.content / f"{number:03d}.md").write_text(issue_file(number, number - 24))
    assert (await reload(fake_discord)).startswith(f"Reloaded: issues added #{number}.")


async def wait_for_threads(fake_discord: FakeDiscord, count: int, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while len(fake_discord.threads) < count:
            await asyncio.sleep(0.02)


def buttons(posted: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in posted["components"] for c in row["components"]]


async def test_a_reload_announces_within_seconds_with_the_shipped_poll(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    settings = load_settings(bot_process.config)
    assert settings.discord.background_poll_seconds == SHIPPED_POLL
    assert (await announce(fake_discord, CHANNEL_ID)).startswith("New issues will be announced")
    assert (await reload(fake_discord)).startswith("Reloaded: nothing changed.")
    (bot_process.content / "029.md").write_text(issue_file(29, 5))
    started = time.monotonic()
    assert (await reload(fake_discord)).startswith("Reloaded: issues added #29.")
    posted = await fake_discord.wait_for_post(CHANNEL_ID, 1, timeout=5)
    assert time.monotonic() - started < 5
    assert posted[0]["request"]["content"] == "New issue of Machine Learning Monthly: #29"


async def test_a_new_issue_becomes_one_forum_post_once_across_a_crash(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    said = await announce(fake_discord, FORUM_CHANNEL_ID)
    assert said.endswith("Each new issue gets a forum post of its own.")
    await add_issue(fake_discord, bot_process, 30)
    await wait_for_threads(fake_discord, 1, timeout=5)
    bot_process.kill()  # right after Discord's answer: no time to record anything after it
    (post,) = fake_discord.threads.values()
    assert post["parent_id"] == str(FORUM_CHANNEL_ID) and post["type"] == 11
    assert post["name"] == "#30 · Machine Learning Monthly issue 30"
    assert post["applied_tags"] == [str(ML_TAG_ID)]
    (first,) = fake_discord.channel_messages[int(post["id"])]
    assert first["request"]["content"] == "New issue of Machine Learning Monthly: #30"
    assert first["embeds"][0]["title"] == "Machine Learning Monthly issue 30"
    assert [b["label"] for b in buttons(first)] == ["Save"]

    await bot_process.start()
    await add_issue(fake_discord, bot_process, 31)
    await wait_for_threads(fake_discord, 2, timeout=5)
    await asyncio.sleep(0.5)  # a second post of #30 would have come before #31's
    names = [t["name"] for t in fake_discord.threads.values()]
    assert names == [
        "#30 · Machine Learning Monthly issue 30",
        "#31 · Machine Learning Monthly issue 31",
    ]


async def test_thread_true_opens_one_thread_per_announcement(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    refused = await announce(fake_discord, QUIET_CHANNEL_ID, option("thread", True, 5))
    assert refused.startswith(
        f"I can't post in <#{QUIET_CHANNEL_ID}>: I'm missing Create Public Threads there."
    )
    said = await announce(fake_discord, ARCHIVE_CHANNEL_ID, option("thread", True, 5))
    assert said.endswith("Each announcement opens a thread for talking about that issue.")
    before = len(fake_discord.threads)
    for number in (32, 33):
        await add_issue(fake_discord, bot_process, number)
        await fake_discord.wait_for_post(ARCHIVE_CHANNEL_ID, number - 31, timeout=5)
        await wait_for_threads(fake_discord, before + number - 31, timeout=5)
    posts = fake_discord.channel_messages[ARCHIVE_CHANNEL_ID]
    threads = list(fake_discord.threads.values())[before:]
    assert [t["id"] for t in threads] == [p["id"] for p in posts]  # each on its announcement
    assert [t["name"] for t in threads] == [
        "#32 · Machine Learning Monthly issue 32",
        "#33 · Machine Learning Monthly issue 33",
    ]
    assert all(t["parent_id"] == str(ARCHIVE_CHANNEL_ID) for t in threads)


async def test_save_sends_a_direct_message_and_saved_lists_and_removes_it(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    found = await fake_discord.command("search", option("query", "trivialaugment"))
    result = found.original
    assert result is not None
    save = next(b for b in buttons(result) if b["label"] == "Save 1")
    pressed = await followed_up(await fake_discord.click(result, save["custom_id"]))
    assert is_ephemeral(pressed)
    assert message(pressed)["content"].startswith("Saved: I sent it to you by direct message.")
    dm = fake_discord.dm_channel(MEMBER_ID)
    assert dm is not None
    (sent,) = fake_discord.channel_messages[dm]
    assert sent["content"] == "You saved this. /saved show lists everything you saved."
    card = sent["embeds"][0]  # the title, or the text's bold opening when the text opens with it
    assert "TrivialAugment" in card["title"] + (card.get("description") or "")

    # The forum post from before the crash: its button still saves the issue.
    post = next(iter(fake_discord.threads.values()))
    first = fake_discord.channel_messages[int(post["id"])][0]
    again = await followed_up(await fake_discord.click(first, "save:default/30"))
    assert message(again)["content"].startswith("Saved: I sent it to you")
    assert len(fake_discord.channel_messages[dm]) == 2

    listed = await fake_discord.command("saved", subcommand("show"))
    assert is_ephemeral(listed)
    shown = message(listed)["embeds"][0]
    names = [f["name"] for f in shown["fields"]]
    assert names[0] == "1. Issue #30: Machine Learning Monthly issue 30"
    assert names[1].startswith("2. TrivialAugment") and len(names) == 2
    original = listed.original
    assert original is not None
    remove = next(b for b in buttons(original) if b["label"] == "Remove 1")
    removed = await fake_discord.click(original, remove["custom_id"])
    assert removed.callback["type"] == 7
    assert removed.callback["data"]["content"].startswith("Removed “Issue #30")
    with closing(sqlite3.connect(bot_process.workdir / "bot.sqlite3")) as db:
        rows = db.execute("SELECT * FROM saved").fetchall()
    assert [row[1:] for row in rows] == [(MEMBER_ID, save["custom_id"].removeprefix("save:"))]


async def test_a_member_with_closed_direct_messages_gets_the_item_privately(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    fake_discord.closed_dms.add(STRANGER_ID)
    post = next(iter(fake_discord.threads.values()))
    first = fake_discord.channel_messages[int(post["id"])][0]
    pressed = await followed_up(
        await fake_discord.click(first, "save:default/30", user_id=STRANGER_ID)
    )
    assert is_ephemeral(pressed)
    answer = message(pressed)
    assert answer["content"].startswith("Saved, but I can't send you direct messages")
    assert answer["embeds"][0]["title"] == "Machine Learning Monthly issue 30"
    cleared = await fake_discord.command("saved", subcommand("clear"), user_id=STRANGER_ID)
    assert message(cleared)["content"] == "Your saved list is empty now: 1 item removed."
