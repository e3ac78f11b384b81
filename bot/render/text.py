"""Cards as plain text for the console, and the keys its JSON adds to the records' own."""

from __future__ import annotations

import re
import textwrap
from dataclasses import replace
from typing import Any

from bot.archive.records import IssueRecord, ResourceRecord, SearchHit
from bot.render.cards import Card
from bot.render.titles import display_title

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


def resource_json(resource: ResourceRecord) -> dict[str, Any]:
    """A resource's JSON: every key of ``ResourceRecord.to_json`` as it is (``title`` and
    ``text`` as parsed), plus ``display_title`` (what the cards call it), the issue's
    ``issue_date`` and ``issue_date_inferred``, and ``link_health``: each link's status (and
    a dead one's archived copy)."""
    return {
        **resource.to_json(),
        "display_title": display_title(resource),
        "issue_date": resource.issue_date,
        "issue_date_inferred": resource.issue_date_inferred,
        "link_health": [health.to_json() for health in resource.health],
    }


def issue_json(issue: IssueRecord) -> dict[str, Any]:
    """An issue's JSON: every key of ``IssueRecord.to_json``, plus ``date_inferred``, and its
    resources as ``resource_json`` gives them."""
    return {
        **issue.to_json(),
        "date_inferred": issue.date_inferred,
        "resources": [resource_json(r) for r in issue.resources],
    }


def hit_json(hit: SearchHit) -> dict[str, Any]:
    """A search result's JSON: ``SearchHit.to_json`` plus the keys ``resource_json`` adds."""
    return {**hit.to_json(), **resource_json(hit.resource)}
