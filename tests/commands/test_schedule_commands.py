from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest

from bot.client import ArchiveBot
from bot.render.cards import resource_card
from tests.commands.helpers import FakeInteraction, invoke, member, moderator, text_channel
from tests.conftest import FakeClock


def _http_error(kind: type[discord.HTTPException], code: int) -> discord.HTTPException:
    response = MagicMock(status=404 if kind is discord.NotFound else 403, reason="")
    return kind(response, {"code": code, "message": "nope"})


@pytest.mark.parametrize(
    "command",
    ["archive set", "archive show", "archive now", "archive preview", "archive stop", "reload"],
)
async def test_members_without_manage_server_are_refused(
    bot: ArchiveBot, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    interaction = FakeInteraction(bot, user=member(3))
    params: dict[str, Any] = (
        {"channel": text_channel(), "schedule": "0 9 * * *"} if command == "archive set" else {}
    )
    with caplog.at_level(logging.WARNING):
        await invoke(bot, command, interaction, **params)
    assert interaction.last.ephemeral
    assert (
        interaction.last.content
        == "This command is for moderators: members with Manage Server or a moderator role."
    )
    assert any("not a moderator" in r.getMessage() for r in caplog.records)


async def test_a_moderator_role_from_the_config_is_enough(bot: ArchiveBot) -> None:
    interaction = FakeInteraction(bot, user=member(3, role_ids=(777,)))
    await invoke(bot, "archive show", interaction)
    assert interaction.last.content == "No archive schedule here yet: set one with /archive set."


def test_moderator_commands_carry_default_member_permissions(bot: ArchiveBot) -> None:
    payloads = {c["name"]: c for c in (cmd.to_dict(bot.tree) for cmd in bot.tree.get_commands())}
    manage_guild = discord.Permissions(manage_guild=True).value
    assert payloads["archive"]["default_member_permissions"] == manage_guild
    assert payloads["reload"]["default_member_permissions"] == manage_guild
    assert payloads["search"]["default_member_permissions"] is None
    assert (
        payloads["archive"]["dm_permission"] is False
        and payloads["reload"]["dm_permission"] is False
    )
    assert payloads["archive"]["contexts"] == payloads["reload"]["contexts"] == [0]  # guild only
    assert {o["name"] for o in payloads["archive"]["options"]} == {
        "set", "show", "now", "preview", "stop",
    }  # fmt: skip


async def test_set_replies_with_the_next_three_runs_then_show(bot: ArchiveBot) -> None:
    interaction = FakeInteraction(bot, user=moderator())
    await invoke(
        bot,
        "archive set",
        interaction,
        channel=text_channel(500),
        schedule="0 9 * * 1",
        timezone="Europe/Paris",
    )
    content = interaction.last.content or ""
    assert content.startswith(
        "Archive picks will be posted in <#500> every Monday at 09:00, Europe/Paris (`0 9 * * 1`)."
        " Next runs:"
    )
    assert content.count("\n• <t:") == 3 and "Mon 12 Jan 09:00 Europe/Paris" in content
    show = FakeInteraction(bot, user=moderator())
    await invoke(bot, "archive show", show)
    embed = show.last.embed
    assert embed is not None and show.last.ephemeral
    fields = {f.name: f.value for f in embed.fields}
    assert (
        fields["Channel"] == "<#500>"
        and fields["Schedule"] == "every Monday at 09:00, Europe/Paris (`0 9 * * 1`)"
        and fields["Status"] == "active"
        and fields["Last post"] == "none yet"
    )


@pytest.mark.parametrize(
    ("schedule", "timezone", "message"),
    [
        ("every day", None, "not a 5-field cron"),
        ("0 9 * * *", "Moon/Base", "Unknown time zone"),
        ("* * * * *", None, "more than once an hour"),
    ],
)
async def test_set_rejects_bad_schedules(
    bot: ArchiveBot, schedule: str, timezone: str | None, message: str
) -> None:
    interaction = FakeInteraction(bot, user=moderator())
    await invoke(
        bot,
        "archive set",
        interaction,
        channel=text_channel(),
        schedule=schedule,
        timezone=timezone,
    )
    assert interaction.last.ephemeral and message in (interaction.last.content or "")
    assert await bot.service.schedules.get(42) is None


async def test_set_refuses_a_channel_the_bot_cannot_post_in(bot: ArchiveBot) -> None:
    interaction = FakeInteraction(bot, user=moderator())
    await invoke(
        bot, "archive set", interaction, channel=text_channel(can_post=False), schedule="0 9 * * *"
    )
    assert interaction.last.ephemeral
    assert interaction.last.content == (
        "I can't post in <#500>: I'm missing Send Messages, Embed Links there. "
        "Give me those permissions in the channel settings and try again."
    )


async def test_now_posts_a_pick_to_the_channel(
    bot: ArchiveBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = MagicMock(spec=discord.TextChannel)
    channel.send = AsyncMock()
    monkeypatch.setattr(
        bot, "get_channel", lambda channel_id: channel if channel_id == 500 else None
    )
    not_yet = FakeInteraction(bot, user=moderator())
    await invoke(bot, "archive now", not_yet)
    assert not_yet.last.content == "Choose a channel first with /archive set."
    await bot.service.schedules.add(42, 500, "0 9 * * *", "UTC")
    interaction = FakeInteraction(bot, user=moderator())
    await invoke(bot, "archive now", interaction)
    sent_embed = channel.send.await_args.kwargs["embed"]
    assert sent_embed.title.startswith("From the archives")
    assert interaction.response.deferred and interaction.last.kind == "followup"
    assert (interaction.last.content or "").startswith("Posted “")
    shown = await bot.service.schedules.get(42)
    assert shown is not None and shown.last_post_title is not None


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (_http_error(discord.NotFound, 10003), "10003"),
        (_http_error(discord.Forbidden, 50013), "50013"),
        (_http_error(discord.Forbidden, 50001), "50001"),
    ],
)
async def test_scheduled_post_to_a_lost_channel_disables_the_schedule(
    bot: ArchiveBot,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    error: discord.HTTPException,
    reason: str,
) -> None:
    channel = MagicMock(spec=discord.TextChannel)
    channel.send = AsyncMock(side_effect=error)
    healthy = MagicMock(spec=discord.TextChannel)
    healthy.send = AsyncMock()
    monkeypatch.setattr(
        bot, "get_channel", lambda channel_id: {500: channel, 600: healthy}[channel_id]
    )
    await bot.service.schedules.add(42, 500, "0 * * * *", "UTC")
    await bot.service.schedules.add(43, 600, "0 * * * *", "UTC")
    clock.advance(hours=1)
    cog: Any = bot.get_cog("ScheduleCommands")
    await cog.scheduler.run_once()  # one pass of the loop
    broken = await bot.service.schedules.get(42)
    assert broken is not None and not broken.enabled and reason in (broken.disabled_reason or "")
    assert healthy.send.await_count == 1
    show = FakeInteraction(bot, user=moderator())
    await invoke(bot, "archive show", show)
    fields = {f.name: f.value for f in show.last.embed.fields}  # type: ignore[union-attr]
    assert str(fields["Status"]).startswith("disabled: ") and reason in str(fields["Status"])


