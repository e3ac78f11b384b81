"""Posting to a channel (scheduled picks, announcements): as a message, as a message with a
thread opened on it, or as a forum post; the permissions each needs, and Discord's refusals
that retrying will not fix turned into ``ChannelUnavailable``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot.errors import ChannelUnavailable, PostUncertain
from bot.render.conversations import forum_tag_required, permission_names
from bot.render.messages import (
    channel_deleted,
    lost_access,
    missing_permissions_message,
    not_a_text_channel,
    tag_required,
)

if TYPE_CHECKING:
    from bot.client import ArchiveBot


#: What the bot needs in a channel it posts messages to; in a forum, Send Messages is Create
#: Posts (a post's first message comes with it).
NEEDED = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)
#: ... and to open a thread on each of its messages there.
NEEDED_FOR_THREADS = NEEDED | discord.Permissions(create_public_threads=True)

#: A channel the bot posts to: one that takes messages, or a forum that takes posts.
Destination = discord.abc.Messageable | discord.ForumChannel


def needed_names(*, forum: bool = False, thread: bool = False) -> list[str]:
    """What the bot needs to post in a forum, or a channel (opening threads or not), as
    Discord names it."""
    needed = NEEDED_FOR_THREADS if thread and not forum else NEEDED
    return permission_names([name for name, value in needed if value], forum=forum)


def missing_permissions(
    channel: discord.abc.GuildChannel, me: discord.Member, *, thread: bool = False
) -> list[str]:
    """What the bot lacks to post in ``channel`` (to open a thread on each post, with
    ``thread``; in a forum, to create posts), as Discord names it."""
    have = channel.permissions_for(me)
    forum = isinstance(channel, discord.ForumChannel)
    needed = NEEDED_FOR_THREADS if thread and not forum else NEEDED
    flags = [name for name, value in needed if value and not getattr(have, name)]
    return permission_names(flags, forum=forum)


def _unavailable_reason(
    error: discord.HTTPException, command: str, needed: Sequence[str]
) -> str | None:
    """Why a channel cannot take posts, for the errors that retrying will not fix;
    ``command`` is the one that chooses another channel, ``needed`` what the bot needs there."""
    if isinstance(error, discord.NotFound) and error.code == 10003:
        return channel_deleted(command)
    if isinstance(error, discord.Forbidden) and error.code in (50001, 50013):
        return lost_access(error.code, command, needed)
    if error.code == 40067:  # a forum that requires a tag, and none applies
        return tag_required(command)
    return None


@contextlib.contextmanager
def posting(command: str, needed: Sequence[str] | None = None) -> Iterator[None]:
    """Discord's refusals of a post that retrying will not fix (a deleted channel, lost
    access, a forum requiring a tag) become ``ChannelUnavailable`` naming ``command``, which
    chooses another channel, and ``needed`` (default: what a message needs)."""
    try:
        yield
    except discord.HTTPException as error:
        reason = _unavailable_reason(error, command, needed or needed_names())
        if reason is None:
            raise
        raise ChannelUnavailable(reason) from error


#: Discord's error for a second thread on one message.
THREAD_EXISTS = 160004


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
    nonce: int | None = None,
) -> discord.Message:
    """Post a card's embed, with its buttons if it has any; nobody is pinged unless
    ``mentions`` allows it. With a ``nonce``, Discord answers a second send of it (a retry
    after a lost answer) with the first message instead of posting another (discord.py sends every nonce with
    ``enforce_nonce``)."""
    options: dict[str, Any] = {"embed": shown, "allowed_mentions": mentions or discord.AllowedMentions.none()}  # fmt: skip
    if view is not None:
        options["view"] = view
    if nonce is not None:
        options["nonce"] = nonce
    return await channel.send(content, **options)


def forum_tags(forum: discord.ForumChannel, names: Sequence[str]) -> list[discord.ForumTag]:
    """The forum's tag named as one of ``names`` (any case), if the bot may apply it (a
    moderated tag needs Manage Threads)."""
    wanted = {name.casefold() for name in names}
    manage = forum.permissions_for(forum.guild.me).manage_threads
    return [
        tag
        for tag in forum.available_tags
        if tag.name.casefold() in wanted and (manage or not tag.moderated)
    ][:1]


def untagged_newsletters(forum: discord.ForumChannel, newsletters: Mapping[str, str]) -> list[str]:
    """The names of ``newsletters`` (name by id) that can have no post in ``forum``: it
    requires a tag on every post and has none named after them."""
    if not forum.flags.require_tag:
        return []
    return [name for letter, name in newsletters.items() if not forum_tags(forum, (name, letter))]


def channel_refusal(
    channel: discord.abc.GuildChannel,
    me: discord.Member,
    newsletters: Mapping[str, str],
    *,
    thread: bool = False,
) -> str | None:
    """Why ``channel`` can't take the posts a command sets up (of ``newsletters``, name by
    id): the permissions the bot lacks there, or, in a forum that requires a tag, the
    newsletters it has no tag for. None when it can take them."""
    missing = missing_permissions(channel, me, thread=thread)
    if missing:
        return missing_permissions_message(channel.mention, missing)
    if isinstance(channel, discord.ForumChannel):
        untagged = untagged_newsletters(channel, newsletters)
        if untagged:
            return forum_tag_required(channel.mention, untagged)
    return None


async def post_card(
    channel: Destination,
    shown: discord.Embed,
    view: discord.ui.View | None,
    *,
    name: str,
    tag: Sequence[str] = (),
    thread: bool = False,
    content: str | None = None,
    mentions: discord.AllowedMentions | None = None,
    nonce: int | None = None,
) -> discord.Message | None:
    """Post a card in ``channel``: in a forum, as a new post named ``name`` (with the tag
    named as one of ``tag``, when the forum has one); elsewhere as a message (``send_card``),
    with a thread named ``name`` opened on it when ``thread``. The message is returned; None
    for a forum post the bot had made already.

    Sent again after a try whose answer was lost (``nonce``), nothing is made twice: a
    message comes back from Discord as it was, a thread already opened on it is kept, and a
    forum post (which takes no nonce) is looked for among the forum's open posts by name."""
    if isinstance(channel, discord.ForumChannel):
        me = channel.guild.me.id
        if nonce is not None and any(
            post.name == name and post.owner_id == me for post in channel.threads
        ):
            return None
        options: dict[str, Any] = {"embed": shown, "allowed_mentions": mentions or discord.AllowedMentions.none()}  # fmt: skip
        if view is not None:
            options["view"] = view
        tags = forum_tags(channel, tag)
        if tags:
            options["applied_tags"] = tags
        created = await channel.create_thread(name=name, content=content, **options)
        return created.message
    message = await send_card(channel, shown, view, content, mentions, nonce)
    if thread and isinstance(channel, discord.TextChannel):
        try:
            await message.create_thread(name=name)
        except discord.HTTPException as error:
            if error.code != THREAD_EXISTS:  # opened by the try before: kept
                raise
    return message


async def destination(bot: ArchiveBot, channel_id: int, command: str) -> Destination:
    """The channel to post to (``ChannelUnavailable`` when it is not one that takes posts)."""
    channel = bot.get_channel(channel_id) or await bot.fetch_channel(channel_id)
    if not isinstance(channel, discord.abc.Messageable | discord.ForumChannel):
        raise ChannelUnavailable(not_a_text_channel(command))
    return channel
