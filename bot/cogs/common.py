"""Helpers every cog uses: embeds from cards, replies, the moderator check, cooldowns."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, TypeVar, cast

import discord
from discord import app_commands
from discord.ext import tasks

from bot.errors import ChannelUnavailable, UnknownNewsletter
from bot.render import limits
from bot.render.cards import Card
from bot.render.limits import AUTHOR, clip, fit
from bot.render.messages import (
    NOT_A_MODERATOR,
    channel_deleted,
    lost_access,
    not_a_text_channel,
    unknown_newsletter_message,
)

if TYPE_CHECKING:
    from bot.client import ArchiveBot

log = logging.getLogger(__name__)

T = TypeVar("T")


def archive_bot(interaction: discord.Interaction) -> ArchiveBot:
    return cast("ArchiveBot", interaction.client)


def embed(card: Card, bot: ArchiveBot, newsletter_id: str | None = None) -> discord.Embed:
    """A card as an embed in the colours of the newsletter it is about (default: the first),
    always within Discord's limits."""
    served = bot.service.newsletters
    newsletter = next((n for n in served if n.id == newsletter_id), served[0])
    author = clip(newsletter.name, AUTHOR)
    card = fit(card, reserve=len(author))
    result = discord.Embed(
        title=card.title,
        description=card.description or None,
        url=card.url,
        colour=newsletter.colour,
    )
    result.set_author(name=author, url=newsletter.url, icon_url=newsletter.icon_url)
    for field in card.fields:
        result.add_field(name=field.name, value=field.value, inline=field.inline)
    if card.footer:
        result.set_footer(text=card.footer)
    return result


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


async def send_card(
    channel: discord.abc.Messageable,
    shown: discord.Embed,
    view: discord.ui.View | None,
    content: str | None = None,
    mentions: discord.AllowedMentions | None = None,
) -> discord.Message:
    """Post a card's embed, with its link buttons if it has any; nobody is pinged unless
    ``mentions`` allows it."""
    allowed = mentions or discord.AllowedMentions.none()
    if view is None:
        return await channel.send(content, embed=shown, allowed_mentions=allowed)
    return await channel.send(content, embed=shown, view=view, allowed_mentions=allowed)


async def messageable(bot: ArchiveBot, channel_id: int, command: str) -> discord.abc.Messageable:
    """The channel to post to (``ChannelUnavailable`` when it is not one that takes posts)."""
    channel = bot.get_channel(channel_id) or await bot.fetch_channel(channel_id)
    if not isinstance(channel, discord.abc.Messageable):
        raise ChannelUnavailable(not_a_text_channel(command))
    return channel


def link_buttons(card: Card) -> discord.ui.View | None:
    """The card's links as link buttons (an issue's web page, a resource's first link), or
    None when it has none. Link buttons need no callback, so the view never times out."""
    links = limits.link_buttons(card)
    if not links:
        return None
    view = discord.ui.View(timeout=None)
    for link in links:
        view.add_item(
            discord.ui.Button(style=discord.ButtonStyle.link, label=link.label, url=link.url)
        )
    return view


class BackgroundPass:
    """A pass the bot runs every ``discord.schedule_poll_seconds`` once it is connected (the
    scheduler, the announcer, the feed poller), from its cog's load to its unload. A pass that
    fails is logged and the next one runs: an exception escaping a ``tasks.loop`` body would
    end the loop for good."""

    def __init__(self, bot: ArchiveBot, name: str, run: Callable[[], Awaitable[object]]) -> None:
        self._name = name
        self._run = run
        self._loop = tasks.loop(seconds=bot.settings.discord.schedule_poll_seconds)(self.run_once)
        self._loop.before_loop(bot.wait_until_ready)

    async def run_once(self) -> None:
        try:
            await self._run()
        except Exception:
            log.exception("%s failed", self._name)

    def start(self) -> None:
        self._loop.start()

    def cancel(self) -> None:
        self._loop.cancel()


#: How long a command waits on the archive before it tells Discord it is working on it: Discord
#: waits 3 s for a first answer, and a content load holds the database's write turn longer.
DEFER_AFTER_SECONDS = 1.5


async def in_time(
    interaction: discord.Interaction, work: Awaitable[T], *, ephemeral: bool = False
) -> T:
    """``work``'s result; the interaction is deferred meanwhile if that takes longer than
    ``DEFER_AFTER_SECONDS`` (a write waiting for a content load to finish). ``ephemeral``: as
    the answer that follows is, since Discord shows that answer as the deferral was."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.wait_for(asyncio.shield(task), DEFER_AFTER_SECONDS)
    except TimeoutError:
        if not interaction.response.is_done():
            await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        return await task


async def reply(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    embeds: list[discord.Embed] | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = False,
) -> None:
    """Answer an interaction whether or not it was already answered or deferred (``embeds``:
    several, up to 10, instead of one ``embed``)."""
    missing = discord.utils.MISSING
    embed_ = embed if embed is not None else missing
    embeds_ = embeds if embeds is not None else missing
    view_ = view if view is not None else missing
    if interaction.response.is_done():
        await interaction.followup.send(
            content if content is not None else missing,
            embed=embed_,
            embeds=embeds_,
            view=view_,
            ephemeral=ephemeral,
        )
    else:
        await interaction.response.send_message(
            content, embed=embed_, embeds=embeds_, view=view_, ephemeral=ephemeral
        )


def several(bot: ArchiveBot) -> dict[str, str] | None:
    """Each newsletter's name by id when the bot serves several; None when it serves one."""
    names = bot.service.names
    return names if len(names) > 1 else None


