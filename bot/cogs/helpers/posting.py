"""Posting to a channel (scheduled picks, announcements): the permissions it needs, and
Discord's refusals that retrying will not fix turned into ``ChannelUnavailable``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot.errors import ChannelUnavailable, PostUncertain
from bot.render.messages import channel_deleted, lost_access, not_a_text_channel

if TYPE_CHECKING:
    from bot.client import ArchiveBot


#: What the bot needs in a channel it posts to.
NEEDED = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)


def missing_permissions(channel: discord.abc.GuildChannel, me: discord.Member) -> list[str]:
    """The permissions of ``NEEDED`` the bot lacks in ``channel``, as Discord names them."""
    have = channel.permissions_for(me)
    return [
        name.replace("_", " ").title()
        for name, value in NEEDED
        if value and not getattr(have, name)
    ]


def _unavailable_reason(error: discord.HTTPException, command: str) -> str | None:
    """Why a channel cannot take posts, for the errors that retrying will not fix;
    ``command`` is the one that chooses another channel."""
    if isinstance(error, discord.NotFound) and error.code == 10003:
        return channel_deleted(command)
    if isinstance(error, discord.Forbidden) and error.code in (50001, 50013):
        return lost_access(error.code, command)
    return None


@contextlib.contextmanager
def posting(command: str) -> Iterator[None]:
    """Discord's refusals of a post that retrying will not fix (a deleted channel, lost
    access) become ``ChannelUnavailable`` naming ``command``, which chooses another channel."""
    try:
        yield
    except discord.HTTPException as error:
        reason = _unavailable_reason(error, command)
        if reason is None:
            raise
        raise ChannelUnavailable(reason) from error


@contextlib.contextmanager
def unconfirmed() -> Iterator[None]:
    """A post that failed where it may have reached Discord all the same (the connection
    dropped, a time-out, Discord's own error once discord.py's retries ran out) becomes
    ``PostUncertain``: sent again with its nonce, it can't be posted twice."""
    try:
        yield
    except (aiohttp.ClientError, TimeoutError, discord.DiscordServerError) as error:
        raise PostUncertain(f"{type(error).__name__}: {error}") from error


async def send_card(
    channel: discord.abc.Messageable,
    shown: discord.Embed,
    view: discord.ui.View | None,
    content: str | None = None,
    mentions: discord.AllowedMentions | None = None,
    nonce: str | None = None,
) -> discord.Message:
    """Post a card's embed, with its link buttons if it has any; nobody is pinged unless
    ``mentions`` allows it. With ``nonce``, Discord answers a second post with the same nonce
    (within a few minutes) with the first message instead of making another (discord.py sends
    every nonce with ``enforce_nonce``)."""
    options: dict[str, Any] = {
        "embed": shown,
        "allowed_mentions": mentions or discord.AllowedMentions.none(),
    }
    if view is not None:
        options["view"] = view
    if nonce is not None:
        options["nonce"] = nonce
    return await channel.send(content, **options)


async def messageable(bot: ArchiveBot, channel_id: int, command: str) -> discord.abc.Messageable:
    """The channel to post to (``ChannelUnavailable`` when it is not one that takes posts)."""
    channel = bot.get_channel(channel_id) or await bot.fetch_channel(channel_id)
    if not isinstance(channel, discord.abc.Messageable):
        raise ChannelUnavailable(not_a_text_channel(command))
    return channel
