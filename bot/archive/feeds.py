"""RSS and Atom feeds → issue files in a newsletter's content folder, then a reload.

Each feed is polled when due with a conditional request (``If-None-Match`` /
``If-Modified-Since`` from its last answer): a 304 changes nothing. Each entry not seen before
is written as a saved web page (``issue-<number>.html``: its title, canonical link, date meta
and HTML content), so the folder stays the one source of truth and the page goes through the
parser's saved-web-page path; one reload then serves them, and the load queues them for
announcement. A poll that fails (network, HTTP error, a body that is no feed) waits twice as
long after each failure in a row, up to ``MAX_BACKOFF``; the first success resets it.
"""

from __future__ import annotations

import asyncio
import calendar
import datetime as dt
import html
import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import feedparser

from bot.archive.db import Database
from bot.archive.issues import Issues
from bot.archive.loader import Loader
from bot.archive.records import FeedState
from bot.config import Network
from bot.content.issue_meta import locate_number, title_number
from bot.errors import FetchRefused
from bot.fetch import fetch_url

if TYPE_CHECKING:
    from bot.config import Newsletter

log = logging.getLogger(__name__)

#: The longest wait between two polls of a feed that keeps failing.
MAX_BACKOFF = dt.timedelta(days=1)
#: How long one request may take, whole (redirects and body included), in seconds.
REQUEST_TIMEOUT = 30.0
USER_AGENT = "newsletter-archive-bot (+feeds)"


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a feed, as the issue file needs it."""

    id: str
    title: str
    link: str | None
    published: dt.date | None
    content: str


@dataclass(frozen=True)
class Fetched:
    """A feed's answer: its entries (None: not modified) and the validators to send next."""

    entries: list[FeedEntry] | None
    etag: str | None
    last_modified: str | None


class FeedError(Exception):
    """A poll that got no usable feed (its message says why)."""


def backoff(every: dt.timedelta, failures: int) -> dt.timedelta:
    """The wait before the next poll after ``failures`` failures in a row."""
    return min(every * (1 << min(failures, 16)), max(MAX_BACKOFF, every))


def _date(entry: Any) -> dt.date | None:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    if not isinstance(stamp, time.struct_time):
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(stamp), dt.UTC).date()


def _content(entry: Any) -> str:
    contents = entry.get("content") or []
    if contents:
        return "\n".join(str(part.get("value", "")) for part in contents)
    return str(entry.get("summary", ""))


def parse_feed(body: bytes) -> list[FeedEntry]:
    """A feed document's entries, oldest first; ``FeedError`` when it is no feed."""
    parsed = feedparser.parse(body)
    if parsed.get("bozo") and not parsed.entries:
        raise FeedError(f"not a feed: {parsed.get('bozo_exception')}")
    if not parsed.get("version") and not parsed.entries:
        raise FeedError("not an RSS or Atom feed")
    entries = []
    for entry in parsed.entries:
        title = " ".join(str(entry.get("title", "")).split())
        link = entry.get("link")
        ident = str(entry.get("id") or link or title)
        if not ident:
            continue
        entries.append(FeedEntry(ident, title, link, _date(entry), _content(entry)))
    # Feeds list the newest first; without dates, keep the reverse of the feed's order.
    entries.reverse()
    return sorted(entries, key=lambda e: e.published or dt.date.min)


async def fetch(state: FeedState, network: Network) -> Fetched:
    """A conditional GET of a feed through the guard (bot/fetch.py, with the caps and the
    address rule of ``network``); ``FeedError`` for anything but a feed or a 304."""
    headers = {"User-Agent": USER_AGENT}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    try:
        got = await fetch_url(
            state.url,
            max_bytes=network.feed_max_bytes,
            max_decompressed_bytes=network.feed_max_decompressed_bytes,
            headers=headers,
            timeout=REQUEST_TIMEOUT,
            allow_private_hosts=network.allow_private_hosts,
        )
    except FetchRefused as error:
        raise FeedError(str(error)) from None
    if got.status == 304:
        return Fetched(None, state.etag, state.last_modified)
    if got.status != 200:
        raise FeedError(f"HTTP {got.status}")
    entries = await asyncio.to_thread(parse_feed, got.body)
    return Fetched(entries, got.headers.get("ETag"), got.headers.get("Last-Modified"))


def entry_number(entry: FeedEntry, newsletter_name: str) -> int | None:
    """The number an entry's title states ("Issue #12", "This Week in Rust 59"), if any."""
    stated = locate_number([entry.title], newsletter_name)
    return stated[0] if stated else title_number(entry.title)


def issue_page(entry: FeedEntry) -> str:
    """An entry as a saved web page: the metadata the saved-page reader takes, its content."""
    head = [
        '<meta charset="utf-8">',
        f"<title>{html.escape(entry.title)}</title>",
    ]
    if entry.link:
        head.append(f'<link rel="canonical" href="{html.escape(entry.link)}">')
    if entry.published:
        head.append(f'<meta name="date" content="{entry.published.isoformat()}">')
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        + "\n".join(head)
        + f"\n</head>\n<body>\n<main>\n{entry.content}\n</main>\n</body>\n</html>\n"
    )


