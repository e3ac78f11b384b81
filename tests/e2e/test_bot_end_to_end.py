"""The real bot process against the local stand-in for Discord, over real sockets.

The tests share one bot process (the last one restarts it, then stops it); each sets up what
it needs, so that any of them passes alone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import sqlite3
import sys
from contextlib import closing
from typing import Any

import pytest

from bot.render import limits
from bot.render.titles import MAX_TITLE
from tests.cards import discord_text
from tests.conftest import ROOT
from tests.e2e.conftest import LAUNCHER, BotProcess
from tests.e2e.fake_discord import (
    ARCHIVE_CHANNEL_ID,
    GUILD_ID,
    MEMBER_ID,
    MODERATOR_ID,
    STRANGER_ID,
    FakeDiscord,
    Interaction,
    option,
    subcommand,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

EPHEMERAL = 64
MANAGE_GUILD = 1 << 5  # discord.py sends the permission bits as a number
NEW_ISSUE = "---\nnumber: 29\ndate: 2022-05\nurl: https://example.org/issues/29\n---\n# Machine Learning Monthly May 2022\n\n## A brand new tool\n\nIt does things.\n"


def message(reply: Interaction) -> dict[str, Any]:
    """What the bot answered: the callback's message, or the followup after a deferral."""
    callback = reply.callback
    if callback["type"] == 5:
        assert reply.followups, "a deferred interaction needs a followup"
        return reply.followups[-1]
    data: dict[str, Any] = callback["data"]
    return data


def first_embed(reply: Interaction) -> dict[str, Any]:
    embeds: list[dict[str, Any]] = message(reply)["embeds"]
    return embeds[0]


def is_ephemeral(reply: Interaction) -> bool:
    return bool((message(reply).get("flags") or 0) & EPHEMERAL) or bool(
        reply.callback["type"] == 5
        and (reply.callback.get("data") or {}).get("flags", 0) & EPHEMERAL
    )


async def followed_up(reply: Interaction, timeout: float = 3.0) -> Interaction:
    """Wait for the followup that completes a deferred answer."""
    async with asyncio.timeout(timeout):
        while reply.callback["type"] == 5 and not reply.followups:
            await asyncio.sleep(0.02)
    return reply


