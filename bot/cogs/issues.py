"""/latest and /issue."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.archive.saved import issue_key
from bot.client import ArchiveBot
from bot.cogs.helpers.options import (
    NEWSLETTER_OPTION,
    newsletter_autocomplete,
    newsletter_option,
    several,
)
from bot.cogs.helpers.replies import embed, reply
from bot.cogs.helpers.saving import card_view
from bot.render.cards import issue_card, latest_card
from bot.render.messages import EMPTY_ARCHIVE, missing_issue_message

log = logging.getLogger(__name__)


class IssueCommands(commands.Cog):
    def __init__(self, bot: ArchiveBot) -> None:
        self.bot = bot

    @app_commands.command(name="latest", description="The newest issue of the newsletter.")
    @app_commands.describe(newsletter=NEWSLETTER_OPTION)
    @app_commands.autocomplete(newsletter=newsletter_autocomplete)
    async def latest_command(
        self, interaction: discord.Interaction, newsletter: str | None = None
    ) -> None:
        chosen = newsletter_option(self.bot, newsletter)
        issues = await self.bot.service.issues.latest_of_each(chosen)
        if not issues:
            await reply(interaction, EMPTY_ARCHIVE, ephemeral=True)
            return
        names = several(self.bot)
        if len(issues) > 1 and names:
            await reply(interaction, embed=embed(latest_card(issues, names), self.bot))
            return
        card = issue_card(issues[0])
        await reply(
            interaction,
            embed=embed(card, self.bot, issues[0].newsletter),
            view=card_view(card, issue_key(issues[0].newsletter, issues[0].number)),
        )

    @app_commands.command(name="issue", description="One issue of the newsletter, by number.")
    @app_commands.describe(
        number="The issue number (start typing to pick from the list)",
        newsletter=NEWSLETTER_OPTION,
    )
    @app_commands.autocomplete(newsletter=newsletter_autocomplete)
    async def issue_command(
        self,
        interaction: discord.Interaction,
        number: app_commands.Range[int, 0, 1_000_000],
        newsletter: str | None = None,
    ) -> None:
        chosen = newsletter_option(self.bot, newsletter)
        found = await self.bot.service.issues.get(number, chosen)
        if found is None:
            numbers = await self.bot.service.issues.numbers(chosen)
            await reply(interaction, missing_issue_message(number, numbers), ephemeral=True)
            return
        card = issue_card(found)
        await reply(
            interaction,
            embed=embed(card, self.bot, found.newsletter),
            view=card_view(card, issue_key(found.newsletter, found.number)),
        )

    @issue_command.autocomplete("number")
    async def issue_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        try:
            chosen = getattr(interaction.namespace, "newsletter", None)
            letter = self.bot.service.find_newsletter(chosen) if chosen else None
            found = self.bot.service.search.autocomplete_issues(current, letter)
            return [app_commands.Choice(name=label[:100], value=number) for number, label in found]
        except Exception:  # an autocomplete must answer, whatever happens
            log.exception("issue autocomplete failed")
            return []


async def setup(bot: ArchiveBot) -> None:
    await bot.add_cog(IssueCommands(bot))
