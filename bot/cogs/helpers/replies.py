"""Answering an interaction: a card as an embed in its newsletter's colours, link buttons,
and a reply that works whether or not the interaction was answered or deferred already."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING, TypeVar

import discord

from bot.render import limits
from bot.render.cards import Card
from bot.render.limits import AUTHOR, clip, fit

if TYPE_CHECKING:
    from bot.client import ArchiveBot

T = TypeVar("T")


def embed(card: Card, bot: ArchiveBot, newsletter_id: str | None = None) -> discord.Embed:
    """A card as an embed in the colours of the newsletter it is about (default: the first),
    always within Discord's limits."""
    served = bot.service.newsletters
    newsletter = next((n for n in served if n.id == newsletter_id), served[0])
    author = clip(newsletter.name, AUTHOR)
    card = fit(card, reserve=len(author))
    result = discord.Embed(
        title=card.title,
        description=card.description or None,
        url=card.url,
        colour=newsletter.colour,
    )
    result.set_author(name=author, url=newsletter.url, icon_url=newsletter.icon_url)
    for field in card.fields:
        result.add_field(name=field.name, value=field.value, inline=field.inline)
    if card.footer:
        result.set_footer(text=card.footer)
    return result


def link_buttons(card: Card) -> discord.ui.View | None:
    """The card's links as link buttons (an issue's web page, a resource's first link), or
    None when it has none. Link buttons need no callback, so the view never times out."""
    links = limits.link_buttons(card)
    if not links:
        return None
    view = discord.ui.View(timeout=None)
    for link in links:
        view.add_item(
            discord.ui.Button(style=discord.ButtonStyle.link, label=link.label, url=link.url)
        )
    return view


#: How long a command waits on the archive before it tells Discord it is working on it: Discord
#: waits 3 s for a first answer, and a content load holds the database's write turn longer.
DEFER_AFTER_SECONDS = 1.5


async def in_time(
    interaction: discord.Interaction, work: Awaitable[T], *, ephemeral: bool = False
) -> T:
    """``work``'s result; the interaction is deferred meanwhile if that takes longer than
    ``DEFER_AFTER_SECONDS`` (a write waiting for a content load to finish). ``ephemeral``: as
    the answer that follows is, since Discord shows that answer as the deferral was."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.wait_for(asyncio.shield(task), DEFER_AFTER_SECONDS)
    except TimeoutError:
        if not interaction.response.is_done():
            await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        return await task


async def reply(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    embeds: list[discord.Embed] | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = False,
) -> None:
    """Answer an interaction whether or not it was already answered or deferred (``embeds``:
    several, up to 10, instead of one ``embed``)."""
    missing = discord.utils.MISSING
    embed_ = embed if embed is not None else missing
    embeds_ = embeds if embeds is not None else missing
    view_ = view if view is not None else missing
    if interaction.response.is_done():
        await interaction.followup.send(
            content if content is not None else missing,
            embed=embed_,
            embeds=embeds_,
            view=view_,
            ephemeral=ephemeral,
        )
    else:
        await interaction.response.send_message(
            content, embed=embed_, embeds=embeds_, view=view_, ephemeral=ephemeral
        )
