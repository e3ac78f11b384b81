"""/links (moderators), and the loop that checks the archive's links in the background (the
work is ``ArchiveService.links``'s)."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ArchiveBot
from bot.cogs.helpers.background import BackgroundPass
from bot.cogs.helpers.checks import moderators_only
from bot.cogs.helpers.options import (
    NEWSLETTER_OPTION,
    newsletter_autocomplete,
    newsletter_option,
    several,
)
from bot.cogs.helpers.replies import embed, in_time, reply
from bot.render.links import check_summary, links_card

log = logging.getLogger(__name__)

#: Links one background pass checks at most: its results are written, and the next pass
#: starts, every few minutes at the default rates.
PASS_LINKS = 100


class LinkCommands(commands.Cog):
    def __init__(self, bot: ArchiveBot) -> None:
        self.bot = bot
        self.checker = BackgroundPass(bot, "link check", self.check_pass)

    async def cog_load(self) -> None:
        if self.bot.settings.links.check:
            self.checker.start()

    async def cog_unload(self) -> None:
        self.checker.cancel()

    async def check_pass(self) -> None:
        links = self.bot.service.links
        await links.refresh_if_changed()  # a console pass may have checked links meanwhile
        result = await links.check(limit=PASS_LINKS)
        if result.checked:
            log.info("link check: %s", check_summary(result))

    @app_commands.command(
        name="links", description="How many of the archive's links work, and which are dead."
    )
    @app_commands.describe(newsletter=NEWSLETTER_OPTION)
    @app_commands.autocomplete(newsletter=newsletter_autocomplete)
    @app_commands.guild_only()
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    @app_commands.default_permissions(manage_guild=True)
    @moderators_only
    async def links_command(
        self, interaction: discord.Interaction, newsletter: str | None = None
    ) -> None:
        chosen = newsletter_option(self.bot, newsletter)
        service = self.bot.service
        summary = await in_time(interaction, service.links.summary(chosen), ephemeral=True)
        name = service.names.get(chosen) if chosen is not None and several(self.bot) else None
        card = links_card(summary, self.bot.settings.links.check, name)
        await reply(interaction, embed=embed(card, self.bot, chosen), ephemeral=True)


async def setup(bot: ArchiveBot) -> None:
    await bot.add_cog(LinkCommands(bot))
