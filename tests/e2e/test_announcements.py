"""Announcements through the real bot process: /announce set, a reload that adds an issue, the
post in a news channel pinging one role and published, no second post after a restart, and
members taking and dropping the role."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing

import pytest
import pytest_asyncio
import yaml

from bot.permissions import invite_url, needed, permission_value
from tests.e2e.conftest import BotProcess
from tests.e2e.fake_discord import (
    ADMIN_ROLE_ID,
    APP_ID,
    GUILD_ID,
    MEMBER_ID,
    MODERATOR_ID,
    NEWS_CHANNEL_ID,
    NEWS_ROLE_ID,
    FakeDiscord,
    Request,
    option,
    subcommand,
)
from tests.e2e.test_bot_end_to_end import followed_up, is_ephemeral, message
from tests.unit.test_announcements import issue_file

pytestmark = pytest.mark.asyncio(loop_scope="module")

TEMPLATE = "https://example.org/{year}/{month_name}/{number}-{slug}"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def bot_process(
    fake_discord: FakeDiscord, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[BotProcess]:
    """The bot on the seeds, its newsletter giving issues without an address ``TEMPLATE``'s."""
    process = BotProcess(fake_discord, tmp_path_factory.mktemp("e2e-announce"))
    data = yaml.safe_load(process.config.read_text())
    data["newsletter"]["issue_url"] = TEMPLATE
    process.config.write_text(yaml.safe_dump(data, allow_unicode=True))
    await process.start()
    yield process
    process.stop()


async def announce(fake_discord: FakeDiscord) -> None:
    """``/announce set``: new issues announced in the news channel, pinging the news role."""
    setting = await fake_discord.command(
        "announce",
        subcommand(
            "set",
            option("channel", str(NEWS_CHANNEL_ID), 7),
            option("role", str(NEWS_ROLE_ID), 8),
        ),
        user_id=MODERATOR_ID,
    )
    assert message(setting)["content"].startswith(
        f"New issues will be announced in <#{NEWS_CHANNEL_ID}>, pinging <@&{NEWS_ROLE_ID}>."
    )


async def reload(fake_discord: FakeDiscord) -> str:
    reply = await followed_up(await fake_discord.command("reload", user_id=MODERATOR_ID))
    content: str = message(reply)["content"]
    return content


async def shown_once(fake_discord: FakeDiscord, last: int) -> dict[str, str]:
    """/announce show's fields once it counts issue ``last`` as the last announced: a post
    counts once the bot has Discord's answer and has published it, a moment after the
    stand-in has the message."""
    async with asyncio.timeout(10):
        while True:
            shown = await fake_discord.command("announce", subcommand("show"), user_id=MODERATOR_ID)
            fields = {f["name"]: f["value"] for f in message(shown)["embeds"][0]["fields"]}
            if fields["Announced"].endswith(f"the last: #{last}"):
                return fields
            await asyncio.sleep(0.1)


