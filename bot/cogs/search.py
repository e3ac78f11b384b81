"""/search with pages and autocomplete, and /random."""

from __future__ import annotations

import contextlib
import logging
from typing import Any, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.archive.records import NO_FILTERS, SearchFilters, SearchHit
from bot.client import ArchiveBot
from bot.cogs.helpers.checks import (
    per_user_cooldown,
    random_cooldown,
    refund_cooldown,
    search_cooldown,
)
from bot.cogs.helpers.options import (
    NEWSLETTER_OPTION,
    newsletter_autocomplete,
    newsletter_option,
    several,
)
from bot.cogs.helpers.replies import embed, in_time, reply
from bot.cogs.helpers.saving import PageSaveButton, SaveButton, card_view
from bot.cogs.helpers.views import ExpiringView
from bot.render.cards import page_count, resource_card, search_card
from bot.render.conversations import save_label
from bot.render.messages import (
    NOTHING_IN_ARCHIVES,
    PAGES_FOR_SEARCHER,
    SHARE_FOR_SEARCHER,
    no_results_message,
    shared_message,
)

log = logging.getLogger(__name__)

PER_PAGE = 5
MAX_RESULTS = 25


def save_buttons(hits: list[SearchHit]) -> discord.ui.View:
    """A Save button for each result of a page that has no other buttons."""
    view = discord.ui.View(timeout=None)
    for number, hit in enumerate(hits, start=1):
        view.add_item(SaveButton(hit.resource.key, save_label(number)))
    return view


class SearchPages(ExpiringView):
    """Previous/Next through search results, and Share for a private answer (it posts the
    page shown in the channel); only the person who searched can press them."""

    where = "search pages"

    def __init__(
        self,
        bot: ArchiveBot,
        owner_id: int,
        query: str,
        hits: list[SearchHit],
        filters: SearchFilters = NO_FILTERS,
        *,
        private: bool = False,
    ) -> None:
        super().__init__(timeout=bot.settings.discord.search_view_timeout)
        self.bot = bot
        self.owner_id = owner_id
        self.query = query
        self.hits = hits
        self.filters = filters
        self.page = 0
        self.pages = page_count(len(hits), PER_PAGE)
        if self.pages == 1:
            self.remove_item(self.previous)
            self.remove_item(self.next)
        if not private:
            self.remove_item(self.share)
        self._update_buttons()

    def current(self) -> discord.Embed:
        card = search_card(
            self.query, self.hits, self.page, PER_PAGE, several(self.bot), self.filters
        )
        return embed(card, self.bot)

    def _update_buttons(self) -> None:
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1
        for item in list(self.children):
            if isinstance(item, PageSaveButton):
                self.remove_item(item)
        first = self.page * PER_PAGE
        for number, hit in enumerate(self.hits[first : first + PER_PAGE], start=first + 1):
            self.add_item(PageSaveButton(hit.resource.key, save_label(number)))

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        pressed = cast(dict[str, Any], interaction.data or {}).get("custom_id")
        refusal = SHARE_FOR_SEARCHER if pressed == self.share.custom_id else PAGES_FOR_SEARCHER
        await interaction.response.send_message(refusal, ephemeral=True)
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

    @discord.ui.button(label="Share", style=discord.ButtonStyle.success)
    async def share(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        """Post the page shown in the channel, for everyone; once."""
        await interaction.response.send_message(
            shared_message(interaction.user.mention), embed=self.current()
        )
        button.disabled = True
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self)

    def keeps_working(self, item: discord.ui.Button[Any]) -> bool:
        return isinstance(item, PageSaveButton)  # the bot answers Save buttons still


