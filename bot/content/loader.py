"""A content folder → every issue that loads, and a problem for each file that does not.

Each file loads or fails on its own: ``parse_file`` is pure and takes picklable arguments
(so files can be parsed in worker processes), and the folder pass (``bot.content.folder``)
runs afterwards over the whole list of issues: numbers, duplicates, chrome, dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.content.assemble import Rules
from bot.content.folder import settle
from bot.content.issue_meta import Cadence, DateAnchor
from bot.content.models import DEFAULT_NEWSLETTER_ID, Issue, Problem
from bot.content.parse import CONTENT_SUFFIXES, ParseError, parse_file

if TYPE_CHECKING:  # the parse workers import this module, and need no settings
    from bot.config import NewsletterEntry, Settings


@dataclass
class LoadResult:
    issues: list[Issue]
    problems: list[Problem] = field(default_factory=list)
    #: Resources dropped as chrome (recurring across most issues).
    chrome: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.fatal]


@dataclass(frozen=True)
class ContentSource:
    """Where the content is and how to read it: everything the loader needs from config."""

    folder: Path
    rules: Rules
    newsletter_name: str
    #: The newsletter's own cadence and dated issue, when its config states them: never a
    #: default, which would date another newsletter's issues by this one's calendar.
    cadence: Cadence | None = None
    date_anchor: DateAnchor | None = None
    #: The newsletter's id (stored with each of its issues).
    newsletter: str = DEFAULT_NEWSLETTER_ID
    #: The web address of an issue whose file states none (``{number}`` filled in).
    issue_url: str | None = None
    #: RSS or Atom feeds whose new entries are written into ``folder`` as issue files.
    feeds: tuple[str, ...] = ()
    #: Time between two polls of each feed.
    feed_poll: dt.timedelta = dt.timedelta(hours=1)

    @classmethod
    def from_settings(
        cls, settings: Settings, folder: Path | None = None, newsletter: str | None = None
    ) -> ContentSource:
        """The configured newsletter called ``newsletter`` (default: the first), read from
        ``folder`` instead of its own when given; ``KeyError`` for an unknown id.

        A ``folder`` given without ``newsletter`` is read as the newsletter whose folder it
        is; a folder no newsletter is configured for takes the first one's parser rules but
        not its calendar (cadence, dated issue): dates come from that folder alone."""
        entries = {entry.id: entry for entry in settings.feeds}
        if newsletter is not None or folder is None:
            entry = entries[newsletter] if newsletter is not None else settings.feeds[0]
            return cls.of(entry, folder or settings.folder_of(entry))
        for entry in settings.feeds:
            if settings.folder_of(entry) == folder.resolve():
                return cls.of(entry, folder)
        return replace(cls.of(settings.feeds[0], folder), cadence=None, date_anchor=None)

    @classmethod
    def every(cls, settings: Settings) -> list[ContentSource]:
        """Every configured newsletter, in config order."""
        return [cls.of(entry, settings.folder_of(entry)) for entry in settings.feeds]

    @classmethod
    def of(cls, entry: NewsletterEntry, folder: Path) -> ContentSource:
        parser = entry.parser
        return cls(
            folder=folder.resolve(),
            rules=Rules.compile(
                parser.section_headings,
                parser.boilerplate,
                parser.end_markers,
                parser.caption_markers,
            ),
            newsletter_name=entry.name,
            cadence=_cadence(entry),
            date_anchor=_anchor(entry),
            newsletter=entry.id,
            issue_url=entry.issue_url,
            feeds=entry.feeds,
            feed_poll=dt.timedelta(minutes=entry.feed_poll_minutes),
        )


def _cadence(newsletter: NewsletterEntry) -> Cadence | None:
    """The cadence the newsletter's config states, if it states one."""
    if newsletter.cadence is not None:
        return Cadence.parse(newsletter.cadence)
    if "cadence_months" in newsletter.model_fields_set:
        return Cadence(newsletter.cadence_months, "month")
    return None


def _anchor(newsletter: NewsletterEntry) -> DateAnchor | None:
    setting = newsletter.date_anchor
    if setting is None:
        return None
    year, month = map(int, setting.date.split("-"))
    return DateAnchor(setting.number, year, month)


def content_files(folder: Path) -> list[Path]:
    """Issue files in ``folder`` (.txt, .md, .markdown, .html, .htm), not READMEs or
    hidden/underscore files."""
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file()
        and path.suffix.lower() in CONTENT_SUFFIXES
        and not path.name.lower().startswith(("readme", ".", "_"))
    )


def parse_one(path: Path, source: ContentSource) -> tuple[Issue | None, list[Problem]]:
    """One file's issue and warnings, or its fatal problem: never raises."""
    try:
        issue, problems = parse_file(path, source.rules, source.newsletter_name)
        return issue, problems
    except ParseError as error:
        return None, [error.problem]
    except Exception as error:  # a parser bug must cost one file, not the whole archive
        return None, [
            Problem(path.name, None, f"cannot be parsed ({type(error).__name__}: {error})")
        ]


def missing_folder(folder: Path) -> Problem:
    """The problem of a content folder that is not there."""
    return Problem(
        str(folder), None, "content folder not found (check content.folder in the config)"
    )


def read_folder(source: ContentSource) -> LoadResult:
    """Parse every issue in the folder on its own, collecting problems instead of stopping."""
    if not source.folder.is_dir():
        return LoadResult([], [missing_folder(source.folder)])
    parsed: list[Issue] = []
    problems: list[Problem] = []
    for path in content_files(source.folder):
        issue, found = parse_one(path, source)
        problems.extend(found)
        if issue is not None:
            parsed.append(issue)
    settled = settle(parsed, cadence=source.cadence, anchor=source.date_anchor)
    problems.extend(settled.problems)
    if not settled.issues and not problems:
        problems.append(
            Problem(
                str(source.folder), None, "no issue files (.txt, .md, .html) in the content folder"
            )
        )
    return LoadResult(settled.issues, problems, settled.chrome)