async def test_logs_in_and_syncs_commands_with_the_right_payloads(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    assert fake_discord.identifies == 1 and fake_discord.command_syncs == 1
    commands = {c["name"]: c for c in fake_discord.global_commands}
    assert set(commands) == {
        "latest", "issue", "search", "random", "archive", "reload", "about",
        "announce", "subscribe", "unsubscribe", "import", "saved", "links",
    }  # fmt: skip
    for command in commands.values():
        assert command["description"]
        for opt in command.get("options", []):
            assert opt["description"]
            for sub in opt.get("options", []):
                assert sub["description"]
    assert commands["archive"]["default_member_permissions"] == MANAGE_GUILD
    assert commands["reload"]["default_member_permissions"] == MANAGE_GUILD
    assert all(
        commands[n]["default_member_permissions"] is None
        for n in ("latest", "issue", "search", "random", "about")
    )
    assert (
        commands["archive"]["dm_permission"] is False
        and commands["reload"]["dm_permission"] is False
    )
    assert commands["archive"]["contexts"] == commands["reload"]["contexts"] == [0]  # guild only
    archive = {o["name"]: o for o in commands["archive"]["options"]}
    assert set(archive) == {"set", "show", "now", "preview", "stop"}
    set_options = archive["set"]["options"]
    assert [o["name"] for o in set_options] == [
        "channel",
        "schedule",
        "preset",
        "time",
        "weekday",
        "day",
        "timezone",
        "newsletter",
    ]
    assert set_options[0]["type"] == 7 and set_options[0]["required"] is True
    assert all(o["required"] is False for o in set_options[1:])
    assert [c["value"] for c in set_options[2]["choices"]] == ["daily", "weekly", "monthly"]
    search_query = commands["search"]["options"][0]
    assert (search_query["name"], search_query["autocomplete"], search_query["max_length"]) == (
        "query",
        True,
        200,
    )
    assert commands["issue"]["options"][0]["autocomplete"] is True


async def test_sync_command_forces_a_sync_and_exits(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    before = fake_discord.command_syncs
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(LAUNCHER), fake_discord.base, "sync", "--config", str(bot_process.config),
        cwd=ROOT, env={**os.environ, "DISCORD_TOKEN": "e2e.fake.token"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, output.decode()
    assert fake_discord.command_syncs == before + 1  # unchanged definitions, synced all the same
    assert fake_discord.identifies == 1  # it never opened a gateway session


async def test_latest(fake_discord: FakeDiscord, bot_process: BotProcess) -> None:
    reply = await fake_discord.command("latest")
    assert reply.latency < 3
    embed = first_embed(reply)
    assert embed["title"] == "Machine Learning Monthly Newsletter"
    assert embed["description"].startswith("Issue #28 · about April 2022")
    await bot_process.wait_for_log(f"/latest in guild {GUILD_ID}: ")
    assert str(MEMBER_ID) not in bot_process.log  # user ids only at DEBUG


async def test_issue_found_and_not_found(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    found = await fake_discord.command("issue", option("number", 7, 4))
    assert first_embed(found)["description"].startswith("Issue #7 · July 2020")
    missing = await fake_discord.command("issue", option("number", 3, 4))
    assert is_ephemeral(missing)
    assert (
        message(missing)["content"] == "There is no issue #3. The archive holds issues #2 to #28."
    )


async def test_search_pages_with_buttons(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    reply = await fake_discord.command(
        "search", option("query", "machine learning"), user_id=MEMBER_ID
    )
    embed = first_embed(reply)
    assert len(embed["fields"]) == 5 and embed["footer"]["text"] == "Page 1/5"
    buttons = message(reply)["components"][0]["components"]
    assert [b["label"] for b in buttons] == ["Previous", "Next"]
    assert buttons[0]["disabled"] is True and buttons[1]["disabled"] is False
    original = reply.original
    assert original is not None

    turned = await fake_discord.click(original, buttons[1]["custom_id"], user_id=MEMBER_ID)
    assert turned.callback["type"] == 7  # the message itself is updated
    assert turned.callback["data"]["embeds"][0]["footer"]["text"] == "Page 2/5"
    assert turned.callback["data"]["embeds"][0]["fields"][0]["name"].startswith("6. ")

    refused = await fake_discord.click(original, buttons[1]["custom_id"], user_id=STRANGER_ID)
    assert refused.callback["type"] == 4 and is_ephemeral(refused)
    assert message(refused)["content"].startswith("Only the person who searched")


@pytest.mark.parametrize(
    ("query", "expected"),
    [("trivalaugment", "1. TrivialAugment"), ("contrastve los", "1. Contrastive Loss Explained")],
)
async def test_search_forgives_typos(
    fake_discord: FakeDiscord, bot_process: BotProcess, query: str, expected: str
) -> None:
    reply = await fake_discord.command("search", option("query", query), user_id=MODERATOR_ID)
    assert first_embed(reply)["fields"][0]["name"].startswith(expected)


async def test_search_with_nothing_found(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    reply = await fake_discord.command("search", option("query", "qqqzzzxxx"), user_id=STRANGER_ID)
    assert is_ephemeral(reply)
    assert (
        message(reply)["content"]
        == "Nothing found for “qqqzzzxxx”. Try fewer or more general words."
    )


HOSTILE = [
    '"',
    "*",
    "AND OR NOT",
    "- : ^",
    "💻🤖",
    "x" * 200,
    "@everyone <@123>",
    "'; DROP TABLE issues; --",
]


@pytest.mark.parametrize(("user_id", "query"), list(enumerate(HOSTILE, start=1000)))
async def test_search_hostile_strings_and_nothing_found(
    fake_discord: FakeDiscord, bot_process: BotProcess, user_id: int, query: str
) -> None:
    reply = await fake_discord.command("search", option("query", query), user_id=user_id)
    body = message(reply)
    assert body.get("embeds") or body["content"].startswith("Nothing found for")


async def test_autocomplete(fake_discord: FakeDiscord, bot_process: BotProcess) -> None:
    search = await fake_discord.autocomplete("search", option("query", "nutri", focused=True))
    assert search.callback["type"] == 8
    choices = search.callback["data"]["choices"]
    assert choices and len(choices) <= 25
    assert choices[0]["name"] == "Nutrify web app: take a photo of food and learn about"
    everything = await fake_discord.autocomplete("search", option("query", "", focused=True))
    assert len(everything.callback["data"]["choices"]) == 25
    issue = await fake_discord.autocomplete("issue", option("number", "2", 4, focused=True))
    assert [c["value"] for c in issue.callback["data"]["choices"]] == [28, 23, 2]


async def test_random_and_about(fake_discord: FakeDiscord, bot_process: BotProcess) -> None:
    pick = await fake_discord.command("random", user_id=MEMBER_ID)
    embed = first_embed(pick)
    assert embed["title"].startswith("From the archives")
    assert embed["fields"][0]["name"] == "From" and not embed["fields"][0]["value"].startswith(
        "Issue #28"
    )
    about = await fake_discord.command("about")
    fields = {f["name"]: f["value"] for f in first_embed(about)["fields"]}
    assert (fields["Issues"], fields["Resources"]) == ("5", "49")
    assert fields["Latency"].endswith(" ms")


FILE_NAME = re.compile(r"\w+\.(txt|md)\b")


async def test_what_members_see_in_latest_issue_search_and_random(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    """Issue 13 through the real process: short titles, text that doesn't repeat them, no
    file names, month and section on results and picks, approximate dates marked."""
    latest = discord_text(message(await fake_discord.command("latest")))
    assert "│ Issue #28 · about April 2022\n" in latest
    assert latest.endswith("│ 12 resources\n[ Save ]")
    assert not FILE_NAME.search(latest) and "source:" not in latest

    issue = first_embed(await fake_discord.command("issue", option("number", 2, 4)))
    bullets = [line[2:] for line in issue["description"].splitlines() if line.startswith("• ")]
    assert len(bullets) == 9 and all(len(b) <= MAX_TITLE for b in bullets)
    assert "A Recipe for Training Neural Networks" in bullets
    assert "Issue #2 · about February 2020" in issue["description"]
    assert not FILE_NAME.search(discord_text({"embeds": [issue]}))

    search = message(await fake_discord.command("search", option("query", "pytorch"), user_id=2001))
    shown = discord_text(search)
    assert "│ 1. New ZTM PyTorch course (coming soon)\n│ I’m working on a hands-on" in shown
    assert "│ — #28 · about April 2022 · My work" in shown
    assert not FILE_NAME.search(shown)

    for user_id in (2002, 2003):
        pick = first_embed(await fake_discord.command("random", user_id=user_id))
        title = pick["title"].removeprefix("From the archives: ")
        assert len(title) <= MAX_TITLE
        assert not pick.get("description", "").startswith(title.rstrip("…") + " —")
        assert pick.get("description") != title
        assert re.fullmatch(
            r"Issue #(2|7|15|23) · (about )?[A-Z][a-z]+ 20\d\d( · .+)?", pick["fields"][0]["value"]
        )
        assert not FILE_NAME.search(discord_text({"embeds": [pick]}))


async def test_members_without_manage_server_are_refused(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    for reply in (
        await fake_discord.command("reload", user_id=MEMBER_ID),
        await fake_discord.command(
            "archive",
            subcommand(
                "set",
                option("channel", str(ARCHIVE_CHANNEL_ID), 7),
                option("schedule", "0 9 * * *"),
            ),
            user_id=MEMBER_ID,
        ),
    ):
        assert is_ephemeral(reply)
        assert message(reply)["content"].startswith("This command is for moderators")
    await bot_process.wait_for_log("not a moderator", occurrences=2)


async def test_reload_serves_a_new_issue_and_survives_a_broken_file(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    (bot_process.content / "029.md").write_text(NEW_ISSUE)
    reply = await followed_up(await fake_discord.command("reload", user_id=MODERATOR_ID))
    assert message(reply)["content"].startswith(
        "Reloaded: issues added #29. Now serving 6 issues and 50 resources.\nProblems:\n"
        "• `broken.txt:1: error: no issue number found"
    )
    latest = await fake_discord.command("latest")
    assert first_embed(latest)["title"] == "Machine Learning Monthly May 2022"
    # Its web address is known: the card links there, with a button, and names no file.
    assert first_embed(latest)["url"] == "https://example.org/issues/29"
    assert message(latest)["components"][0]["components"] == [
        {
            "type": 2,
            "style": 5,
            "disabled": False,
            "label": "Read the issue",
            "url": "https://example.org/issues/29",
        },
        {
            "type": 2,
            "style": 2,
            "disabled": False,
            "label": "Save",
            "custom_id": "save:default/29",
        },
    ]
    shown = discord_text(message(latest))
    assert shown.endswith("│ 1 resource\n[ Read the issue ↗ ] [ Save ]") and "029.md" not in shown

    # A file that now fails keeps its previous version; the reply names it and the reason.
    (bot_process.content / "029.md").write_text("---\nnumber: [twenty-nine\n---\n")
    broken = await followed_up(await fake_discord.command("reload", user_id=MODERATOR_ID))
    content = message(broken)["content"]
    assert content.startswith(
        "Reloaded: nothing changed. Now serving 6 issues and 50 resources.\n"
        "Kept the previous version of 029.md (see below)."
    )
    assert "029.md:2: error: front matter is not valid YAML" in content
    still = await fake_discord.command("latest")
    assert first_embed(still)["title"] == "Machine Learning Monthly May 2022"
    (bot_process.content / "029.md").write_text(NEW_ISSUE)


async def test_a_broken_file_at_start_is_skipped_and_the_others_served(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    assert "content: broken.txt:1: error: no issue number found" in bot_process.log
    reply = await fake_discord.command("issue", {"name": "number", "type": 4, "value": 15})
    assert first_embed(reply)["description"].startswith("Issue #15")


async def test_the_gateway_drops_and_the_bot_resumes(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    served = first_embed(await fake_discord.command("latest"))["title"]
    await fake_discord.drop_connection()
    await asyncio.wait_for(fake_discord.ready.wait(), timeout=20)
    assert fake_discord.resumes >= 1
    reply = await fake_discord.command("latest")
    assert first_embed(reply)["title"] == served


def _slots(log: str) -> list[str]:
    return re.findall(r"archive post for guild \d+, schedule \d+, slot (\S+):", log)


async def test_archive_set_with_a_preset_in_plain_words(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    setting = await fake_discord.command(
        "archive",
        subcommand(
            "set",
            option("channel", str(ARCHIVE_CHANNEL_ID), 7),
            option("preset", "weekly"),
            option("time", "09:30"),
            option("weekday", "Friday"),
            option("timezone", "Europe/Paris"),
        ),
        user_id=MODERATOR_ID,
    )
    assert message(setting)["content"].startswith(
        f"Archive picks will be posted in <#{ARCHIVE_CHANNEL_ID}> every Friday at 09:30,"
        " Europe/Paris (`30 9 * * 5`). Next runs:"
    )
    shown = await fake_discord.command("archive", subcommand("show"), user_id=MODERATOR_ID)
    fields = {f["name"]: f["value"] for f in first_embed(shown)["fields"]}
    assert fields["Schedule"] == "every Friday at 09:30, Europe/Paris (`30 9 * * 5`)"
    preview = await fake_discord.command("archive", subcommand("preview"), user_id=MODERATOR_ID)
    assert is_ephemeral(preview)
    assert message(preview)["content"].startswith(
        f"The next post in <#{ARCHIVE_CHANNEL_ID}> on <t:"
    )
    assert first_embed(preview)["title"].startswith("From the archives")
    assert fake_discord.channel_messages[ARCHIVE_CHANNEL_ID] == []  # a preview posts nothing
    unclear = await fake_discord.command(
        "archive",
        subcommand("set", option("channel", str(ARCHIVE_CHANNEL_ID), 7), option("preset", "daily")),
        user_id=MODERATOR_ID,
    )
    assert is_ephemeral(unclear)
    assert message(unclear)["content"] == "A preset needs a `time` (HH:MM), e.g. 09:00."

    # A second schedule is added beside the first; each is then named by its id.
    second = await fake_discord.command(
        "archive",
        subcommand(
            "set",
            option("channel", str(ARCHIVE_CHANNEL_ID), 7),
            option("schedule", "0 12 1 * *"),
            option("timezone", "UTC"),
        ),
        user_id=MODERATOR_ID,
    )
    added = re.search(r"This is schedule #(\d+):", message(second)["content"])
    first_id = re.search(r"This is schedule #(\d+):", message(setting)["content"])
    assert added is not None and first_id is not None
    ids = [int(first_id.group(1)), int(added.group(1))]
    shown = await fake_discord.command("archive", subcommand("show"), user_id=MODERATOR_ID)
    assert [e["title"] for e in message(shown)["embeds"]] == [f"Archive schedule #{i}" for i in ids]
    offered = await fake_discord.autocomplete(
        "archive", subcommand("stop", option("id", "", 4, focused=True))
    )
    assert [c["value"] for c in offered.callback["data"]["choices"]] == ids
    which = await fake_discord.command("archive", subcommand("preview"), user_id=MODERATOR_ID)
    assert message(which)["content"] == (
        f"This server has several archive schedules (#{ids[0]}, #{ids[1]}): say which with `id`."
    )
    for schedule_id in ids:
        stopped = await fake_discord.command(
            "archive", subcommand("stop", option("id", schedule_id, 4)), user_id=MODERATOR_ID
        )
        assert message(stopped)["content"] == (
            f"Scheduled archive posts stopped (schedule #{schedule_id})."
        )
    assert fake_discord.channel_messages[ARCHIVE_CHANNEL_ID] == []


#: One of each kind of reply (cards, pages, refusals, nothing found, moderator panels), each
#: asked by a user of its own so that no cooldown of an earlier test's users refuses it.
EVERY_KIND_OF_REPLY: list[tuple[int, str, tuple[dict[str, Any], ...]]] = [
    (3001, "latest", ()),
    (3001, "issue", (option("number", 7, 4),)),
    (3001, "issue", (option("number", 3, 4),)),
    (3002, "search", (option("query", "machine learning"),)),
    (3003, "search", (option("query", "qqqzzzxxx"),)),
    (3004, "random", ()),
    (3001, "about", ()),
    (MEMBER_ID, "reload", ()),
    (MODERATOR_ID, "archive", (subcommand("show"),)),
    (MODERATOR_ID, "announce", (subcommand("show"),)),
]


async def test_every_message_pings_nobody_and_fits_discord_limits(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    # The replies this test asks for itself, beside those of every test before it.
    asked = len(fake_discord.bot_messages())
    for user_id, name, options in EVERY_KIND_OF_REPLY:
        await followed_up(await fake_discord.command(name, *options, user_id=user_id))
    assert len(fake_discord.bot_messages()) - asked >= len(EVERY_KIND_OF_REPLY)
    every_message_fits(fake_discord)


def every_message_fits(fake_discord: FakeDiscord) -> None:
    """Every message the bot sent so far fits (``fits_discord``); every interaction was
    answered in time."""
    for body in fake_discord.bot_messages():
        fits_discord(body)
    answered = [i for i in fake_discord.interactions.values() if i.answered_at is not None]
    assert len(answered) == len(fake_discord.interactions)
    assert max(i.latency for i in answered) < 3


def fits_discord(body: dict[str, Any]) -> None:
    """A message of the bot's pings nobody, fits Discord's limits and names no file."""
    mentions = body.get("allowed_mentions")
    assert mentions is not None and mentions.get("parse") == [], body
    assert (
        not mentions.get("users") and not mentions.get("roles") and not mentions.get("replied_user")
    )
    assert len(body.get("content") or "") <= 2000
    if not (body.get("flags") or 0) & EPHEMERAL:  # what members see names no file
        public = re.sub(r"https?://\S+", "", discord_text(body))
        assert not FILE_NAME.search(public) and "source:" not in public, public
    for embed in body.get("embeds") or []:
        fields = embed.get("fields", [])
        assert len(embed.get("title", "")) <= limits.TITLE
        assert len(embed.get("description", "")) <= limits.DESCRIPTION
        assert len(fields) <= limits.FIELDS
        assert all(
            len(f["name"]) <= limits.FIELD_NAME and len(f["value"]) <= limits.FIELD_VALUE
            for f in fields
        )
        total = (
            len(embed.get("title", ""))
            + len(embed.get("description", ""))
            + len(embed.get("footer", {}).get("text", ""))
            + len(embed.get("author", {}).get("name", ""))
        )
        assert total + sum(len(f["name"]) + len(f["value"]) for f in fields) <= limits.TOTAL


async def test_archive_set_now_and_schedule_survive_a_restart(
    fake_discord: FakeDiscord, bot_process: BotProcess
) -> None:
    posts = fake_discord.channel_messages[ARCHIVE_CHANNEL_ID]
    setting = await fake_discord.command(
        "archive",
        subcommand(
            "set",
            option("channel", str(ARCHIVE_CHANNEL_ID), 7),
            option("schedule", "* * * * *"),
            option("timezone", "UTC"),
        ),
        user_id=MODERATOR_ID,
    )
    content = message(setting)["content"]
    assert content.startswith(
        f"Archive picks will be posted in <#{ARCHIVE_CHANNEL_ID}> on `* * * * *`, UTC. Next runs:"
    )
    assert content.count("\n• <t:") == 3

    now = await followed_up(
        await fake_discord.command("archive", subcommand("now"), user_id=MODERATOR_ID)
    )
    assert message(now)["content"].startswith("Posted “")
    await fake_discord.wait_for_post(ARCHIVE_CHANNEL_ID, 1, timeout=5)
    assert posts[0]["embeds"][0]["title"].startswith("From the archives")

    # The schedule runs every minute: its first slot comes due while the bot runs (its clock
    # brought to a second, two scheduler passes, before that slot).
    next_minute = (dt.datetime.now(dt.UTC) + bot_process.clock_offset).replace(
        second=0, microsecond=0
    ) + dt.timedelta(minutes=1)
    bot_process.shift_clock(next_minute - dt.timedelta(seconds=1))
    await fake_discord.wait_for_post(ARCHIVE_CHANNEL_ID, 2, timeout=15)
    await bot_process.wait_for_log("archive post for guild")
    slot = _slots(bot_process.log)[0]
    posted_at = dt.datetime.fromisoformat(posts[1]["timestamp"]) + bot_process.clock_offset
    late = (posted_at - dt.datetime.fromisoformat(slot)).total_seconds()
    assert 0 <= late < 3, f"the {slot} post came {late:.1f}s after its slot"  # poll: 0.5 s

    # Crash right after the post, and wind next_run_at back to the posted slot, as if the
    # bot had died before it could move on: the ledger must still refuse the slot.
    bot_process.kill()
    with sqlite3.connect(bot_process.workdir / "bot.sqlite3") as db:
        db.execute("UPDATE schedules SET next_run_at = ? WHERE guild_id = ?", (slot, GUILD_ID))
    slot_time = dt.datetime.fromisoformat(slot)
    await bot_process.start()
    # The restarted scheduler finds the slot due again and moves on past it.
    async with asyncio.timeout(10):
        while dt.datetime.fromisoformat(next_run_at(bot_process)) <= slot_time:
            await asyncio.sleep(0.05)

    shown = await fake_discord.command("archive", subcommand("show"), user_id=MODERATOR_ID)
    fields = {f["name"]: f["value"] for f in first_embed(shown)["fields"]}
    assert fields["Status"] == "active" and fields["Last post"] != "none yet"

    bot_process.stop()  # SIGTERM, as a host stops a worker; nothing in flight while posts are counted
    await asyncio.sleep(0.2)
    assert bot_process.process is not None and bot_process.process.returncode == 0
    assert bot_process.log.rstrip().endswith("stopped")
    # A slot whose post a kill left unconfirmed is sent again (logged twice) with its nonce:
    # the stand-in, as Discord, answers with the first message.
    slots = set(_slots(bot_process.log))
    assert len(posts) == 1 + len(slots)  # /archive now, then one post per distinct slot
    every_message_fits(fake_discord)  # this test's replies and posts come after that test


def next_run_at(bot_process: BotProcess) -> str:
    with closing(sqlite3.connect(bot_process.workdir / "bot.sqlite3")) as db:
        (value,) = db.execute(
            "SELECT next_run_at FROM schedules WHERE guild_id = ?", (GUILD_ID,)
        ).fetchone()
    return str(value)
