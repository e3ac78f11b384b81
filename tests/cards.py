"""A message as a member sees it in Discord, as plain text.

``discord_text`` takes what the bot sends Discord (the JSON of a message: content, embeds,
components) and lays it out the way the Discord client shows it: the author line, the title
(``↗`` when it is a link), the description with its markdown rendered, fields (inline ones side
by side, up to three to a row), the footer, then the buttons. Timestamps are written out in
UTC, as a reader in UTC would see them. The command tests, the end-to-end tests and the
cards of docs/members.md ("What members see") use it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import textwrap
from typing import Any

import discord

WIDTH = 72  # characters inside the embed's bar
COLUMN = 22  # characters of an inline field
BAR = "│ "

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])[*_]([^*_\n]+?)[*_](?![\w*])")
_LINK = re.compile(r"\[([^\]]+)\]\((\S+?)\)")
_CODE = re.compile(r"`([^`]+)`")
_TIME = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
_CHANNEL = re.compile(r"<#(\d+)>")


def _relative(moment: dt.datetime, now: dt.datetime) -> str:
    seconds = int((moment - now).total_seconds())
    amount = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if amount >= size or unit == "second":
            count = amount // size
            words = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {words}" if seconds > 0 else f"{words} ago"
    raise AssertionError("unreachable")


def markdown(text: str, now: dt.datetime | None = None) -> str:
    """Discord's markdown as the client renders it: emphasis and code shown as their text,
    a masked link as its label, a timestamp as a date, a channel mention as ``#channel``."""
    clock = now or dt.datetime.now(dt.UTC)

    def timestamp(match: re.Match[str]) -> str:
        moment = dt.datetime.fromtimestamp(int(match.group(1)), dt.UTC)
        style = match.group(2) or "f"
        if style == "R":
            return _relative(moment, clock)
        if style == "F":
            return f"{moment:%A, %-d %B %Y %H:%M}"
        return f"{moment:%-d %B %Y %H:%M}"

    def styled(part: str) -> str:
        part = _TIME.sub(timestamp, part)
        part = _CHANNEL.sub(lambda m: f"#channel-{m.group(1)}", part)
        part = _LINK.sub(r"\1", part)
        return _ITALIC.sub(r"\1", _BOLD.sub(r"\1", part))

    # Code spans are shown as they are: no markdown inside them.
    parts = _CODE.split(text)  # text, code, text, code, …
    return "".join(part if index % 2 else styled(part) for index, part in enumerate(parts))


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += textwrap.wrap(paragraph, width, break_long_words=True) or [""]
    return lines


def _inline_row(fields: list[dict[str, Any]], now: dt.datetime | None) -> list[str]:
    columns = [
        [
            *_wrap(markdown(f["name"], now), COLUMN - 2),
            *_wrap(markdown(f["value"], now), COLUMN - 2),
        ]
        for f in fields
    ]
    return [
        "".join(cell.ljust(COLUMN) for cell in cells).rstrip()
        for cells in itertools.zip_longest(*columns, fillvalue="")
    ]


def embed_text(embed: dict[str, Any], now: dt.datetime | None = None) -> str:
    """One embed, laid out as the client shows it, each line behind the embed's bar."""
    lines: list[str] = []
    if author := embed.get("author", {}).get("name"):
        lines.append(author)
    if title := embed.get("title"):
        lines += _wrap(markdown(title, now) + (" ↗" if embed.get("url") else ""), WIDTH)
    if description := embed.get("description"):
        lines += ["", *_wrap(markdown(description, now), WIDTH)]
    fields: list[dict[str, Any]] = embed.get("fields", [])
    for inline, group in itertools.groupby(fields, key=lambda f: bool(f.get("inline"))):
        block = list(group)
        if inline:
            for start in range(0, len(block), 3):
                lines += ["", *_inline_row(block[start : start + 3], now)]
        else:
            for f in block:
                lines += [
                    "",
                    *_wrap(markdown(f["name"], now), WIDTH),
                    *_wrap(markdown(f["value"], now), WIDTH),
                ]
    if footer := embed.get("footer", {}).get("text"):
        lines += ["", *_wrap(footer, WIDTH)]
    return "\n".join((BAR + line).rstrip() for line in lines)


def buttons_text(components: list[dict[str, Any]]) -> str:
    """Rows of buttons: ``[ Next ]``, a link button with ``↗``, a disabled one in parentheses."""
    rows = []
    for row in components:
        shown = []
        for button in row.get("components", []):
            label = button.get("label") or ""
            if button.get("style") == discord.ButtonStyle.link.value:
                label += " ↗"
            shown.append(f"( {label} )" if button.get("disabled") else f"[ {label} ]")
        rows.append(" ".join(shown))
    return "\n".join(rows)


def discord_text(message: dict[str, Any], now: dt.datetime | None = None) -> str:
    """A whole message: its content, each embed, then its buttons."""
    parts = []
    if message.get("content"):
        parts.append(markdown(message["content"], now))
    parts += [embed_text(e, now) for e in message.get("embeds") or []]
    if message.get("components"):
        parts.append(buttons_text(message["components"]))
    return "\n".join(parts)


def sent_text(
    embed: discord.Embed | None,
    view: discord.ui.View | None = None,
    content: str | None = None,
    now: dt.datetime | None = None,
) -> str:
    """What discord.py would send for this embed, view and content, as a member sees it."""
    return discord_text(
        {
            "content": content,
            "embeds": [embed.to_dict()] if embed is not None else [],
            "components": view.to_components() if view is not None else [],
        },
        now,
    )
