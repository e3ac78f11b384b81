"""Small stand-ins for the parts of an interaction the cogs touch, and a way to invoke a
command the way the command tree does (checks and cooldowns, then the callback, errors to
the tree's handler)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
from discord import app_commands

from bot.client import ArchiveBot

MISSING: Any = discord.utils.MISSING


@dataclass
class Sent:
    """One message the bot sent (or an edit it made) in answer to an interaction."""

    content: str | None
    embed: discord.Embed | None
    view: discord.ui.View | None
    ephemeral: bool
    kind: str = "message"  # message | followup | edit
    #: Every embed of the message: ``embed`` alone, or those sent as ``embeds``.
    embeds: list[discord.Embed] = field(default_factory=list)


def _value(value: Any) -> Any:
    return None if value is MISSING else value


def _sent(content: Any, embed: Any, embeds: Any, view: Any, ephemeral: bool, kind: str) -> Sent:
    """What a message with ``embed`` or ``embeds`` (discord.py refuses both) shows."""
    assert embed is MISSING or embeds is MISSING, "embed and embeds are exclusive"
    every = [embed] if embed is not MISSING else list(_value(embeds) or [])
    first = every[0] if every else None
    return Sent(_value(content), first, _value(view), ephemeral, kind, every)


class FakeResponse:
    def __init__(self, sent: list[Sent]) -> None:
        self.sent = sent
        self.done = False
        self.deferred = False

    def is_done(self) -> bool:
        return self.done

    async def send_message(self, content: Any = None, *, embed: Any = MISSING,
                           embeds: Any = MISSING, view: Any = MISSING,
                           ephemeral: bool = False, **_: Any) -> None:  # fmt: skip
        assert not self.done, "an interaction can be answered once"
        self.done = True
        self.sent.append(_sent(content, embed, embeds, view, ephemeral, "message"))

    async def defer(self, *, ephemeral: bool = False, thinking: bool = False) -> None:
        assert not self.done
        self.done = self.deferred = True

    async def edit_message(self, *, content: Any = MISSING, embed: Any = MISSING,
                           view: Any = MISSING, **_: Any) -> None:  # fmt: skip
        assert not self.done
        self.done = True
        self.sent.append(Sent(_value(content), _value(embed), _value(view), False, "edit"))


class FakeFollowup:
    def __init__(self, sent: list[Sent]) -> None:
        self.sent = sent

    async def send(self, content: Any = MISSING, *, embed: Any = MISSING, embeds: Any = MISSING,
                   view: Any = MISSING, ephemeral: bool = False, **_: Any) -> None:  # fmt: skip
        self.sent.append(_sent(content, embed, embeds, view, ephemeral, "followup"))


def member(
    user_id: int = 1, *, manage_guild: bool = False, role_ids: tuple[int, ...] = ()
) -> MagicMock:
    user = MagicMock(spec=discord.Member)
    user.id = user_id
    user.guild_permissions = discord.Permissions(manage_guild=manage_guild)
    user.roles = [MagicMock(id=role_id) for role_id in role_ids]
    user.__str__.return_value = f"user{user_id}"  # type: ignore[attr-defined]
    return user


def text_channel(channel_id: int = 500, *, can_post: bool = True) -> MagicMock:
    channel = MagicMock(spec=discord.TextChannel)
    channel.id = channel_id
    channel.mention = f"<#{channel_id}>"
    channel.permissions_for.return_value = discord.Permissions(
        view_channel=True, send_messages=can_post, embed_links=can_post
    )
    return channel


@dataclass
class FakeInteraction:
    client: ArchiveBot
    user: Any = field(default_factory=member)
    guild_id: int | None = 42
    channel_id: int | None = 7
    command: Any = None
    sent: list[Sent] = field(default_factory=list)
    #: The options typed so far (what an autocomplete sees of the others).
    namespace: Any = field(default_factory=SimpleNamespace)
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    extras: dict[Any, Any] = field(default_factory=dict)
    #: The interaction's data (a pressed button's ``custom_id``).
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.response = FakeResponse(self.sent)
        self.followup = FakeFollowup(self.sent)
        self.guild = MagicMock(spec=discord.Guild) if self.guild_id else None
        if self.guild is not None:
            self.guild.id = self.guild_id
            self.guild.me = member(999)

    async def original_response(self) -> MagicMock:
        message = MagicMock(spec=discord.InteractionMessage)
        message.edit = AsyncMock()
        return message

    @property
    def last(self) -> Sent:
        return self.sent[-1]


def find_command(bot: ArchiveBot, qualified_name: str) -> app_commands.Command[Any, ..., Any]:
    *parents, name = qualified_name.split()
    if not parents:
        command = bot.tree.get_command(name)
    else:
        group = bot.tree.get_command(parents[0])
        assert isinstance(group, app_commands.Group)
        command = group.get_command(name)
    assert isinstance(command, app_commands.Command), qualified_name
    return command


async def invoke(
    bot: ArchiveBot, qualified_name: str, interaction: FakeInteraction, **params: Any
) -> None:
    """Run a slash command as the tree would: checks (cooldowns included), then the callback;
    any error goes to the tree's error handler."""
    command = find_command(bot, qualified_name)
    interaction.command = command
    fake: Any = interaction
    # discord.py runs a command's checks and calls it (options transformed, errors wrapped)
    # only from the tree's handling of a raw gateway payload: these two are its steps.
    try:
        if not await command._check_can_run(fake):
            raise app_commands.CheckFailure(f"checks failed for {qualified_name}")
        await command._do_call(fake, params)
    except app_commands.AppCommandError as error:
        await bot.tree.on_error(fake, error)


def moderator(user_id: int = 1) -> MagicMock:
    """A member with Manage Server."""
    return member(user_id, manage_guild=True)
