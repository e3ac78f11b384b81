"""The Save button under search results, picks and issue cards.

Its custom_id carries the key of what it saves (``save:<key>``), and ``SaveButton`` is a
``DynamicItem`` registered when the bot starts (bot/cogs/saved.py): a button posted before a
restart, or under a message whose view has timed out, still works. Pressing it keeps the item
in the member's saved list and sends it to them by direct message (or answers them privately
when their direct messages are closed).
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.archive.records import IssueRecord, ResourceRecord
from bot.cogs.errors import log_with_error_id
from bot.cogs.helpers.options import archive_bot
from bot.cogs.helpers.replies import embed, link_buttons, reply
from bot.render.cards import Card, issue_card, resource_card
from bot.render.conversations import DMS_CLOSED, ITEM_GONE, SAVE, SAVED_DM, SAVED_SENT

#: What a Save button's custom_id holds: a newsletter id, then an issue number or a
#: resource's key (``rows.resource_key``), within Discord's 100 characters.
SAVE_ID = r"save:(?P<key>[a-z0-9][a-z0-9_-]{0,31}/[0-9a-z-]{1,60})"

#: Discord's code for a member whose direct messages are closed to the bot.
DMS_CLOSED_CODE = 50007


def item_card(item: ResourceRecord | IssueRecord) -> Card:
    """How a saved item is shown: an issue's card, or a resource's."""
    return issue_card(item) if isinstance(item, IssueRecord) else resource_card(item)


class SaveButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=SAVE_ID):
    """Save the resource or issue ``key`` names for whoever presses it."""

    def __init__(self, key: str, label: str = SAVE) -> None:
        super().__init__(
            discord.ui.Button(
                label=label, style=discord.ButtonStyle.secondary, custom_id=f"save:{key}"
            )
        )
        self.key = key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SaveButton:
        return cls(match["key"], getattr(item, "label", None) or SAVE)

    async def callback(self, interaction: discord.Interaction) -> None:
        await save_for(interaction, self.key)


class PageSaveButton(discord.ui.Button[Any]):
    """A Save button in a view that times out (search pages). A ``SaveButton`` there would
    go with its view: discord.py's view store forgets a dynamic item's pattern when the
    first view holding one stops. This one stays out of its view's dispatch, so the
    ``SaveButton`` registered at start answers it, before and after the view times out."""

    def __init__(self, key: str, label: str) -> None:
        super().__init__(
            label=label, style=discord.ButtonStyle.secondary, custom_id=f"save:{key}", row=1
        )

    def is_dispatchable(self) -> bool:
        return False


def card_view(card: Card, key: str) -> discord.ui.View:
    """The card's link buttons and a Save button for ``key``."""
    view = link_buttons(card) or discord.ui.View(timeout=None)
    view.add_item(SaveButton(key))
    return view


async def save_for(interaction: discord.Interaction, key: str) -> None:
    """Keep ``key`` in the member's saved list and send it to them by direct message; the
    answer (only they see it) says so, or shows the item when their messages are closed."""
    bot = archive_bot(interaction)
    try:
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await bot.service.saved.find(key)
        if found is None:
            await reply(interaction, ITEM_GONE, ephemeral=True)
            return
        await bot.service.saved.add(interaction.user.id, key)
        card = item_card(found)
        shown = embed(card, bot, found.newsletter)
        links = link_buttons(card)
        try:
            if links is None:
                await interaction.user.send(SAVED_DM, embed=shown)
            else:
                await interaction.user.send(SAVED_DM, embed=shown, view=links)
        except discord.Forbidden as error:
            if error.code != DMS_CLOSED_CODE:
                raise
            await reply(interaction, DMS_CLOSED, embed=shown, view=links, ephemeral=True)
            return
        await reply(interaction, SAVED_SENT, ephemeral=True)
    except Exception as error:  # a button's failure is answered, never left "thinking"
        await reply(interaction, log_with_error_id("save button", error), ephemeral=True)