def write_issue(folder: Path, number: int, page: str) -> Path | None:
    """Write ``issue-<number>.html`` whole (through a temporary file); None if it exists."""
    path = folder / f"issue-{number}.html"
    if path.exists():
        return None
    partial = folder / f".{path.name}.part"
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, path)
    return path


class Feeds:
    """Polls every configured feed when due and writes its new entries as issue files."""

    def __init__(
        self,
        db: Database,
        newsletters: Sequence[Newsletter],
        issues: Issues,
        loader: Loader,
        network: Network | None = None,
    ) -> None:
        self._network = network or Network()
        self._db = db
        self._newsletters = [newsletter for newsletter in newsletters if newsletter.feeds]
        self._issues = issues
        self._loader = loader
        self._lock = asyncio.Lock()

    async def poll_due(self) -> int:
        """Poll each feed that is due; write its new entries, reload once if any were
        written; how many issue files were written."""
        async with self._lock:
            now = self._db.clock()
            due = []
            for newsletter in self._newsletters:
                for url in newsletter.feeds:
                    state = await self.state(newsletter.id, url)
                    if state.next_poll_at is None or state.next_poll_at <= now:
                        due.append((newsletter, state))
            if not due:
                return 0
            written = 0
            outcomes: list[tuple[FeedState, list[str]]] = []
            for newsletter, state in due:
                outcome, seen, count = await self._poll(newsletter, state, now)
                outcomes.append((outcome, seen))
                written += count
            if written:
                await self._loader.reload()
            # Entries are marked seen after the reload: a crash before it leaves their files,
            # and the next poll finds their numbers taken and passes over them.
            for outcome, seen in outcomes:
                await self._save_poll(outcome, seen)
            return written

    async def _poll(
        self, newsletter: Newsletter, state: FeedState, now: dt.datetime
    ) -> tuple[FeedState, list[str], int]:
        try:
            fetched = await fetch(state, self._network)
        except FeedError as error:
            failures = state.failures + 1
            wait = backoff(newsletter.feed_poll, failures)
            log.warning(
                "feed %s (%s) failed (%d in a row): %s; next try in %s",
                state.url, newsletter.id, failures, error, wait,
            )  # fmt: skip
            failed = FeedState(
                state.newsletter, state.url, state.etag, state.last_modified,
                failures, str(error), now + wait,
            )  # fmt: skip
            return failed, [], 0
        polled = FeedState(
            state.newsletter, state.url, fetched.etag, fetched.last_modified,
            0, None, now + newsletter.feed_poll,
        )  # fmt: skip
        if fetched.entries is None:
            return polled, [], 0
        seen = await self._seen(state.newsletter, state.url)
        fresh = [entry for entry in fetched.entries if entry.id not in seen]
        taken = set(await self._issues.numbers(newsletter.id))
        written = 0
        for entry in fresh:
            number = entry_number(entry, newsletter.name)
            if number is None:
                # The feed's own numbering: the next issue after the newest one.
                number = max(taken, default=0) + 1
            if number in taken:
                continue
            path = await asyncio.to_thread(
                write_issue, newsletter.folder, number, issue_page(entry)
            )
            taken.add(number)
            if path is not None:
                written += 1
                log.info("feed %s: wrote %s", state.url, path.name)
        return polled, [entry.id for entry in fresh], written

    async def state(self, newsletter: str, url: str) -> FeedState:
        """A feed's state as its last poll left it (a fresh one if it was never polled)."""
        rows = await self._db.rows(
            "SELECT etag, last_modified, failures, last_error, next_poll_at FROM feeds"
            " WHERE newsletter = ? AND url = ?",
            (newsletter, url),
        )
        if not rows:
            return FeedState(newsletter, url)
        etag, modified, failures, error, next_poll = rows[0]
        return FeedState(
            newsletter, url, etag, modified, failures, error,
            dt.datetime.fromisoformat(next_poll) if next_poll else None,
        )  # fmt: skip

    async def _seen(self, newsletter: str, url: str) -> set[str]:
        """The ids of a feed's entries already turned into issue files (or passed over)."""
        rows = await self._db.rows(
            "SELECT entry_id FROM feed_entries WHERE newsletter = ? AND url = ?", (newsletter, url)
        )
        return {row[0] for row in rows}

    async def _save_poll(self, state: FeedState, seen: Iterable[str] = ()) -> None:
        """Record a poll's outcome and the entries it dealt with, together."""
        now = self._db.clock().isoformat()
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT OR REPLACE INTO feeds(newsletter, url, etag, last_modified, failures,"
                " last_error, next_poll_at, polled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    state.newsletter, state.url, state.etag, state.last_modified, state.failures,
                    state.last_error,
                    state.next_poll_at.isoformat() if state.next_poll_at else None, now,
                ),
            )  # fmt: skip
            await db.executemany(
                "INSERT OR IGNORE INTO feed_entries(newsletter, url, entry_id, seen_at)"
                " VALUES (?, ?, ?, ?)",
                [(state.newsletter, state.url, entry, now) for entry in seen],
            )
