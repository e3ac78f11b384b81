"""/reload and /about."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot import __version__
from bot.client import ArchiveBot
from bot.cogs.common import embed, moderators_only, reply
from bot.errors import ContentError
from bot.render.cards import Card, CardField, format_date
from bot.render.messages import format_duration, reload_failed_message, reload_message

log = logging.getLogger(__name__)


class Admin(commands.Cog):
    def __init__(self, bot: ArchiveBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="reload", description="Re-read the newsletter files without a restart."
    )
    @app_commands.guild_only()
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    @app_commands.default_permissions(manage_guild=True)
    @moderators_only
    async def reload(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            summary = await self.bot.service.reload()
        except ContentError as error:
            log.warning("reload by %s failed: %s", interaction.user.id, error)
            await reply(interaction, reload_failed_message(error.problems), ephemeral=True)
            return
        log.info("reload by %s: %s", interaction.user.id, summary)
        await reply(interaction, reload_message(summary, self.bot.service.warnings), ephemeral=True)

    @app_commands.command(name="about", description="About this bot and the archive it serves.")
    async def about(self, interaction: discord.Interaction) -> None:
        archive = self.bot.service.archive
        issues, resources = await archive.counts()
        latest = await archive.latest_issue()
        loaded = await archive.loaded_at()
        newsletter = self.bot.settings.newsletter
        latency = self.bot.latency
        fields = [
            CardField("Issues", str(issues), inline=True),
            CardField("Resources", str(resources), inline=True),
            CardField("Version", __version__, inline=True),
            CardField(
                "Latest issue",
                f"#{latest.number} · {format_date(latest.date)} · {latest.title}"
                if latest
                else "none",
            ),
            CardField(
                "Content loaded",
                discord.utils.format_dt(loaded, "R") if loaded else "never",
                inline=True,
            ),
            CardField(
                "Uptime", format_duration(self.bot.clock() - self.bot.started_at), inline=True
            ),
            CardField(
                "Latency",
                f"{latency * 1000:.0f} ms" if latency == latency and latency < 1e6 else "n/a",
                inline=True,
            ),
        ]
        description = f"The back issues of {newsletter.name}" + (
            f" by {newsletter.author}" if newsletter.author else ""
        )
        card = Card(
            f"About {self.bot.user.name if self.bot.user else 'this bot'}",
            description + ".",
            newsletter.url,
            tuple(fields),
        )
        await reply(interaction, embed=embed(card, self.bot))


async def setup(bot: ArchiveBot) -> None:
    await bot.add_cog(Admin(bot))
