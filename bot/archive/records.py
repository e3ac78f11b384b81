"""What queries return: issues and resources as stored, with the JSON shapes the README documents."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.content.models import DEFAULT_NEWSLETTER_ID, Problem, year_month


def format_date(date: str | None) -> str:
    """``2021-03`` → ``March 2021``; unknown → ``date unknown``."""
    if not date:
        return "date unknown"
    year, month = date.split("-")
    return f"{calendar.month_name[int(month)]} {year}"


@dataclass(frozen=True)
class ResourceRecord:
    key: str
    issue: int
    issue_title: str
    title: str
    text: str
    links: tuple[str, ...]
    section: str | None
    #: The issue's ``YYYY-MM`` and whether it was inferred from the numbering.
    issue_date: str | None = None
    issue_date_inferred: bool = False
    #: The id of the newsletter it is from.
    newsletter: str = DEFAULT_NEWSLETTER_ID

    def to_json(self) -> dict[str, Any]:
        return {
            "newsletter": self.newsletter,
            "issue": self.issue,
            "issue_title": self.issue_title,
            "title": self.title,
            "text": self.text,
            "links": list(self.links),
            "section": self.section,
        }


@dataclass(frozen=True)
class IssueRecord:
    number: int
    title: str
    year: int | None
    month: int | None
    url: str | None
    source: str
    date_inferred: bool = False
    resources: tuple[ResourceRecord, ...] = field(default=())
    newsletter: str = DEFAULT_NEWSLETTER_ID

    @property
    def date(self) -> str | None:
        return year_month(self.year, self.month)

    def to_json(self) -> dict[str, Any]:
        return {
            "newsletter": self.newsletter,
            "number": self.number,
            "title": self.title,
            "date": self.date,
            "url": self.url,
            "source": self.source,
            "resources": [r.to_json() for r in self.resources],
        }


@dataclass(frozen=True)
class SearchHit:
    resource: ResourceRecord
    score: float

    def to_json(self) -> dict[str, Any]:
        return {**self.resource.to_json(), "score": round(self.score, 4)}


@dataclass(frozen=True)
class LoadSummary:
    """What a load of one newsletter changed, issue numbers by kind of change."""

    added: tuple[int, ...]
    changed: tuple[int, ...]
    removed: tuple[int, ...]
    issues: int
    resources: int
    #: Every problem the load found, per file.
    problems: tuple[Problem, ...] = ()
    #: Files that failed this time and whose previous version is still served.
    kept: tuple[str, ...] = ()
    newsletter: str = DEFAULT_NEWSLETTER_ID

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.changed or self.removed)


@dataclass(frozen=True)
class LoadReport:
    """One reload of every newsletter: a ``LoadSummary`` each, in config order."""

    summaries: tuple[LoadSummary, ...]

    @property
    def issues(self) -> int:
        return sum(summary.issues for summary in self.summaries)

    @property
    def resources(self) -> int:
        return sum(summary.resources for summary in self.summaries)

    @property
    def problems(self) -> tuple[Problem, ...]:
        return tuple(problem for summary in self.summaries for problem in summary.problems)

    @property
    def kept(self) -> tuple[str, ...]:
        return tuple(name for summary in self.summaries for name in summary.kept)

    @property
    def unchanged(self) -> bool:
        return all(summary.unchanged for summary in self.summaries)


@dataclass(frozen=True)
class ScheduleRecord:
    """One of a server's archive schedules as stored."""

    #: Its own id (a server may have several), never reused.
    id: int
    guild_id: int
    channel_id: int
    cron: str
    timezone: str
    next_run_at: dt.datetime | None
    enabled: bool
    disabled_reason: str | None
    last_post_at: dt.datetime | None
    last_post_title: str | None
    #: The newsletter it posts from; None: from every newsletter.
    newsletter: str | None = None


#: How an announcement posts each issue in its channel.
PostMode = Literal["channel", "thread", "forum"]


@dataclass(frozen=True)
class AnnouncementRecord:
    """One server's announcement of new issues as stored."""

    guild_id: int
    channel_id: int
    #: The role pinged with each announcement; None: no ping.
    role_id: int | None
    #: The newsletter announced; None: every newsletter.
    newsletter: str | None
    enabled: bool
    disabled_reason: str | None
    #: Issues are announced when they were added after this moment.
    since: dt.datetime
    #: How each issue is posted: a message, a message with a thread opened on it, a forum post.
    mode: PostMode = "channel"


@dataclass(frozen=True)
class FeedState:
    """What one feed's last poll left: for the next conditional request and its backoff."""

    newsletter: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    #: Polls in a row that failed; 0 after a success.
    failures: int = 0
    last_error: str | None = None
    #: None: poll as soon as possible.
    next_poll_at: dt.datetime | None = None


@dataclass(frozen=True)
class HeldEntry:
    """A feed entry whose number jumped far beyond its newsletter's sequence: kept (with its
    page) for a moderator to release or dismiss, never served on its own."""

    id: int
    newsletter: str
    url: str
    number: int
    title: str
    held_at: dt.datetime


@dataclass(frozen=True)
class SearchFilters:
    """What narrows a search: one issue (by number), one year, one section (any case)."""

    issue: int | None = None
    year: int | None = None
    section: str | None = None

    @property
    def empty(self) -> bool:
        return self.issue is None and self.year is None and self.section is None


#: A search narrowed by nothing.
NO_FILTERS = SearchFilters()
