"""/latest and /issue."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ArchiveBot
from bot.cogs.common import embed, link_buttons, reply
from bot.render.cards import issue_card
from bot.render.messages import EMPTY_ARCHIVE, missing_issue_message

log = logging.getLogger(__name__)


class IssueCommands(commands.Cog):
    def __init__(self, bot: ArchiveBot) -> None:
        self.bot = bot

    @app_commands.command(name="latest", description="The newest issue of the newsletter.")
    async def latest_command(self, interaction: discord.Interaction) -> None:
        issue = await self.bot.service.latest_issue()
        if issue is None:
            await reply(interaction, EMPTY_ARCHIVE, ephemeral=True)
            return
        card = issue_card(issue)
        await reply(interaction, embed=embed(card, self.bot), view=link_buttons(card))

    @app_commands.command(name="issue", description="One issue of the newsletter, by number.")
    @app_commands.describe(number="The issue number (start typing to pick from the list)")
    async def issue_command(
        self, interaction: discord.Interaction, number: app_commands.Range[int, 0, 1_000_000]
    ) -> None:
        found = await self.bot.service.issue(number)
        if found is None:
            numbers = await self.bot.service.issue_numbers()
            await reply(interaction, missing_issue_message(number, numbers), ephemeral=True)
            return
        card = issue_card(found)
        await reply(interaction, embed=embed(card, self.bot), view=link_buttons(card))

    @issue_command.autocomplete("number")
    async def issue_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        try:
            found = self.bot.service.autocomplete_issues(current)
            return [app_commands.Choice(name=label[:100], value=number) for number, label in found]
        except Exception:  # an autocomplete must answer, whatever happens
            log.exception("issue autocomplete failed")
            return []


async def setup(bot: ArchiveBot) -> None:
    await bot.add_cog(IssueCommands(bot))
