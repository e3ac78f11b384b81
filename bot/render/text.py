"""Cards as plain text for the console."""

from __future__ import annotations

import re
import textwrap
from dataclasses import replace

from bot.render.cards import Card

WIDTH = 88
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]]+)\]\((\S+?)\)")


def plain(text: str) -> str:
    """Discord markdown as plain text: **bold** → bold, [title](url) → title <url>."""
    return _LINK.sub(r"\1 <\2>", _BOLD.sub(r"\1", text))


def card_text(card: Card) -> str:
    """A card for a terminal: wrapped, markdown removed."""
    fields = tuple(replace(f, name=plain(f.name), value=plain(f.value)) for f in card.fields)
    return _layout(
        replace(card, title=plain(card.title), description=plain(card.description), fields=fields)
    )


def _fill(text: str, width: int) -> str:
    return textwrap.fill(text, width, break_long_words=False, break_on_hyphens=False)


def _layout(card: Card) -> str:
    lines = [card.title, "=" * min(len(card.title), WIDTH)]
    if card.url:
        lines.append(card.url)
    if card.description:
        lines += ["", *(_fill(p, WIDTH) if p else "" for p in card.description.split("\n"))]
    for f in card.fields:
        lines += [
            "",
            f.name,
            *(textwrap.indent(_fill(p, WIDTH - 2), "  ") for p in f.value.split("\n")),
        ]
    if card.footer:
        lines += ["", f"({card.footer})"]
    return "\n".join(lines)
