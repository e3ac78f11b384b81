"""Feeds through the real bot process: a feed on a local HTTP server gains an entry, and the
bot writes it into the content folder, loads it and announces it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import yaml

from tests.e2e.conftest import BotProcess
from tests.e2e.fake_discord import MODERATOR_ID, NEWS_CHANNEL_ID, FakeDiscord, option, subcommand
from tests.e2e.test_bot_end_to_end import message
from tests.feed_server import FeedServer

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def feed_server() -> AsyncIterator[FeedServer]:
    server = FeedServer()
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def bot_process(
    fake_discord: FakeDiscord, feed_server: FeedServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[BotProcess]:
    """The bot on the seeds, following a feed whose newest entry is #28 (already served)."""
    process = BotProcess(fake_discord, tmp_path_factory.mktemp("e2e-feeds"))
    data = yaml.safe_load(process.config.read_text())
    data["content"]["feeds"] = [feed_server.serve("/feed.xml", "ml-monthly-28.rss")]
    data["content"]["feed_poll_minutes"] = 0.01
    data["network"]["allow_private_hosts"] = True  # the feed server is on 127.0.0.1
    process.config.write_text(yaml.safe_dump(data, allow_unicode=True))
    await process.start()
    yield process
    process.stop()


async def test_a_new_feed_entry_is_imported_and_announced(
    fake_discord: FakeDiscord, feed_server: FeedServer, bot_process: BotProcess
) -> None:
    setting = await fake_discord.command(
        "announce",
        subcommand("set", option("channel", str(NEWS_CHANNEL_ID), 7)),
        user_id=MODERATOR_ID,
    )
    assert message(setting)["content"].startswith(
        f"New issues will be announced in <#{NEWS_CHANNEL_ID}>"
    )
    # The feed is polled again with the validators of its first answer: a 304.
    async with asyncio.timeout(30):
        while not any(status == 304 for *_, status in feed_server.requests):
            await asyncio.sleep(0.05)

    feed_server.serve("/feed.xml", "ml-monthly.rss")
    await fake_discord.wait_for_post(NEWS_CHANNEL_ID, 1, timeout=30)
    announced = fake_discord.channel_messages[NEWS_CHANNEL_ID][0]["request"]
    assert announced["content"] == "New issue of Machine Learning Monthly: #29"
    assert announced["embeds"][0]["url"] == "https://example.org/2022/05/issue-29"
    assert (bot_process.content / "issue-29.html").is_file()
    await bot_process.wait_for_log("feeds: 1 new issue file(s) written and loaded")

    shown = message(await fake_discord.command("issue", option("number", "29", 4)))
    assert "Tabular Toolkit" in str(shown)
