"""Two newsletters side by side through the real bot process: the seeds (``ml``) and six real
issues of This Week in Rust (``rust``), in a database that release 0.1.0 wrote."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.archive.schema import SCHEMA_VERSION
from tests.conftest import ROOT, TWIR, write_two_newsletter_config
from tests.e2e.conftest import BotProcess
from tests.e2e.fake_discord import (
    ARCHIVE_CHANNEL_ID,
    MODERATOR_ID,
    FakeDiscord,
    option,
    subcommand,
)
from tests.e2e.test_bot_end_to_end import first_embed, followed_up, message

pytestmark = pytest.mark.asyncio(loop_scope="module")

RELEASE_0_1 = ROOT / "tests" / "data" / "release-0.1.0.sqlite3"


class TwoNewsletterBot(BotProcess):
    """The bot serving the seeds and This Week in Rust, started on release 0.1.0's database."""

    def __init__(self, fake: FakeDiscord, workdir: Path) -> None:
        super().__init__(fake, workdir)
        self.twir = workdir / "twir"
        shutil.copytree(TWIR, self.twir)
        self.config = write_two_newsletter_config(
            workdir,
            self.content,
            self.twir,
            background_poll_seconds=0.5,
            schedule_min_interval_minutes=1,
            moderator_role_ids=[],
        )
        self.database = workdir / "bot.sqlite3"
        shutil.copy(RELEASE_0_1, self.database)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def two_bot(
    fake_discord: FakeDiscord, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[TwoNewsletterBot]:
    process = TwoNewsletterBot(fake_discord, tmp_path_factory.mktemp("e2e-two"))
    await process.start()
    yield process
    process.stop()


async def test_the_0_1_database_is_upgraded_with_user_state_intact(
    two_bot: TwoNewsletterBot,
) -> None:
    with sqlite3.connect(two_bot.database) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        schedules = db.execute(
            "SELECT guild_id, channel_id, cron, newsletter FROM schedules ORDER BY guild_id"
        ).fetchall()
        assert [(g, c, n) for g, c, _, n in schedules] == [(42, 500, None), (43, 600, None)]
        keys = [k for (k,) in db.execute("SELECT resource_key FROM pick_history")]
        assert keys and all(key.startswith("ml/") for key in keys)
        slots = db.execute("SELECT guild_id, slot FROM posted_slots WHERE guild_id = 42")
        assert ("42", "2026-10-26T08:00:00+00:00") in [(str(g), s) for g, s in slots]
        served = db.execute(
            "SELECT newsletter, count(*) FROM issues GROUP BY newsletter ORDER BY newsletter"
        ).fetchall()
        assert served == [("ml", 5), ("rust", 6)]
    assert "broken.txt" in two_bot.log  # the seeds' broken file is named; the rest is served
    assert "content loaded for ml: 5 issues, 49 resources" in two_bot.log
    assert "content loaded for rust: 6 issues, 300 resources" in two_bot.log


async def test_latest_lists_each_newsletter(
    fake_discord: FakeDiscord, two_bot: TwoNewsletterBot
) -> None:
    every = first_embed(await fake_discord.command("latest"))
    assert every["title"] == "Latest issues"
    assert [(f["name"], f["value"].split(" · ")[0]) for f in every["fields"]] == [
        ("Machine Learning Monthly", "Issue #28"),
        ("This Week in Rust", "Issue #96"),
    ]
    rust = first_embed(await fake_discord.command("latest", option("newsletter", "rust")))
    assert rust["title"] == "This Week in Rust 96"
    assert rust["author"]["name"] == "This Week in Rust"


async def test_search_across_both_shows_the_newsletter(
    fake_discord: FakeDiscord, two_bot: TwoNewsletterBot
) -> None:
    reply = await fake_discord.command("search", option("query", "tensorflow rust"))
    values = [f["value"] for f in first_embed(reply)["fields"]]
    assert any("— Machine Learning Monthly · #" in v for v in values)
    assert any("— This Week in Rust · #" in v for v in values)
    chosen = await fake_discord.command(
        "search", option("query", "compiler"), option("newsletter", "rust")
    )
    values = [f["value"] for f in first_embed(chosen)["fields"]]
    assert values and all("— This Week in Rust · #" in v for v in values)


async def test_newsletter_autocomplete(
    fake_discord: FakeDiscord, two_bot: TwoNewsletterBot
) -> None:
    reply = await fake_discord.autocomplete("random", option("newsletter", "we", focused=True))
    assert reply.callback["data"]["choices"] == [{"name": "This Week in Rust", "value": "rust"}]


async def test_a_schedule_bound_to_one_newsletter(
    fake_discord: FakeDiscord, two_bot: TwoNewsletterBot
) -> None:
    posts = fake_discord.channel_messages[ARCHIVE_CHANNEL_ID]
    setting = await fake_discord.command(
        "archive",
        subcommand(
            "set",
            option("channel", str(ARCHIVE_CHANNEL_ID), 7),
            option("schedule", "0 9 * * 1"),
            option("timezone", "UTC"),
            option("newsletter", "rust"),
        ),
        user_id=MODERATOR_ID,
    )
    assert message(setting)["content"].startswith(
        f"Archive picks from This Week in Rust will be posted in <#{ARCHIVE_CHANNEL_ID}>"
    )
    shown = await fake_discord.command("archive", subcommand("show"), user_id=MODERATOR_ID)
    fields = {f["name"]: f["value"] for f in first_embed(shown)["fields"]}
    assert fields["Newsletter"] == "This Week in Rust"
    for count in range(1, 4):
        now = await followed_up(
            await fake_discord.command("archive", subcommand("now"), user_id=MODERATOR_ID)
        )
        assert message(now)["content"].startswith("Posted “")
        await fake_discord.wait_for_post(ARCHIVE_CHANNEL_ID, count, timeout=5)
    assert [p["embeds"][0]["author"]["name"] for p in posts] == ["This Week in Rust"] * 3
