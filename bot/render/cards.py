"""One neutral description of a reply, built from archive records. No Discord here: the cogs
turn a Card into an embed, the console prints it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.archive.records import (
    IssueRecord,
    ResourceRecord,
    ScheduleRecord,
    SearchHit,
    format_date,
)
from bot.render.messages import format_duration

__all__ = [
    "AboutFacts",
    "Card",
    "CardField",
    "about_card",
    "format_date",
    "issue_card",
    "page_count",
    "resource_card",
    "schedule_card",
    "search_card",
    "when",
]


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


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` results fill (at least one)."""
    return max(1, -(-total // per_page))


def search_card(query: str, hits: list[SearchHit], page: int, per_page: int) -> Card:
    """One page of results (``page`` counts from 0)."""
    pages = page_count(len(hits), per_page)
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


def when(moment: dt.datetime, timezone: str) -> str:
    """A moment as Discord shows it to each reader (their own clock), and in ``timezone``."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"<t:{int(moment.timestamp())}:F> ({local:%a %d %b %H:%M} {timezone})"


def schedule_card(schedule: ScheduleRecord) -> Card:
    """A server's archive schedule: channel, cron, status (and why it stopped), next and last post."""
    status = "active" if schedule.enabled else f"disabled: {schedule.disabled_reason}"
    fields = [
        CardField("Channel", f"<#{schedule.channel_id}>", inline=True),
        CardField("Schedule", f"`{schedule.cron}` ({schedule.timezone})", inline=True),
        CardField("Status", status),
    ]
    if schedule.enabled and schedule.next_run_at:
        fields.append(CardField("Next post", when(schedule.next_run_at, schedule.timezone)))
    last = (
        f"{when(schedule.last_post_at, schedule.timezone)}: {schedule.last_post_title}"
        if schedule.last_post_at
        else "none yet"
    )
    fields.append(CardField("Last post", last))
    return Card("Archive schedule", fields=tuple(fields))


@dataclass(frozen=True)
class AboutFacts:
    """What ``/about`` tells: gathered by the cog, laid out here."""

    bot_name: str
    version: str
    newsletter: str
    author: str | None
    url: str | None
    issues: int
    resources: int
    latest: IssueRecord | None
    loaded_at: dt.datetime | None
    uptime: dt.timedelta
    latency: float | None  # seconds; None when unknown


def about_card(facts: AboutFacts) -> Card:
    latest = facts.latest
    fields = (
        CardField("Issues", str(facts.issues), inline=True),
        CardField("Resources", str(facts.resources), inline=True),
        CardField("Version", facts.version, inline=True),
        CardField(
            "Latest issue",
            f"#{latest.number} · {format_date(latest.date)} · {latest.title}" if latest else "none",
        ),
        CardField(
            "Content loaded",
            f"<t:{int(facts.loaded_at.timestamp())}:R>" if facts.loaded_at else "never",
            inline=True,
        ),
        CardField("Uptime", format_duration(facts.uptime), inline=True),
        CardField(
            "Latency",
            f"{facts.latency * 1000:.0f} ms" if facts.latency is not None else "n/a",
            inline=True,
        ),
    )
    by = f" by {facts.author}" if facts.author else ""
    return Card(
        f"About {facts.bot_name}", f"The back issues of {facts.newsletter}{by}.", facts.url, fields
    )