class SearchCommands(commands.Cog):
    def __init__(self, bot: ArchiveBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="search", description="Search every issue's resources (typos forgiven)."
    )
    @app_commands.describe(
        query="Words to look for, e.g. 'contrastive loss' or 'pytorch tips'",
        newsletter=NEWSLETTER_OPTION,
        issue="Only in this issue (start typing its number, month or title)",
        year="Only in issues of this year",
        section="Only in this section of the issues (start typing to pick)",
        private="Answer only you (you can share the answer after)",
    )
    @app_commands.autocomplete(newsletter=newsletter_autocomplete)
    @per_user_cooldown(search_cooldown)
    async def search_command(
        self,
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, 200],
        newsletter: str | None = None,
        issue: app_commands.Range[int, 0, 1_000_000] | None = None,
        year: app_commands.Range[int, 1900, 2200] | None = None,
        section: app_commands.Range[str, 1, 100] | None = None,
        private: bool = False,
    ) -> None:
        service = self.bot.service
        chosen = newsletter_option(self.bot, newsletter)
        filters = SearchFilters(issue, year, section.strip() if section else None)
        hits = await service.search.find(
            query, limit=MAX_RESULTS, newsletter=chosen, filters=filters
        )
        if not hits:
            refund_cooldown(interaction)  # nothing found: the search does not count
            suggestions = await service.search.suggest(query, chosen) if filters.empty else []
            await reply(
                interaction, no_results_message(query, suggestions, filters), ephemeral=True
            )
            return
        if len(hits) <= PER_PAGE and not private:
            card = search_card(query, hits, 0, PER_PAGE, several(self.bot), filters)
            await reply(interaction, embed=embed(card, self.bot, chosen), view=save_buttons(hits))
            return
        view = SearchPages(self.bot, interaction.user.id, query, hits, filters, private=private)
        await reply(interaction, embed=view.current(), view=view, ephemeral=private)
        view.message = await interaction.original_response()

    def _newsletter_typed(self, interaction: discord.Interaction) -> str | None:
        """The newsletter the options typed so far name, if any."""
        chosen = getattr(interaction.namespace, "newsletter", None)
        return self.bot.service.find_newsletter(chosen) if chosen else None

    @search_command.autocomplete("issue")
    async def issue_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        try:
            found = self.bot.service.search.autocomplete_issues(
                current, self._newsletter_typed(interaction)
            )
            return [app_commands.Choice(name=label[:100], value=number) for number, label in found]
        except Exception:  # an autocomplete must answer, whatever happens
            log.exception("search issue autocomplete failed")
            return []

    @search_command.autocomplete("year")
    async def year_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        try:
            years = await self.bot.service.search.autocomplete_years(
                current, self._newsletter_typed(interaction)
            )
            return [app_commands.Choice(name=str(year), value=year) for year in years][:25]
        except Exception:  # an autocomplete must answer, whatever happens
            log.exception("search year autocomplete failed")
            return []

    @search_command.autocomplete("section")
    async def section_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            sections = await self.bot.service.search.autocomplete_sections(
                current[:100], self._newsletter_typed(interaction)
            )
            return [app_commands.Choice(name=name[:100], value=name[:100]) for name in sections]
        except Exception:  # an autocomplete must answer, whatever happens
            log.exception("search section autocomplete failed")
            return []

    @search_command.autocomplete("query")
    async def search_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            chosen = getattr(interaction.namespace, "newsletter", None)
            letter = self.bot.service.find_newsletter(chosen) if chosen else None
            titles = await self.bot.service.search.autocomplete_titles(current[:200], letter)
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
        pick = await in_time(
            interaction, self.bot.service.picks.pick(scope, newsletter_option(self.bot, newsletter))
        )
        if pick is None:
            refund_cooldown(interaction)
            await reply(interaction, NOTHING_IN_ARCHIVES, ephemeral=True)
            return
        card = resource_card(pick)
        await reply(
            interaction,
            embed=embed(card, self.bot, pick.newsletter),
            view=card_view(card, pick.key),
        )


async def setup(bot: ArchiveBot) -> None:
    await bot.add_cog(SearchCommands(bot))