async def test_stop(bot: ArchiveBot) -> None:
    schedule_id, _ = await bot.service.schedules.add(42, 500, "0 9 * * *", "UTC")
    interaction = FakeInteraction(bot, user=moderator())
    await invoke(bot, "archive stop", interaction)  # the only one: no id needed
    assert interaction.last.content == f"Scheduled archive posts stopped (schedule #{schedule_id})."
    again = FakeInteraction(bot, user=moderator())
    await invoke(bot, "archive stop", again)
    assert again.last.content == "There was no archive schedule to stop."


async def test_several_schedules_are_added_listed_and_named_by_id(
    bot: ArchiveBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    channels = {500: MagicMock(spec=discord.TextChannel), 600: MagicMock(spec=discord.TextChannel)}
    for channel_id, channel in channels.items():
        channel.name, channel.send = f"channel-{channel_id}", AsyncMock()
    lost = _http_error(discord.NotFound, 10003)
    channels[600].send.side_effect = lost
    monkeypatch.setattr(bot, "get_channel", channels.get)
    for channel_id, options in (
        (500, {"schedule": "0 9 * * 1", "timezone": "Europe/Paris"}),
        (600, {"preset": "daily", "time": "18:30", "timezone": "UTC"}),
    ):
        setting = FakeInteraction(bot, user=moderator())
        await invoke(bot, "archive set", setting, channel=text_channel(channel_id), **options)
        assert "Next runs:" in (setting.last.content or "")
    assert (setting.last.content or "").endswith(
        "This is schedule #2: /archive now, preview and stop take its id."
    )
    first, second = await bot.service.schedules.all(42)  # the second was added, not a replacement
    assert (first.id, first.channel_id, second.id, second.channel_id) == (1, 500, 2, 600)

    show = FakeInteraction(bot, user=moderator())
    await invoke(bot, "archive show", show)
    assert [e.title for e in show.last.embeds] == ["Archive schedule #1", "Archive schedule #2"]
    fields = [{f.name: f.value for f in e.fields} for e in show.last.embeds]
    assert [f["Channel"] for f in fields] == ["<#500>", "<#600>"]
    assert fields[0]["Schedule"] == "every Monday at 09:00, Europe/Paris (`0 9 * * 1`)"
    assert fields[1]["Schedule"] == "every day at 18:30, UTC (`30 18 * * *`)"
    assert [f["Status"] for f in fields] == ["active", "active"]

    cog: Any = bot.get_cog("ScheduleCommands")
    choices = await cog.schedule_id_autocomplete(FakeInteraction(bot), "")
    assert [(c.name, c.value) for c in choices] == [
        ("#1 in #channel-500: every Monday at 09:00, Europe/Paris", 1),
        ("#2 in #channel-600: every day at 18:30, UTC", 2),
    ]
    assert [c.value for c in await cog.schedule_id_autocomplete(FakeInteraction(bot), "#2")] == [2]

    for command in ("archive now", "archive preview", "archive stop"):
        unclear = FakeInteraction(bot, user=moderator())
        await invoke(bot, command, unclear)
        assert unclear.last.ephemeral and unclear.last.content == (
            "This server has several archive schedules (#1, #2): say which with `id`."
        )
        unknown = FakeInteraction(bot, user=moderator())
        await invoke(bot, command, unknown, id=7)
        assert unknown.last.content == (
            "There is no archive schedule #7 here: this server has #1, #2."
        )
    assert channels[500].send.await_count == channels[600].send.await_count == 0

    preview = FakeInteraction(bot, user=moderator())
    await invoke(bot, "archive preview", preview, id=2)
    assert (preview.last.content or "").startswith("The next post in <#600> on <t:")
    now = FakeInteraction(bot, user=moderator())
    await invoke(bot, "archive now", now, id=1)
    posted = now.last.content or ""
    assert posted.startswith("Posted “") and posted.endswith("in <#500>.")
    lost_now = FakeInteraction(bot, user=moderator())
    await invoke(bot, "archive now", lost_now, id=2)
    assert (lost_now.last.content or "").startswith("I couldn't post: the channel was deleted")
    kept, gone = await bot.service.schedules.all(42)
    assert kept.enabled and kept.last_post_title is not None  # a lost channel stops only its own
    assert not gone.enabled and "10003" in (gone.disabled_reason or "")

    stop = FakeInteraction(bot, user=moderator())
    await invoke(bot, "archive stop", stop, id=2)
    assert stop.last.content == "Scheduled archive posts stopped (schedule #2)."
    assert [s.id for s in await bot.service.schedules.all(42)] == [1]


async def test_a_server_with_ten_schedules_is_told_to_stop_one(bot: ArchiveBot) -> None:
    for hour in range(10):
        await bot.service.schedules.add(42, 500, f"0 {hour} * * *", "UTC")
    interaction = FakeInteraction(bot, user=moderator())
    await invoke(bot, "archive set", interaction, channel=text_channel(500), schedule="0 12 * * *")
    assert interaction.last.ephemeral and interaction.last.content == (
        "This server has 10 archive schedules, the most it can have: "
        "stop one with /archive stop first."
    )
    assert len(await bot.service.schedules.all(42)) == 10


async def test_timezone_autocomplete(bot: ArchiveBot) -> None:
    cog: Any = bot.get_cog("ScheduleCommands")
    choices = await cog.timezone_autocomplete(FakeInteraction(bot), "paris")
    assert [c.value for c in choices] == ["Europe/Paris"]
    assert len(await cog.timezone_autocomplete(FakeInteraction(bot), "")) == 25


def test_next_runs_are_shown_in_discord_time(clock: FakeClock) -> None:
    from bot.render.cards import when

    assert (
        when(dt.datetime(2026, 1, 12, 8, 0, tzinfo=dt.UTC), "Europe/Paris")
        == "<t:1768204800:F> (Mon 12 Jan 09:00 Europe/Paris)"
    )


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"preset": "daily", "time": "7:05"}, "every day at 07:05, UTC (`5 7 * * *`)"),
        (
            {"preset": "weekly", "time": "18:30", "weekday": "Thursday"},
            "every Thursday at 18:30, UTC (`30 18 * * 4`)",
        ),
        (
            {"preset": "monthly", "time": "09:00", "day": 15},
            "on the 15th of every month at 09:00, UTC (`0 9 15 * *`)",
        ),
    ],
)
async def test_a_preset_at_a_time_is_a_schedule(
    bot: ArchiveBot, options: dict[str, Any], words: str
) -> None:
    interaction = FakeInteraction(bot, user=moderator())
    await invoke(
        bot, "archive set", interaction, channel=text_channel(500), timezone="UTC", **options
    )
    assert (interaction.last.content or "").startswith(
        f"Archive picks will be posted in <#500> {words}. Next runs:"
    )
    saved = await bot.service.schedules.get(42)
    assert saved is not None and f"(`{saved.cron}`)" in words


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "Say when: either a cron `schedule`, or a `preset`"),
        ({"schedule": "0 9 * * *", "preset": "daily", "time": "09:00"}, "Say when: either"),
        ({"preset": "daily"}, "A preset needs a `time` (HH:MM), e.g. 09:00."),
        ({"preset": "daily", "time": "09:00", "day": 3}, "`weekday` goes with the weekly preset"),
        ({"preset": "monthly", "time": "09:00", "weekday": "Monday"}, "`weekday` goes with"),
        ({"preset": "daily", "time": "25:61"}, "“25:61” is not a time of day: use HH:MM"),
    ],
)
async def test_when_a_preset_or_cron_is_missing_or_unclear_nothing_is_saved(
    bot: ArchiveBot, options: dict[str, Any], message: str
) -> None:
    interaction = FakeInteraction(bot, user=moderator())
    await invoke(bot, "archive set", interaction, channel=text_channel(500), **options)
    assert interaction.last.ephemeral and (interaction.last.content or "").startswith(message)
    assert await bot.service.schedules.get(42) is None


