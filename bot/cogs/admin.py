"""/reload and /about."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot import __version__
from bot.client import ArchiveBot
from bot.cogs.helpers.checks import moderators_only
from bot.cogs.helpers.replies import embed, reply
from bot.errors import ContentError
from bot.render.cards import AboutFacts, about_card
from bot.render.messages import newsletter_list, reload_failed_message, reload_message

log = logging.getLogger(__name__)


class AdminCommands(commands.Cog):
    def __init__(self, bot: ArchiveBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="reload", description="Re-read the newsletter files without a restart."
    )
    @app_commands.guild_only()
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    @app_commands.default_permissions(manage_guild=True)
    @moderators_only
    async def reload_command(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            summary = await self.bot.service.loader.reload()
        except ContentError as error:
            log.warning("reload failed: %s", error)
            await reply(interaction, reload_failed_message(error.problems), ephemeral=True)
            return
        log.info("reload: %s", summary)
        await reply(interaction, reload_message(summary, self.bot.service.names), ephemeral=True)

    @app_commands.command(name="about", description="About this bot and the archive it serves.")
    async def about_command(self, interaction: discord.Interaction) -> None:
        service = self.bot.service
        issues, resources = await service.issues.counts()
        served = service.newsletters
        newsletter = served[0]
        one = len(served) == 1
        latency = self.bot.latency
        facts = AboutFacts(
            bot_name=self.bot.user.name if self.bot.user else "this bot",
            version=__version__,
            newsletter=newsletter_list([n.name for n in served]),
            author=newsletter.author if one else None,
            url=newsletter.url if one else None,
            issues=issues,
            resources=resources,
            latest=await service.issues.latest(),
            loaded_at=await service.issues.loaded_at(),
            uptime=service.clock() - self.bot.started_at,
            latency=latency if latency == latency and latency < 1e6 else None,
            skipped_files=len(
                {problem.source for problem in service.loader.problems if problem.fatal}
            ),
            held_entries=await service.feeds.held_count(),
        )
        await reply(interaction, embed=embed(about_card(facts), self.bot))


async def setup(bot: ArchiveBot) -> None:
    await bot.add_cog(AdminCommands(bot))