def newsletter_option(bot: ArchiveBot, value: str | None) -> str | None:
    """The id a ``newsletter`` option names (None: every newsletter); ``UnknownNewsletter``
    (answered by the error handler) when it names none."""
    if value is None:
        return None
    found = bot.service.find_newsletter(value)
    if found is None:
        raise UnknownNewsletter(unknown_newsletter_message(value, bot.service.names))
    return found


async def newsletter_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The newsletters served whose id or name holds what was typed."""
    found = archive_bot(interaction).service.autocomplete_newsletters(current)
    return [app_commands.Choice(name=name[:100], value=letter) for letter, name in found][:25]


#: The ``newsletter`` option's description, on every command that has it.
NEWSLETTER_OPTION = "Which newsletter (start typing to pick; default: every one)"


class NotModerator(app_commands.CheckFailure):
    """Raised by the moderator check; the error handler turns it into a polite refusal."""


def is_moderator(member: discord.abc.User, role_ids: tuple[int, ...]) -> bool:
    if not isinstance(member, discord.Member):
        return False
    if member.guild_permissions.manage_guild:
        return True
    return any(role.id in role_ids for role in member.roles)


async def moderator_check(interaction: discord.Interaction) -> bool:
    """Run-time check behind ``default_member_permissions``: server admins can change who
    sees a command in Integrations, but only moderators may run it."""
    if is_moderator(interaction.user, archive_bot(interaction).settings.discord.moderator_role_ids):
        return True
    command = interaction.command.qualified_name if interaction.command else "?"
    log.warning("refused /%s in guild %s: not a moderator", command, interaction.guild_id)
    log.debug("/%s was refused to user %s", command, interaction.user.id)
    raise NotModerator(NOT_A_MODERATOR)


moderators_only = app_commands.check(moderator_check)


def moderator_group(name: str, description: str) -> app_commands.Group:
    """A group of server-only commands that Discord shows to Manage Server by default (each
    command still checks ``moderators_only`` at run time)."""
    return app_commands.Group(
        name=name,
        description=description,
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(
            guild=True, dm_channel=False, private_channel=False
        ),
        default_permissions=discord.Permissions(manage_guild=True),
    )


#: Where a cooldown check leaves the bucket it used, for ``refund_cooldown``.
_COOLDOWN_USED = "cooldown used"


def per_user_cooldown(
    factory: Callable[[discord.Interaction], app_commands.Cooldown],
) -> Callable[[T], T]:
    """A per-user cooldown check, as ``app_commands.checks.dynamic_cooldown`` with its default
    key, except that ``refund_cooldown`` gives the use back when the command found nothing or
    failed. A refusal raises ``CommandOnCooldown`` as discord.py's does."""
    buckets: dict[int, app_commands.Cooldown] = {}

    async def predicate(interaction: discord.Interaction) -> bool:
        now = interaction.created_at.timestamp()
        for user_id in [u for u, b in buckets.items() if b.get_tokens(now) >= b.rate]:
            del buckets[user_id]  # a full bucket is the same as none
        bucket = buckets.get(interaction.user.id) or factory(interaction)
        buckets[interaction.user.id] = bucket
        retry_after = bucket.update_rate_limit(now)
        if retry_after is not None:
            raise app_commands.CommandOnCooldown(bucket, retry_after)
        interaction.extras[_COOLDOWN_USED] = bucket
        return True

    return app_commands.check(predicate)


def refund_cooldown(interaction: discord.Interaction) -> None:
    """Give back the use a ``per_user_cooldown`` took for this interaction (once)."""
    bucket: app_commands.Cooldown | None = interaction.extras.pop(_COOLDOWN_USED, None)
    now = interaction.created_at.timestamp()
    if bucket is not None and bucket.get_tokens(now) < bucket.rate:
        bucket.update_rate_limit(now, tokens=-1)


def search_cooldown(interaction: discord.Interaction) -> app_commands.Cooldown:
    setting = archive_bot(interaction).settings.discord.search_cooldown
    return app_commands.Cooldown(setting.rate, setting.per)


def random_cooldown(interaction: discord.Interaction) -> app_commands.Cooldown:
    setting = archive_bot(interaction).settings.discord.random_cooldown
    return app_commands.Cooldown(setting.rate, setting.per)
