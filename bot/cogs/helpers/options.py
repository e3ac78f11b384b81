"""The ``newsletter`` option every command shares: its description, value and autocomplete."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands

from bot.errors import UnknownNewsletter
from bot.render.messages import unknown_newsletter_message

if TYPE_CHECKING:
    from bot.client import ArchiveBot


def archive_bot(interaction: discord.Interaction) -> ArchiveBot:
    return cast("ArchiveBot", interaction.client)


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
