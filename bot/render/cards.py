"""One neutral description of a reply, built from archive records. No Discord here: the cogs
turn a Card into an embed, the console prints it."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.archive.records import IssueRecord, ResourceRecord, SearchHit, format_date

__all__ = ["Card", "CardField", "format_date", "issue_card", "resource_card", "search_card"]


@dataclass(frozen=True)
class CardField:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True)
class Card:
    title: str
    description: str = ""
    url: str | None = None
    fields: tuple[CardField, ...] = field(default=())
    footer: str | None = None


def link_markdown(title: str, url: str | None) -> str:
    """``[title](url)``, with the characters that would break the link escaped."""
    if not url:
        return title
    safe = title.replace("[", "(").replace("]", ")")
    return f"[{safe}]({url.replace(')', '%29')})"


def first_paragraph(text: str, limit: int = 300) -> str:
    paragraph = text.split("\n", 1)[0].strip()
    if len(paragraph) <= limit:
        return paragraph
    return paragraph[: limit - 1].rsplit(" ", 1)[0] + "…"


def issue_card(issue: IssueRecord) -> Card:
    lines = []
    current: str | None = None
    for resource in issue.resources:
        if resource.section and resource.section != current:
            current = resource.section
            lines.append(f"**{current}**")
        lines.append(
            f"• {link_markdown(resource.title, resource.links[0] if resource.links else None)}"
        )
    header = f"Issue #{issue.number} · {format_date(issue.date)}"
    return Card(
        title=issue.title,
        url=issue.url,
        description="\n".join([header, "", *lines])
        if lines
        else f"{header}\n\nNo resources found in this issue.",
        footer=f"{len(issue.resources)} resources · source: {issue.source}",
    )


def resource_card(resource: ResourceRecord, heading: str = "From the archives") -> Card:
    links = "\n".join(resource.links[:5])
    fields = [CardField("From", f"Issue #{resource.issue}: {resource.issue_title}")]
    if links:
        fields.append(CardField("Links", links))
    return Card(
        title=f"{heading}: {resource.title}" if heading else resource.title,
        url=resource.links[0] if resource.links else None,
        description=first_paragraph(resource.text, 1500),
        fields=tuple(fields),
        footer=resource.section,
    )


def search_card(query: str, hits: list[SearchHit], page: int, per_page: int) -> Card:
    """One page of results (``page`` counts from 0)."""
    pages = max(1, -(-len(hits) // per_page))
    shown = hits[page * per_page : (page + 1) * per_page]
    fields = tuple(
        CardField(
            f"{page * per_page + index}. {hit.resource.title}",
            f"{first_paragraph(hit.resource.text, 200)}\n"
            f"— Issue #{hit.resource.issue}"
            + (f" · {hit.resource.links[0]}" if hit.resource.links else ""),
        )
        for index, hit in enumerate(shown, start=1)
    )
    return Card(
        title=f"Search: {query}",
        description=f"{len(hits)} result{'s' if len(hits) != 1 else ''}",
        fields=fields,
        footer=f"Page {page + 1}/{pages}",
    )
