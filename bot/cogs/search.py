"""/search with pages and autocomplete, and /random."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.archive.records import SearchHit
from bot.client import ArchiveBot
from bot.cogs.common import (
    NEWSLETTER_OPTION,
    embed,
    link_buttons,
    newsletter_autocomplete,
    newsletter_option,
    per_user_cooldown,
    random_cooldown,
    refund_cooldown,
    reply,
    search_cooldown,
    several,
)
from bot.cogs.errors import log_with_error_id
from bot.render.cards import page_count, resource_card, search_card
from bot.render.messages import NOTHING_IN_ARCHIVES, PAGES_FOR_SEARCHER, no_results_message

log = logging.getLogger(__name__)

PER_PAGE = 5
MAX_RESULTS = 25


class SearchPages(discord.ui.View):
    """Previous/Next through search results; only the person who searched can page."""

    def __init__(self, bot: ArchiveBot, owner_id: int, query: str, hits: list[SearchHit]) -> None:
        super().__init__(timeout=bot.settings.discord.search_view_timeout)
        self.bot = bot
        self.owner_id = owner_id
        self.query = query
        self.hits = hits
        self.page = 0
        self.pages = page_count(len(hits), PER_PAGE)
        self.message: discord.InteractionMessage | None = None
        self._update_buttons()

    def current(self) -> discord.Embed:
        card = search_card(self.query, self.hits, self.page, PER_PAGE, several(self.bot))
        return embed(card, self.bot)

    def _update_buttons(self) -> None:
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(PAGES_FOR_SEARCHER, ephemeral=True)
        return False

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        self.page = min(max(self.page + step, 0), self.pages - 1)
        self._update_buttons()
        await interaction.response.edit_message(embed=self.current(), view=self)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.primary)
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await self._turn(interaction, 1)

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.message is not None:
            # The message may be gone or too old to edit: then there is nothing to disable.
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await reply(interaction, log_with_error_id("search pages", error), ephemeral=True)


class SearchCommands(commands.Cog):
    def __init__(self, bot: ArchiveBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="search", description="Search every issue's resources (typos forgiven)."
    )
    @app_commands.describe(
        query="Words to look for, e.g. 'contrastive loss' or 'pytorch tips'",
        newsletter=NEWSLETTER_OPTION,
    )
    @app_commands.autocomplete(newsletter=newsletter_autocomplete)
    @per_user_cooldown(search_cooldown)
    async def search_command(
        self,
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, 200],
        newsletter: str | None = None,
    ) -> None:
        service = self.bot.service
        chosen = newsletter_option(self.bot, newsletter)
        hits = await service.search(query, limit=MAX_RESULTS, newsletter=chosen)
        if not hits:
            refund_cooldown(interaction)  # nothing found: the search does not count
            suggestions = await service.suggest(query, chosen)
            await reply(interaction, no_results_message(query, suggestions), ephemeral=True)
            return
        if len(hits) <= PER_PAGE:
            card = search_card(query, hits, 0, PER_PAGE, several(self.bot))
            await reply(interaction, embed=embed(card, self.bot, chosen))
            return
        view = SearchPages(self.bot, interaction.user.id, query, hits)
        await reply(interaction, embed=view.current(), view=view)
        view.message = await interaction.original_response()

    @search_command.autocomplete("query")
    async def search_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            chosen = getattr(interaction.namespace, "newsletter", None)
            letter = self.bot.service.find_newsletter(chosen) if chosen else None
            titles = await self.bot.service.autocomplete_titles(current[:200], letter)
            return [
                app_commands.Choice(name=title[:100], value=title[:100]) for title, _ in titles
            ][:25]
        except Exception:  # an autocomplete must answer, whatever happens
            log.exception("search autocomplete failed")
            return []

    @app_commands.command(
        name="random", description="A pick from the archives: a resource from an earlier issue."
    )
    @app_commands.describe(newsletter=NEWSLETTER_OPTION)
    @app_commands.autocomplete(newsletter=newsletter_autocomplete)
    @per_user_cooldown(random_cooldown)
    async def random_command(
        self, interaction: discord.Interaction, newsletter: str | None = None
    ) -> None:
        scope = str(interaction.channel_id or interaction.user.id)
        pick = await self.bot.service.pick(scope, newsletter_option(self.bot, newsletter))
        if pick is None:
            refund_cooldown(interaction)
            await reply(interaction, NOTHING_IN_ARCHIVES, ephemeral=True)
            return
        card = resource_card(pick)
        await reply(
            interaction, embed=embed(card, self.bot, pick.newsletter), view=link_buttons(card)
        )


async def setup(bot: ArchiveBot) -> None:
    await bot.add_cog(SearchCommands(bot))
