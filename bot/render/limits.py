"""Discord's embed limits, applied to a Card: truncate cleanly, never exceed them.

https://discord.com/developers/docs/resources/message#embed-object-embed-limits
"""

from __future__ import annotations

from dataclasses import replace

from bot.render.cards import Card, CardField, CardLink

TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
TOTAL = 6000
URL = 2048
ELLIPSIS = "…"
# https://discord.com/developers/docs/components/reference#button
BUTTONS = 5  # in one action row
BUTTON_LABEL = 80
BUTTON_URL = 512


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a line or word boundary, marked with …."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    boundary = max(cut.rfind("\n"), cut.rfind(" "))
    if boundary > limit // 2:
        cut = cut[:boundary]
    return cut.rstrip() + ELLIPSIS


def card_size(card: Card) -> int:
    """Characters that count towards Discord's 6000 total."""
    return (
        len(card.title)
        + len(card.description)
        + len(card.footer or "")
        + sum(len(f.name) + len(f.value) for f in card.fields)
    )


AUTHOR = 256


def fit(card: Card, reserve: int = 0) -> Card:
    """The same card, within every embed limit; ``reserve`` counts characters the embed
    carries besides the card (an author line) towards the 6000 total."""
    fields = tuple(
        CardField(
            clip(f.name, FIELD_NAME) or "\u200b", clip(f.value, FIELD_VALUE) or "\u200b", f.inline
        )
        for f in card.fields[:FIELDS]
    )
    url = (
        card.url
        if card.url and len(card.url) <= URL and card.url.startswith(("http://", "https://"))
        else None
    )
    card = replace(
        card,
        title=clip(card.title, TITLE),
        description=clip(card.description, DESCRIPTION),
        url=url,
        fields=fields,
        footer=clip(card.footer, FOOTER) if card.footer else None,
    )
    budget = TOTAL - reserve
    overflow = card_size(card) - budget
    if overflow > 0:  # the description gives way first, then the last fields
        keep = max(0, len(card.description) - overflow)
        card = replace(card, description=clip(card.description, keep) if keep else "")
        while card_size(card) > budget and card.fields:
            card = replace(card, fields=card.fields[:-1])
    return card


def link_buttons(card: Card) -> tuple[CardLink, ...]:
    """The card's links that Discord accepts as link buttons: web addresses of at most 512
    characters, labels clipped to 80, five at most. (One bad button refuses the whole reply.)"""
    return tuple(
        CardLink(clip(link.label, BUTTON_LABEL), link.url)
        for link in card.links
        if link.label
        and len(link.url) <= BUTTON_URL
        and link.url.startswith(("http://", "https://"))
    )[:BUTTONS]
