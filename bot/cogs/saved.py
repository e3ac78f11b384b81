"""/saved show and /saved clear: each member's saved list, and the Save button's registration
(bot/cogs/helpers/saving.py) so that buttons posted before a restart keep working."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.archive.saved import SavedItem
from bot.client import ArchiveBot
from bot.cogs.helpers.options import several
from bot.cogs.helpers.replies import embed, in_time, reply
from bot.cogs.helpers.saving import SaveButton
from bot.cogs.helpers.views import ExpiringView
from bot.render.cards import page_count
from bot.render.conversations import (
    NOTHING_SAVED,
    remove_label,
    removed_message,
    saved_card,
    saved_cleared_message,
    saved_title,
)

PER_PAGE = 5


class RemoveButton(discord.ui.Button["SavedPages"]):
    """Take the item shown at ``index`` on the page out of the list."""

    def __init__(self, index: int, number: int) -> None:
        super().__init__(label=remove_label(number), style=discord.ButtonStyle.danger, row=1)
        self.index = index

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.remove(interaction, self.index)


class SavedPages(ExpiringView):
    """A member's saved list, a page at a time, newest first, with Previous/Next and a Remove
    button for each item shown. It answers only them (it is private anyway)."""

    where = "saved list"

    def __init__(self, bot: ArchiveBot, user_id: int, total: int) -> None:
        super().__init__(timeout=bot.settings.discord.search_view_timeout)
        self.bot = bot
        self.user_id = user_id
        self.total = total
        self.page = 0
        self.items: list[SavedItem] = []

    async def render(self) -> discord.Embed:
        """Read the page shown (the last one, if it shrank) and lay out its buttons."""
        self.page = min(self.page, page_count(self.total, PER_PAGE) - 1)
        self.items = await self.bot.service.saved.page(self.user_id, self.page * PER_PAGE, PER_PAGE)
        for item in list(self.children):
            if isinstance(item, RemoveButton):
                self.remove_item(item)
        for index in range(len(self.items)):
            self.add_item(RemoveButton(index, self.page * PER_PAGE + index + 1))
        self.previous.disabled = self.page == 0
        self.next.disabled = (self.page + 1) * PER_PAGE >= self.total
        card = saved_card(self.items, self.page, PER_PAGE, self.total, several(self.bot))
        return embed(card, self.bot)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.user_id

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        self.page = max(self.page + step, 0)
        await interaction.response.edit_message(embed=await self.render(), view=self)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary, row=0)
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.primary, row=0)
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await self._turn(interaction, 1)

    async def remove(self, interaction: discord.Interaction, index: int) -> None:
        saved = self.items[index]
        if await self.bot.service.saved.remove(self.user_id, saved.key):
            self.total -= 1
        done = removed_message(saved_title(saved))
        if self.total == 0:
            self.stop()
            await interaction.response.edit_message(
                content=f"{done} {NOTHING_SAVED}", embed=None, view=None
            )
            return
        shown = await self.render()
        await interaction.response.edit_message(content=done, embed=shown, view=self)


class SavedCommands(commands.Cog):
    saved_group = app_commands.Group(
        name="saved",
        description="What you saved with the Save buttons (only you see it).",
        allowed_contexts=app_commands.AppCommandContext(
            guild=True, dm_channel=True, private_channel=False
        ),
    )

    def __init__(self, bot: ArchiveBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(SaveButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(SaveButton)

    @saved_group.command(name="show", description="Your saved list, newest first.")
    async def show_command(self, interaction: discord.Interaction) -> None:
        user_id = interaction.user.id
        total = await self.bot.service.saved.count(user_id)
        if total == 0:
            await reply(interaction, NOTHING_SAVED, ephemeral=True)
            return
        view = SavedPages(self.bot, user_id, total)
        await reply(interaction, embed=await view.render(), view=view, ephemeral=True)
        view.message = await interaction.original_response()

    @saved_group.command(name="clear", description="Empty your saved list.")
    async def clear_command(self, interaction: discord.Interaction) -> None:
        cleared = await in_time(
            interaction, self.bot.service.saved.clear(interaction.user.id), ephemeral=True
        )
        await reply(interaction, saved_cleared_message(cleared), ephemeral=True)


async def setup(bot: ArchiveBot) -> None:
    await bot.add_cog(SavedCommands(bot))
