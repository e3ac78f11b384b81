"""Helpers every cog uses: embeds from cards, replies, the moderator check, cooldowns."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands

from bot.errors import UnknownNewsletter
from bot.render import limits
from bot.render.cards import Card
from bot.render.limits import AUTHOR, clip, fit
from bot.render.messages import NOT_A_MODERATOR, unknown_newsletter_message

if TYPE_CHECKING:
    from bot.client import ArchiveBot

log = logging.getLogger(__name__)


def archive_bot(interaction: discord.Interaction) -> ArchiveBot:
    return cast("ArchiveBot", interaction.client)


def embed(card: Card, bot: ArchiveBot, newsletter_id: str | None = None) -> discord.Embed:
    """A card as an embed in the colours of the newsletter it is about (default: the first),
    always within Discord's limits."""
    feeds = bot.settings.feeds
    newsletter = next((feed for feed in feeds if feed.id == newsletter_id), feeds[0])
    author = clip(newsletter.name, AUTHOR)
    card = fit(card, reserve=len(author))
    result = discord.Embed(
        title=card.title,
        description=card.description or None,
        url=card.url,
        colour=newsletter.colour_value,
    )
    result.set_author(name=author, url=newsletter.url, icon_url=newsletter.icon_url)
    for field in card.fields:
        result.add_field(name=field.name, value=field.value, inline=field.inline)
    if card.footer:
        result.set_footer(text=card.footer)
    return result


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


async def reply(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = False,
) -> None:
    """Answer an interaction whether or not it was already answered or deferred."""
    missing = discord.utils.MISSING
    embed_ = embed if embed is not None else missing
    view_ = view if view is not None else missing
    if interaction.response.is_done():
        await interaction.followup.send(
            content if content is not None else missing,
            embed=embed_,
            view=view_,
            ephemeral=ephemeral,
        )
    else:
        await interaction.response.send_message(
            content, embed=embed_, view=view_, ephemeral=ephemeral
        )


def several(bot: ArchiveBot) -> dict[str, str] | None:
    """Each newsletter's name by id when the bot serves several; None when it serves one."""
    names = bot.service.newsletters
    return names if len(names) > 1 else None


def newsletter_option(bot: ArchiveBot, value: str | None) -> str | None:
    """The id a ``newsletter`` option names (None: every newsletter); ``UnknownNewsletter``
    (answered by the error handler) when it names none."""
    if value is None:
        return None
    found = bot.service.find_newsletter(value)
    if found is None:
        raise UnknownNewsletter(unknown_newsletter_message(value, bot.service.newsletters))
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


def search_cooldown(interaction: discord.Interaction) -> app_commands.Cooldown:
    setting = archive_bot(interaction).settings.discord.search_cooldown
    return app_commands.Cooldown(setting.rate, setting.per)


def random_cooldown(interaction: discord.Interaction) -> app_commands.Cooldown:
    setting = archive_bot(interaction).settings.discord.random_cooldown
    return app_commands.Cooldown(setting.rate, setting.per)
