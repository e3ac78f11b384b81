"""One neutral description of a reply, built from archive records. No Discord here: the cogs
turn a Card into an embed, the console prints it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.archive.imports import PREVIEW_RESOURCES as IMPORT_PREVIEW_RESOURCES
from bot.archive.imports import ImportPreview
from bot.archive.records import (
    NO_FILTERS,
    AnnouncementRecord,
    IssueRecord,
    ResourceRecord,
    ScheduleRecord,
    SearchFilters,
    SearchHit,
    format_date,
)
from bot.render.echo import echoed
from bot.render.messages import filters_text, format_duration, schedule_words
from bot.render.titles import (
    ShownText,
    context_line,
    display_title,
    issue_date_text,
    shown_text,
    title_is_sentence,
)

__all__ = [
    "AboutFacts",
    "Card",
    "CardField",
    "CardLink",
    "about_card",
    "announcement_card",
    "format_date",
    "issue_card",
    "latest_card",
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
class CardLink:
    """A link shown under the card as a button (``limits.link_buttons`` keeps the ones
    Discord accepts)."""

    label: str
    url: str


@dataclass(frozen=True)
class Card:
    title: str
    description: str = ""
    url: str | None = None
    fields: tuple[CardField, ...] = field(default=())
    footer: str | None = None
    links: tuple[CardLink, ...] = field(default=())


READ_THE_ISSUE = "Read the issue"
OPEN_THE_LINK = "Open the link"


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


def _with_opening(shown: ShownText, limit: int) -> str:
    """The text's first paragraph with the title's words as its bold opening."""
    paragraph = first_paragraph(shown.opening + shown.rest, limit)
    return f"**{shown.opening}**{paragraph[len(shown.opening) :]}"


def _continued(shown: ShownText, limit: int) -> str:
    """The text's first paragraph shown under the title: where the sentence runs on from the
    title, it continues from it ("…is here! If you've…"); empty when it says nothing more."""
    paragraph = first_paragraph(shown.rest, limit)
    return f"…{paragraph}" if shown.opening and paragraph else paragraph


def issue_card(issue: IssueRecord) -> Card:
    """An issue: its number and month, then each resource by its display title, under its
    section. The file it came from is not shown; its web address is linked where known."""
    lines = []
    current: str | None = None
    for resource in issue.resources:
        if resource.section and resource.section != current:
            current = resource.section
            lines.append(f"**{current}**")
        lines.append(
            f"• {link_markdown(display_title(resource), resource.links[0] if resource.links else None)}"
        )
    header = f"Issue #{issue.number} · {issue_date_text(issue.date, issue.date_inferred)}"
    count = len(issue.resources)
    return Card(
        title=issue.title,
        url=issue.url,
        description="\n".join([header, "", *lines])
        if lines
        else f"{header}\n\nNo resources found in this issue.",
        footer=f"{count} resource{'s' if count != 1 else ''}",
        links=(CardLink(READ_THE_ISSUE, issue.url),) if issue.url else (),
    )


def latest_card(issues: list[IssueRecord], names: Mapping[str, str]) -> Card:
    """The latest issue of each newsletter (``names``: each one's name by id), one line each."""
    fields = tuple(
        CardField(
            names.get(issue.newsletter, issue.newsletter),
            f"{link_markdown(f'Issue #{issue.number}', issue.url)} · "
            f"{issue_date_text(issue.date, issue.date_inferred)} · {issue.title}",
        )
        for issue in issues
    )
    return Card(
        "Latest issues",
        fields=fields,
        footer="Name one newsletter to see its latest issue in full.",
    )


def resource_card(resource: ResourceRecord, heading: str = "From the archives") -> Card:
    """One resource (a "from the archives" pick): a short title, its text without the title
    repeated, and where it came from: issue, month (approximate when inferred), section.
    When the text's first sentence runs on from the title, or the title had to be cut, the card
    is titled with the heading alone and the whole title opens the text in bold."""
    title = display_title(resource)
    shown = shown_text(resource)
    whole = " ".join(resource.title.split())
    cut = title != whole and not title_is_sentence(resource.title, resource.text)
    if heading and (shown.opening or cut):
        card_title = heading
        text = (
            _with_opening(shown, 1500)
            if shown.opening
            else "\n".join(part for part in (f"**{whole}**", _continued(shown, 1500)) if part)
        )
    else:
        repeated = heading and title.casefold().startswith(heading.casefold())
        card_title = f"{heading}: {title}" if heading and not repeated else title
        text = _continued(shown, 1500)
    links = "\n".join(resource.links[:5])
    fields = [CardField("From", f"Issue {context_line(resource)}")]
    if links:
        fields.append(CardField("Links", links))
    first_link = resource.links[0] if resource.links else None
    return Card(
        title=card_title,
        url=first_link,
        description=text,
        fields=tuple(fields),
        footer=resource.issue_title,
        links=(CardLink(OPEN_THE_LINK, first_link),) if first_link else (),
    )


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` results fill (at least one)."""
    return max(1, -(-total // per_page))


def search_card(
    query: str,
    hits: list[SearchHit],
    page: int,
    per_page: int,
    names: Mapping[str, str] | None = None,
    filters: SearchFilters = NO_FILTERS,
) -> Card:
    """One page of results (``page`` counts from 0); with ``names`` (each newsletter's name
    by id, when there are several), each result says which newsletter it is from; what
    narrowed the search (``filters``) follows the count."""
    pages = page_count(len(hits), per_page)
    shown = hits[page * per_page : (page + 1) * per_page]
    fields = tuple(
        CardField(
            f"{page * per_page + index}. {display_title(hit.resource)}",
            "".join(f"{line}\n" for line in [_continued(shown_text(hit.resource), 200)] if line)
            + "— "
            + (f"{names.get(hit.resource.newsletter, hit.resource.newsletter)} · " if names else "")
            + context_line(hit.resource)
            + (f" · {hit.resource.links[0]}" if hit.resource.links else ""),
        )
        for index, hit in enumerate(shown, start=1)
    )
    return Card(
        title=f"Search: {echoed(query)}",
        description=f"{len(hits)} result{'s' if len(hits) != 1 else ''}"
        + (f" {filters_text(filters)}" if not filters.empty else ""),
        fields=fields,
        footer=f"Page {page + 1}/{pages}",
    )


def when(moment: dt.datetime, timezone: str) -> str:
    """A moment as Discord shows it to each reader (their own clock), and in ``timezone``."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"<t:{int(moment.timestamp())}:F> ({local:%a %d %b %H:%M} {timezone})"


def schedule_card(schedule: ScheduleRecord, names: Mapping[str, str] | None = None) -> Card:
    """One of a server's archive schedules, titled with its id: channel, cron, status (and why it stopped), next and last
    post; with ``names`` (when the bot serves several newsletters), the newsletter it posts from."""
    status = "active" if schedule.enabled else f"disabled: {schedule.disabled_reason}"
    fields = [
        CardField("Channel", f"<#{schedule.channel_id}>", inline=True),
        CardField("Schedule", schedule_words(schedule.cron, schedule.timezone), inline=True),
        CardField("Status", status),
    ]
    if names:
        letter = schedule.newsletter
        source = names.get(letter, letter) if letter else "every newsletter"
        fields.insert(2, CardField("Newsletter", source, inline=True))
    if schedule.enabled and schedule.next_run_at:
        fields.append(CardField("Next post", when(schedule.next_run_at, schedule.timezone)))
    last = (
        f"{when(schedule.last_post_at, schedule.timezone)}: {schedule.last_post_title}"
        if schedule.last_post_at
        else "none yet"
    )
    fields.append(CardField("Last post", last))
    return Card(f"Archive schedule #{schedule.id}", fields=tuple(fields))


def announcement_card(
    announcement: AnnouncementRecord,
    role: str | None,
    announced: list[tuple[str, int]],
    names: Mapping[str, str] | None = None,
) -> Card:
    """A server's announcement of new issues: channel, role (``role``: its mention, or None
    when the role set is gone), status (and why it stopped), what was announced; with
    ``names`` (when the bot serves several newsletters), the newsletter announced."""
    if announcement.role_id is None:
        pinged = "none: announcements ping nobody"
    else:
        pinged = role or "deleted: announcements ping nobody until /announce set names another"
    status = "active" if announcement.enabled else f"disabled: {announcement.disabled_reason}"
    fields = [
        CardField("Channel", f"<#{announcement.channel_id}>", inline=True),
        CardField("Role", pinged, inline=True),
        CardField("Status", status),
    ]
    if announcement.mode != "channel":
        posted = "a forum post each" if announcement.mode == "forum" else "a thread on each"
        fields.insert(2, CardField("Posts", posted, inline=True))
    if names:
        letter = announcement.newsletter
        fields.insert(
            2,
            CardField(
                "Newsletter",
                names.get(letter, letter) if letter else "every newsletter",
                inline=True,
            ),
        )
    if announced:
        letter, number = announced[-1]
        last = f"#{number}" + (f" of {names.get(letter, letter)}" if names else "")
        fields.append(
            CardField(
                "Announced",
                f"{len(announced)} issue{'s' if len(announced) != 1 else ''}; the last: {last}",
            )
        )
    else:
        fields.append(CardField("Announced", "none yet: the next issue a load adds"))
    return Card("Announcements of new issues", fields=tuple(fields))


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
    #: Content files the last load skipped (each named in the log and by ``check``).
    skipped_files: int = 0
    #: Feed entries held for a moderator (a number far beyond the newsletter's sequence).
    held_entries: int = 0


def about_card(facts: AboutFacts) -> Card:
    latest = facts.latest
    fields: tuple[CardField, ...] = (
        CardField("Issues", str(facts.issues), inline=True),
        CardField("Resources", str(facts.resources), inline=True),
        CardField("Version", facts.version, inline=True),
        CardField(
            "Latest issue",
            f"#{latest.number} · {issue_date_text(latest.date, latest.date_inferred)} · {latest.title}"
            if latest
            else "none",
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
    if facts.skipped_files:
        fields += (
            CardField(
                "Files skipped",
                f"{facts.skipped_files} (named in the log; `python -m bot check` lists why)",
            ),
        )
    if facts.held_entries:
        fields += (
            CardField(
                "Feed entries held",
                f"{facts.held_entries} (numbered far beyond the newest issue; "
                "`python -m bot feeds` lists them, to release or dismiss)",
            ),
        )
    by = f" by {facts.author}" if facts.author else ""
    return Card(
        f"About {facts.bot_name}", f"The back issues of {facts.newsletter}{by}.", facts.url, fields
    )


def import_preview_card(preview: ImportPreview, newsletter_name: str | None = None) -> Card:
    """An import before it is saved: the issue's number, date, title, resource count and first
    resources, and every problem (a number already served means it can't be saved as is);
    ``newsletter_name`` when the bot serves several."""
    issue = preview.issue
    problems = [str(problem) for problem in preview.problems]
    if preview.existing is not None and issue is not None:
        problems.insert(
            0,
            f"Issue #{issue.number} is already in the archive (from {preview.existing}): "
            "remove or change that file first to replace it.",
        )
    fields = (CardField("Problems", "\n".join(f"• {p}" for p in problems)),) if problems else ()
    into = f" into {newsletter_name}" if newsletter_name else ""
    of = f" of {newsletter_name}" if newsletter_name else ""
    if issue is None:
        return Card(
            title="Not an issue",
            description=f"{preview.file_name} can't be imported{into}: it can't be read as an issue.",
            fields=fields,
        )
    count = len(issue.resources)
    shown = [f"• {display_title(r)}" for r in issue.resources[:IMPORT_PREVIEW_RESOURCES]]
    if count > len(shown):
        shown.append(f"… and {count - len(shown)} more")
    date = issue_date_text(issue.date, issue.date_inferred) if issue.date else "no date stated"
    header = f"Issue #{issue.number} · {date} · {count} resource{'s' if count != 1 else ''}"
    return Card(
        title=issue.title,
        description="\n".join([header, "", *shown])
        if shown
        else f"{header}\n\nNo resources found.",
        fields=fields,
        footer=f"Save writes {preview.file_name} into the content folder{of} and reloads."
        if preview.can_save
        else "It can't be saved as it is.",
    )
