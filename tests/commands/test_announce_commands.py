"""/announce, /subscribe and /unsubscribe: refusals, the one role pinged, news channels."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import aiohttp
import discord
import pytest

from bot.client import ArchiveBot
from tests.commands.helpers import FakeInteraction, invoke, member, moderator, text_channel
from tests.conftest import FakeClock
from tests.unit.test_announcements import issue_file

ROLE_ID = 321


def role(
    role_id: int = ROLE_ID,
    *,
    assignable: bool = True,
    default: bool = False,
    permissions: discord.Permissions | None = None,
    mentionable: bool = True,
    managed: bool = False,
) -> MagicMock:
    found = MagicMock(spec=discord.Role)
    found.id = role_id
    found.mention = f"<@&{role_id}>"
    found.is_default.return_value = default
    found.is_assignable.return_value = assignable
    found.permissions = permissions or discord.Permissions.none()
    found.mentionable = mentionable
    found.managed = managed
    return found


def http_error(kind: type[discord.HTTPException], code: int) -> discord.HTTPException:
    response = MagicMock(status=404 if kind is discord.NotFound else 403, reason="")
    return kind(response, {"code": code, "message": "nope"})


def channel(*, news: bool = False, error: Exception | None = None) -> MagicMock:
    found = MagicMock(spec=discord.TextChannel)
    found.is_news.return_value = news
    message = MagicMock(spec=discord.Message)
    message.publish = AsyncMock()
    found.send = AsyncMock(return_value=message, side_effect=error)
    return found


def in_guild(interaction: FakeInteraction, *roles: MagicMock, manage_roles: bool = True) -> None:
    """Give the interaction's server these roles, and the bot Manage Roles or not."""
    assert interaction.guild is not None
    interaction.guild.get_role = lambda role_id: next((r for r in roles if r.id == role_id), None)
    interaction.guild.me.guild_permissions = discord.Permissions(manage_roles=manage_roles)


async def new_issue(bot: ArchiveBot, content_dir: Path, clock: FakeClock) -> None:
    clock.advance(minutes=1)
    (content_dir / "029.md").write_text(issue_file(29, 5))
    await bot.service.loader.reload()


async def announce_pass(bot: ArchiveBot) -> None:
    cog: Any = bot.get_cog("AnnounceCommands")
    await cog.announcer.run_once()  # one pass of the loop


