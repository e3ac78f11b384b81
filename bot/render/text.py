"""Cards as plain text for the console."""

from __future__ import annotations

import textwrap

from bot.render.cards import Card

WIDTH = 88


def card_text(card: Card) -> str:
    lines = [card.title, "=" * min(len(card.title), WIDTH)]
    if card.url:
        lines.append(card.url)
    if card.description:
        lines += ["", *(textwrap.fill(p, WIDTH) if p else "" for p in card.description.split("\n"))]
    for f in card.fields:
        lines += [
            "",
            f.name,
            *(textwrap.indent(textwrap.fill(p, WIDTH - 2), "  ") for p in f.value.split("\n")),
        ]
    if card.footer:
        lines += ["", f"({card.footer})"]
    return "\n".join(lines)