async def test_preview_shows_a_pick_and_uses_none(
    bot: ArchiveBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = FakeInteraction(bot, user=moderator())
    await invoke(bot, "archive preview", first)
    assert first.last.content == "Choose a channel first with /archive set."
    channel = MagicMock(spec=discord.TextChannel)
    channel.send = AsyncMock()
    monkeypatch.setattr(bot, "get_channel", lambda channel_id: channel)
    await bot.service.schedules.add(42, 500, "0 9 * * 1", "Europe/Paris")
    given = await bot.service.picks.pick("500")  # one pick already given in that channel this round
    assert given is not None
    picked = await bot.service.picks.picked("500")
    shown = set()
    for _ in range(5):
        interaction = FakeInteraction(bot, user=moderator())
        await invoke(bot, "archive preview", interaction)
        assert interaction.last.ephemeral
        assert (interaction.last.content or "").startswith(
            "The next post in <#500> on <t:1768204800:F> (Mon 12 Jan 09:00 Europe/Paris) will "
            "look like this"
        )
        embed = interaction.last.embed
        assert embed is not None and (embed.title or "").startswith("From the archives")
        shown.add((embed.title, embed.description))
    assert await bot.service.picks.picked("500") == picked  # nothing used up
    assert channel.send.await_count == 0  # and nothing posted
    card = resource_card(given)
    assert (card.title, card.description) not in shown  # no repeat this round