@pytest.mark.parametrize("command", ["announce set", "announce show", "announce stop"])
async def test_members_without_manage_server_are_refused(
    bot: ArchiveBot, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    interaction = FakeInteraction(bot, user=member(3))
    params: dict[str, Any] = {"channel": text_channel()} if command == "announce set" else {}
    with caplog.at_level(logging.WARNING):
        await invoke(bot, command, interaction, **params)
    assert interaction.last.ephemeral
    assert interaction.last.content == (
        "This command is for moderators: members with Manage Server or a moderator role."
    )
    assert await bot.service.announcements.get(42) is None


def test_announce_is_for_moderators_and_subscribe_for_everyone(bot: ArchiveBot) -> None:
    payloads = {c["name"]: c for c in (cmd.to_dict(bot.tree) for cmd in bot.tree.get_commands())}
    manage_guild = discord.Permissions(manage_guild=True).value
    assert payloads["announce"]["default_member_permissions"] == manage_guild
    assert {o["name"] for o in payloads["announce"]["options"]} == {"set", "show", "stop"}
    for name in ("subscribe", "unsubscribe"):
        assert payloads[name]["default_member_permissions"] is None
        assert payloads[name]["contexts"] == [0]


async def test_set_show_stop(bot: ArchiveBot) -> None:
    interaction = FakeInteraction(bot, user=moderator())
    in_guild(interaction)
    await invoke(bot, "announce set", interaction, channel=text_channel(500), role=role())
    assert interaction.last.content == (
        "New issues will be announced in <#500>, pinging <@&321>. Members can take or drop the "
        "role with /subscribe and /unsubscribe. Issues already loaded are not announced."
    )
    assert not interaction.last.ephemeral
    show = FakeInteraction(bot, user=moderator())
    await invoke(bot, "announce show", show)
    fields = {f.name: f.value for f in show.last.embed.fields}  # type: ignore[union-attr]
    assert fields["Channel"] == "<#500>" and fields["Status"] == "active"
    assert fields["Announced"] == "none yet: the next issue a load adds"
    assert "deleted" in str(fields["Role"])  # the test bot sees no such role in its servers
    stop = FakeInteraction(bot, user=moderator())
    await invoke(bot, "announce stop", stop)
    assert stop.last.content == "Announcements of new issues stopped."
    again = FakeInteraction(bot, user=moderator())
    await invoke(bot, "announce stop", again)
    assert again.last.content == "There were no announcements to stop."
    nothing = FakeInteraction(bot, user=moderator())
    await invoke(bot, "announce show", nothing)
    assert nothing.last.content == "No announcements here yet: set them with /announce set."


async def test_set_refuses_everyone_and_a_channel_the_bot_cannot_post_to(bot: ArchiveBot) -> None:
    everyone = FakeInteraction(bot, user=moderator())
    await invoke(bot, "announce set", everyone, channel=text_channel(), role=role(42, default=True))
    assert everyone.last.content == (
        "Choose a role other than @everyone: announcements never ping everyone."
    )
    muted = FakeInteraction(bot, user=moderator())
    await invoke(bot, "announce set", muted, channel=text_channel(can_post=False))
    assert (muted.last.content or "").startswith("I can't post in <#500>: I'm missing Send")
    assert await bot.service.announcements.get(42) is None


POWERFUL = [
    (discord.Permissions(administrator=True), "grants Administrator: anyone could get that"),
    (
        discord.Permissions(kick_members=True, manage_roles=True, send_messages=True),
        "grants Kick Members and Manage Roles: anyone could get that",
    ),
    (discord.Permissions(mention_everyone=True), "grants Mention @everyone, @here and All Roles"),
    (
        discord.Permissions(moderate_members=True, manage_messages=True),
        "grants Manage Messages and Timeout Members",
    ),
]


@pytest.mark.parametrize(("permissions", "said"), POWERFUL)
async def test_set_refuses_a_role_that_grants_more_than_chatting(
    bot: ArchiveBot, permissions: discord.Permissions, said: str
) -> None:
    interaction = FakeInteraction(bot, user=moderator())
    in_guild(interaction)
    await invoke(
        bot, "announce set", interaction, channel=text_channel(), role=role(permissions=permissions)
    )
    assert interaction.last.ephemeral
    assert (interaction.last.content or "").startswith(f"<@&321> {said}")
    assert (interaction.last.content or "").endswith(
        "remove those permissions from it in Server Settings → Roles, then run /announce set again."
    )
    assert await bot.service.announcements.get(42) is None


@pytest.mark.parametrize(
    ("chosen", "manage_roles", "said"),
    [
        (
            role(managed=True),
            True,
            "<@&321> belongs to an integration (a bot, server boosts or subscriptions)",
        ),
        (
            role(assignable=False),
            True,
            "I can't give <@&321> to members with /subscribe: it is at or above my highest role. "
            "Drag my role above it in Server Settings → Roles",
        ),
        (
            role(),
            False,
            "I can't give <@&321> to members with /subscribe: I don't have Manage Roles. Give my "
            "role Manage Roles in Server Settings → Roles",
        ),
        (
            role(mentionable=False),
            True,
            "Announcements couldn't ping <@&321>: it isn't mentionable and I don't have Mention "
            "@everyone, @here and All Roles. Turn on “Allow anyone to @mention this role”",
        ),
    ],
)
async def test_set_refuses_a_role_it_could_not_give_or_ping(
    bot: ArchiveBot, chosen: MagicMock, manage_roles: bool, said: str
) -> None:
    interaction = FakeInteraction(bot, user=moderator())
    in_guild(interaction, manage_roles=manage_roles)
    await invoke(bot, "announce set", interaction, channel=text_channel(), role=chosen)
    assert interaction.last.ephemeral and (interaction.last.content or "").startswith(said)
    assert await bot.service.announcements.get(42) is None


async def test_a_role_nobody_may_mention_is_fine_when_the_bot_mentions_everyone(
    bot: ArchiveBot,
) -> None:
    interaction = FakeInteraction(bot, user=moderator())
    in_guild(interaction)
    where = text_channel()
    where.permissions_for.return_value = discord.Permissions(
        view_channel=True, send_messages=True, embed_links=True, mention_everyone=True
    )
    await invoke(bot, "announce set", interaction, channel=where, role=role(mentionable=False))
    assert (interaction.last.content or "").startswith("New issues will be announced in <#500>")


def without_subscriptions(bot: ArchiveBot, monkeypatch: pytest.MonkeyPatch) -> None:
    discord_settings = bot.settings.discord.model_copy(update={"role_subscriptions": False})
    monkeypatch.setattr(
        bot, "settings", bot.settings.model_copy(update={"discord": discord_settings})
    )


async def test_without_subscriptions_the_bot_needs_not_give_the_role(
    bot: ArchiveBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_subscriptions(bot, monkeypatch)
    interaction = FakeInteraction(bot, user=moderator())
    in_guild(interaction, manage_roles=False)
    await invoke(
        bot, "announce set", interaction, channel=text_channel(), role=role(assignable=False)
    )
    assert interaction.last.content == (
        "New issues will be announced in <#500>, pinging <@&321>. Moderators give the role to "
        "members who want the ping. Issues already loaded are not announced."
    )
    powerful = FakeInteraction(bot, user=moderator())
    in_guild(powerful, manage_roles=False)
    await invoke(
        bot, "announce set", powerful, channel=text_channel(),
        role=role(permissions=discord.Permissions(manage_guild=True)),
    )  # fmt: skip
    assert (powerful.last.content or "").startswith("<@&321> grants Manage Server")
    for command in ("subscribe", "unsubscribe"):
        member_interaction = FakeInteraction(bot, user=member(3))
        in_guild(member_interaction, role())
        await invoke(bot, command, member_interaction)
        assert member_interaction.last.ephemeral and member_interaction.last.content == (
            "Members don't take the announcement role themselves on this server's bot: ask a "
            "moderator to give it to you or take it back."
        )
        member_interaction.user.add_roles.assert_not_awaited()
        member_interaction.user.remove_roles.assert_not_awaited()


async def test_subscribe_checks_the_role_again_and_unsubscribe_still_drops_it(
    bot: ArchiveBot,
) -> None:
    await bot.service.announcements.set(42, 500, ROLE_ID)
    grown = role(permissions=discord.Permissions(send_messages=True, ban_members=True))
    joining = FakeInteraction(bot, user=member(3))
    in_guild(joining, grown)
    await invoke(bot, "subscribe", joining)
    assert joining.last.ephemeral and joining.last.content == (
        "I won't hand out <@&321>: it now grants Ban Members. Ask a moderator to remove those "
        "permissions from it, or to choose another role with /announce set."
    )
    joining.user.add_roles.assert_not_awaited()
    leaving = FakeInteraction(bot, user=member(3))
    leaving.user.roles = [grown]
    in_guild(leaving, grown)
    await invoke(bot, "unsubscribe", leaving)
    assert leaving.user.remove_roles.await_args.args == (grown,)


async def test_an_announcement_pings_its_role_only_and_is_published_in_a_news_channel(
    bot: ArchiveBot, content_dir: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    news = channel(news=True)
    guild = MagicMock(spec=discord.Guild)
    pinged = role()
    guild.get_role = lambda role_id: pinged if role_id == ROLE_ID else None
    monkeypatch.setattr(bot, "get_channel", lambda channel_id: news)
    monkeypatch.setattr(bot, "get_guild", lambda guild_id: guild)
    await bot.service.announcements.set(42, 500, ROLE_ID)
    await announce_pass(bot)
    assert news.send.await_count == 0  # the seeds were the baseline
    await new_issue(bot, content_dir, clock)
    await announce_pass(bot)
    await announce_pass(bot)
    assert news.send.await_count == 1
    call = news.send.await_args
    assert call.args[0] == "<@&321> New issue of Machine Learning Monthly: #29"
    mentions = call.kwargs["allowed_mentions"]
    assert mentions.to_dict() == {"parse": [], "roles": [321]}
    assert call.kwargs["embed"].title == "Machine Learning Monthly issue 29"
    news.send.return_value.publish.assert_awaited_once()


async def test_without_a_role_or_with_a_deleted_one_nobody_is_pinged(
    bot: ArchiveBot,
    content_dir: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    plain, other = channel(), channel()
    guild = MagicMock(spec=discord.Guild)
    guild.get_role = lambda role_id: None  # the role was deleted
    monkeypatch.setattr(bot, "get_channel", {500: plain, 600: other}.get)
    monkeypatch.setattr(bot, "get_guild", lambda guild_id: guild)
    await bot.service.announcements.set(42, 500, None)
    await bot.service.announcements.set(43, 600, ROLE_ID)
    await new_issue(bot, content_dir, clock)
    with caplog.at_level(logging.WARNING):
        await announce_pass(bot)
    for sent in (plain, other):
        call = sent.send.await_args
        assert call.args[0] == "New issue of Machine Learning Monthly: #29"
        assert call.kwargs["allowed_mentions"].to_dict() == {"parse": []}
        sent.send.return_value.publish.assert_not_awaited()
    assert any("is gone: announcing without a ping" in r.getMessage() for r in caplog.records)


async def test_a_post_cut_off_is_sent_again_with_the_same_nonce(
    bot: ArchiveBot, content_dir: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    flaky = channel(error=aiohttp.ServerDisconnectedError())
    monkeypatch.setattr(bot, "get_channel", lambda channel_id: flaky)
    await bot.service.announcements.set(42, 500, None)
    await new_issue(bot, content_dir, clock)
    await announce_pass(bot)
    assert await bot.service.announcements.announced(42) == []
    first = flaky.send.await_args.kwargs["nonce"]
    flaky.send.side_effect = None
    await announce_pass(bot)
    await announce_pass(bot)
    assert flaky.send.await_count == 2
    assert flaky.send.await_args.kwargs["nonce"] == first
    assert await bot.service.announcements.announced(42) == [("default", 29)]


async def test_a_publish_cut_off_leaves_the_post_counted(
    bot: ArchiveBot, content_dir: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    news = channel(news=True)
    news.send.return_value.publish.side_effect = aiohttp.ServerDisconnectedError()
    monkeypatch.setattr(bot, "get_channel", lambda channel_id: news)
    await bot.service.announcements.set(42, 500, None)
    await new_issue(bot, content_dir, clock)
    await announce_pass(bot)
    await announce_pass(bot)
    assert news.send.await_count == 1
    assert await bot.service.announcements.announced(42) == [("default", 29)]
    announcement = await bot.service.announcements.get(42)
    assert announcement is not None and announcement.enabled


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (http_error(discord.NotFound, 10003), "deleted (Discord error 10003)"),
        (http_error(discord.Forbidden, 50013), "lost access to the channel (Discord error 50013)"),
    ],
)
async def test_a_channel_the_bot_cannot_post_to_disables_the_announcement(
    bot: ArchiveBot,
    content_dir: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    error: discord.HTTPException,
    reason: str,
) -> None:
    lost = channel(error=error)
    monkeypatch.setattr(bot, "get_channel", lambda channel_id: lost)
    await bot.service.announcements.set(42, 500, None)
    await new_issue(bot, content_dir, clock)
    await announce_pass(bot)
    stopped = await bot.service.announcements.get(42)
    assert stopped is not None and not stopped.enabled
    assert reason in (stopped.disabled_reason or "")
    assert "/announce set" in (stopped.disabled_reason or "")
    show = FakeInteraction(bot, user=moderator())
    await invoke(bot, "announce show", show)
    fields = {f.name: f.value for f in show.last.embed.fields}  # type: ignore[union-attr]
    assert str(fields["Status"]).startswith("disabled: ") and reason in str(fields["Status"])


async def test_subscribe_refusals(bot: ArchiveBot) -> None:
    none_set = FakeInteraction(bot, user=member(3))
    await invoke(bot, "subscribe", none_set)
    assert none_set.last.ephemeral and none_set.last.content == (
        "There is no announcement role to subscribe to here: a moderator can set one with "
        "/announce set."
    )
    await bot.service.announcements.set(42, 500, None)
    no_role = FakeInteraction(bot, user=member(3))
    await invoke(bot, "unsubscribe", no_role)
    assert no_role.last.content == none_set.last.content
    await bot.service.announcements.set(42, 500, ROLE_ID)
    gone = FakeInteraction(bot, user=member(3))
    in_guild(gone)  # the role was deleted
    await invoke(bot, "subscribe", gone)
    assert gone.last.content == (
        "The announcement role no longer exists: a moderator can choose another with /announce set."
    )
    for manage_roles, assignable in ((False, True), (True, False)):
        refused = FakeInteraction(bot, user=member(3))
        in_guild(refused, role(assignable=assignable), manage_roles=manage_roles)
        await invoke(bot, "subscribe", refused)
        assert refused.last.content == (
            "I can't give or take <@&321>: I need Manage Roles and a role above it. "
            "Ask a moderator to fix that."
        )
        refused.user.add_roles.assert_not_awaited()


async def test_subscribe_and_unsubscribe_give_and_take_that_role_only(bot: ArchiveBot) -> None:
    await bot.service.announcements.set(42, 500, ROLE_ID)
    wanted = role()
    joining = FakeInteraction(bot, user=member(3))
    in_guild(joining, wanted, role(999))
    await invoke(bot, "subscribe", joining)
    joining.user.add_roles.assert_awaited_once()
    assert joining.user.add_roles.await_args.args == (wanted,)
    assert joining.last.ephemeral and (joining.last.content or "").startswith(
        "You now have <@&321>"
    )
    twice = FakeInteraction(bot, user=member(3))
    twice.user.roles = [wanted]
    in_guild(twice, wanted)
    await invoke(bot, "subscribe", twice)
    assert twice.last.content == "You already have <@&321>. /unsubscribe drops it."
    twice.user.add_roles.assert_not_awaited()
    leaving = FakeInteraction(bot, user=member(3))
    leaving.user.roles = [wanted]
    in_guild(leaving, wanted)
    await invoke(bot, "unsubscribe", leaving)
    assert leaving.user.remove_roles.await_args.args == (wanted,)
    assert (leaving.last.content or "").startswith("You no longer have <@&321>")
    not_in = FakeInteraction(bot, user=member(3))
    in_guild(not_in, wanted)
    await invoke(bot, "unsubscribe", not_in)
    assert not_in.last.content == "You don't have <@&321>. /subscribe takes it."
    not_in.user.remove_roles.assert_not_awaited()


async def test_discord_refusing_the_role_change_is_said_plainly(bot: ArchiveBot) -> None:
    await bot.service.announcements.set(42, 500, ROLE_ID)
    interaction = FakeInteraction(bot, user=member(3))
    interaction.user.add_roles = AsyncMock(side_effect=http_error(discord.Forbidden, 50013))
    in_guild(interaction, role())
    await invoke(bot, "subscribe", interaction)
    assert (interaction.last.content or "").startswith("I can't give or take <@&321>")