async def test_a_role_with_administrator_is_refused(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    refused = await fake_discord.command(
        "announce",
        subcommand(
            "set",
            option("channel", str(NEWS_CHANNEL_ID), 7),
            option("role", str(ADMIN_ROLE_ID), 8),
        ),
        user_id=MODERATOR_ID,
    )
    assert is_ephemeral(refused)
    assert message(refused)["content"].startswith(
        f"<@&{ADMIN_ROLE_ID}> grants Administrator: anyone could get that with /subscribe."
    )
    shown = await fake_discord.command("announce", subcommand("show"), user_id=MODERATOR_ID)
    assert str(ADMIN_ROLE_ID) not in str(message(shown))  # nothing was set with that role


async def test_a_new_issue_is_announced_once_pinging_its_role_and_published(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    posts = fake_discord.channel_messages[NEWS_CHANNEL_ID]
    before = len(posts)
    await announce(fake_discord)
    assert (await reload(fake_discord)).startswith("Reloaded: nothing changed.")

    (bot_process.content / "029.md").write_text(issue_file(29, 5))
    assert (await reload(fake_discord)).startswith("Reloaded: issues added #29.")
    await fake_discord.wait_for_post(NEWS_CHANNEL_ID, before + 1, timeout=10)
    announced = posts[before]["request"]
    assert announced["content"] == f"<@&{NEWS_ROLE_ID}> New issue of Machine Learning Monthly: #29"
    assert announced["allowed_mentions"] == {"parse": [], "roles": [NEWS_ROLE_ID]}
    assert announced["embeds"][0]["title"] == "Machine Learning Monthly issue 29"
    address = "https://example.org/2022/may/29-machine-learning-monthly-issue-29"
    assert announced["embeds"][0]["url"] == address
    button = announced["components"][0]["components"][0]
    assert (button["label"], button["url"]) == ("Read the issue", address)
    await bot_process.wait_for_log("announced default #29 in guild")
    async with asyncio.timeout(10):
        while not fake_discord.crossposts:
            await asyncio.sleep(0.05)
    assert fake_discord.crossposts[-1] == (NEWS_CHANNEL_ID, posts[before]["id"])

    # A crash, a restart: #29 is in the ledger. The next issue is the next post, and only it.
    bot_process.kill()
    await bot_process.start()
    (bot_process.content / "030.md").write_text(issue_file(30, 6))
    assert (await reload(fake_discord)).startswith("Reloaded: issues added #30.")
    await fake_discord.wait_for_post(NEWS_CHANNEL_ID, before + 2, timeout=10)
    assert posts[before + 1]["request"]["content"].endswith("#30")
    fields = await shown_once(fake_discord, 30)
    assert fields["Role"] == f"<@&{NEWS_ROLE_ID}>" and fields["Status"] == "active"
    assert len(posts) == before + 2


@pytest.mark.parametrize(
    ("number", "made"), [(31, True), (32, False)], ids=["made-then-killed", "killed-before"]
)
async def test_a_kill_in_mid_post_announces_exactly_once_after_the_restart(
    fake_discord: FakeDiscord, bot_process: BotProcess, number: int, made: bool
) -> None:
    """The bot is SIGKILLed with its claim made and its post sent but unanswered: made by
    Discord already (the re-sent post repeats its nonce: Discord answers with that message),
    or not (the re-sent post makes it). Either way, one message after the restart."""
    await announce(fake_discord)
    posts = fake_discord.channel_messages[NEWS_CHANNEL_ID]
    before = len(posts)
    fake_discord.hold_posts, fake_discord.hold_made = True, made
    (bot_process.content / f"0{number}.md").write_text(issue_file(number, number - 24))
    assert (await reload(fake_discord)).startswith(f"Reloaded: issues added #{number}.")
    await asyncio.wait_for(fake_discord.held.wait(), timeout=10)
    bot_process.kill()
    fake_discord.release_posts()
    assert len(posts) == before + made
    with closing(sqlite3.connect(bot_process.workdir / "bot.sqlite3")) as db:
        claim = db.execute(
            "SELECT state FROM announced_issues WHERE guild_id = ? AND issue = ?",
            (GUILD_ID, number),
        ).fetchall()
    assert claim == [("posting",)]

    await bot_process.start()
    await bot_process.wait_for_log(f"announced default #{number} in guild")
    assert "again (its last try was interrupted)" in bot_process.log
    await fake_discord.wait_for_post(NEWS_CHANNEL_ID, before + 1, timeout=10)
    await asyncio.sleep(1)  # two more announcer passes: nothing more comes
    assert len(posts) == before + 1
    assert posts[-1]["request"]["content"].endswith(f"#{number}")
    nonces = [r.body["nonce"] for r in fake_discord.requests if _announces(r, number)]
    assert len(nonces) == 2 and nonces[0] == nonces[1]
    await shown_once(fake_discord, number)


def _announces(request: Request, number: int) -> bool:
    return (
        request.method == "POST"
        and request.path == f"/api/v10/channels/{NEWS_CHANNEL_ID}/messages"
        and request.body["content"].endswith(f": #{number}")
    )


async def test_members_take_and_drop_the_announcement_role(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    await announce(fake_discord)
    path = f"/api/v10/guilds/{GUILD_ID}/members/{MEMBER_ID}/roles/{NEWS_ROLE_ID}"
    seen = len(fake_discord.requests)

    def role_changes() -> list[str]:
        """The member's role changes this test made."""
        return [r.method for r in fake_discord.requests[seen:] if r.path == path]

    taking = await fake_discord.command("subscribe", user_id=MEMBER_ID)
    assert is_ephemeral(taking)
    assert message(taking)["content"].startswith(f"You now have <@&{NEWS_ROLE_ID}>")
    assert role_changes() == ["PUT"]
    again = await fake_discord.command("subscribe", user_id=MEMBER_ID)
    assert message(again)["content"].startswith(f"You already have <@&{NEWS_ROLE_ID}>")
    dropping = await fake_discord.command("unsubscribe", user_id=MEMBER_ID)
    assert message(dropping)["content"].startswith(f"You no longer have <@&{NEWS_ROLE_ID}>")
    assert role_changes() == ["PUT", "DELETE"]


async def test_after_stop_nothing_is_announced_and_nobody_can_subscribe(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    await announce(fake_discord)
    stopped = await fake_discord.command("announce", subcommand("stop"), user_id=MODERATOR_ID)
    assert message(stopped)["content"] == "Announcements of new issues stopped."
    refused = await fake_discord.command("subscribe", user_id=MEMBER_ID)
    assert message(refused)["content"].startswith("There is no announcement role to subscribe")


async def test_only_announcements_ping_and_only_their_role(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    await announce(fake_discord)
    posts = fake_discord.channel_messages[NEWS_CHANNEL_ID]
    before = len(posts)
    (bot_process.content / "033.md").write_text(issue_file(33, 9))
    assert (await reload(fake_discord)).startswith("Reloaded: issues added #33.")
    await fake_discord.wait_for_post(NEWS_CHANNEL_ID, before + 1, timeout=10)
    announcements = [m["request"] for m in posts]
    others = [body for body in fake_discord.bot_messages() if body not in announcements]
    assert announcements[-1]["content"].endswith("#33") and others
    for body in announcements:
        assert body["allowed_mentions"] == {"parse": [], "roles": [NEWS_ROLE_ID]}
    for body in others:
        mentions = body.get("allowed_mentions")
        assert mentions is not None and mentions.get("parse") == [], body
        assert not mentions.get("users") and not mentions.get("roles")


async def test_issue_cards_link_back_stated_address_first_then_the_template(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    for number, address in (
        (15, "https://zerotomastery.io/blog/machine-learning-monthly-march-2021/"),
        (23, "https://example.org/2021/november/23-machine-learning-monthly-newsletter"),
    ):
        shown = message(await fake_discord.command("issue", option("number", number, 4)))
        assert shown["embeds"][0]["url"] == address
        button = shown["components"][0]["components"][0]
        assert (button["label"], button["url"]) == ("Read the issue", address)


async def test_the_bot_asks_for_the_guilds_intent_alone_and_logs_its_invite(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    assert fake_discord.identify_payloads
    assert {identify["intents"] for identify in fake_discord.identify_payloads} == {1}
    invite = invite_url(APP_ID, permission_value(needed(role_subscriptions=True)))
    assert f"invite link (the permissions the enabled features need): {invite}" in bot_process.log
