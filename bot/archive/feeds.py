"""RSS and Atom feeds → issue files in a newsletter's content folder, then a reload.

Each feed is polled when due with a conditional request (``If-None-Match`` /
``If-Modified-Since`` from its last answer): a 304 changes nothing. The feeds due are polled
together, each within its own time limit, so one slow feed delays no other. Each entry not
seen before is written as a saved web page (``issue-<number>.html``: its title, canonical
link, date meta and HTML content), so the folder stays the one source of truth and the page
goes through the parser's saved-web-page path; one reload then serves them, and the load
queues them for announcement. A poll that fails (network, HTTP error, a body that is no feed)
waits twice as long after each failure in a row, up to ``MAX_BACKOFF``; the first success
resets it.

Nothing a feed says is trusted: one poll takes at most ``feed_max_new_entries`` new entries
(the rest wait for the next poll), and an entry whose number jumps far beyond the newsletter's
sequence (``hold_limit``) is held for a moderator (``python -m bot feeds``) instead of served;
an entry without a number is numbered after the served sequence, never after a held number.

Exactly once: a poll first records each new entry with the number and file it is given, in
one transaction (``assigned``, with its page); then the files are written (never over an
existing file), the folder reloaded, and the entries marked ``done``. A crash anywhere in
between leaves ``assigned`` rows that the next pass finishes with the same numbers and files:
nothing is written or announced twice, nothing is lost. A folder the bot cannot write is
logged once, naming the folder and the fix, and its newsletter's feeds back off.
"""

from __future__ import annotations

import asyncio
import calendar
import datetime as dt
import html
import itertools
import logging
import os
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import feedparser

from bot.archive.db import Database
from bot.archive.folders import write_failure
from bot.archive.issues import Issues
from bot.archive.loader import Loader
from bot.archive.records import FeedState, HeldEntry
from bot.config import Network
from bot.content.issue_meta import locate_number, title_number
from bot.errors import FetchRefused
from bot.fetch import fetch_url
from bot.render.messages import format_duration
from bot.render.operations import (
    entry_held,
    feed_deferred,
    feed_retry_line,
    folder_unwritable,
    folder_writable_again,
)

if TYPE_CHECKING:
    from bot.config import Newsletter

log = logging.getLogger(__name__)

#: The longest wait between two polls of a feed that keeps failing.
MAX_BACKOFF = dt.timedelta(days=1)
#: How long one request may take, whole (redirects and body included), in seconds.
REQUEST_TIMEOUT = 30.0
#: How long one feed's poll may take, request and parse, before it counts as failed.
POLL_TIMEOUT = REQUEST_TIMEOUT + 15.0
#: How far above the newest issue an entry's number may be before it is held (at least; twice
#: the newsletter's largest gap between two issues when that is more).
HOLD_MARGIN = 50
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


def hold_limit(numbers: Collection[int]) -> int | None:
    """The highest number a feed entry may state and be served, given the numbers served;
    None while nothing is (no sequence to judge by)."""
    if not numbers:
        return None
    ordered = sorted(numbers)
    gap = max((b - a for a, b in itertools.pairwise(ordered)), default=1)
    return ordered[-1] + max(HOLD_MARGIN, 2 * gap)


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


def write_issue(folder: Path, file: str, page: str) -> bool:
    """Write ``file`` whole (through a temporary file) unless it exists; whether it wrote.
    Run again after a crash, it leaves the file the first run wrote."""
    path = folder / file
    if path.exists():
        return False
    partial = folder / f".{file}.part"
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, path)
    return True


@dataclass(frozen=True)
class _Assigned:
    """An entry recorded with its number and file, not yet marked done."""

    rowid: int
    newsletter: str
    url: str
    file: str
    page: str


@dataclass
class _Blocked:
    """A content folder that could not be written: writes in a row that failed, and when to
    try again (its feeds wait as long)."""

    failures: int
    until: dt.datetime


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
        self._by_id = {newsletter.id: newsletter for newsletter in newsletters}
        self._issues = issues
        self._loader = loader
        self._lock = asyncio.Lock()
        self._blocked: dict[str, _Blocked] = {}

    async def poll_due(self) -> int:
        """Poll each feed that is due (together, each within ``POLL_TIMEOUT``), record its new
        entries, then write every recorded entry's file and reload once; how many issue
        files were written."""
        async with self._lock:
            now = self._db.clock()
            # What a crash or an unwritable folder left first: a folder still unwritable
            # is not polled.
            written = await self._write_assigned(now)
            due = []
            for newsletter in self._newsletters:
                if self._waiting(newsletter.id, now):
                    continue
                for url in newsletter.feeds:
                    state = await self.state(newsletter.id, url)
                    if state.next_poll_at is None or state.next_poll_at <= now:
                        due.append((newsletter, state))
            answers = await asyncio.gather(*(self._fetch(state) for _, state in due))
            for (newsletter, state), answer in zip(due, answers, strict=True):
                await self._record(newsletter, state, answer, now)
            return written + await self._write_assigned(now)

    def _waiting(self, newsletter: str, now: dt.datetime) -> bool:
        blocked = self._blocked.get(newsletter)
        return blocked is not None and blocked.until > now

    async def _fetch(self, state: FeedState) -> Fetched | FeedError:
        try:
            return await asyncio.wait_for(fetch(state, self._network), POLL_TIMEOUT)
        except FeedError as error:
            return error
        except TimeoutError:
            return FeedError(f"no whole answer within {POLL_TIMEOUT:g} s")

    async def _record(
        self,
        newsletter: Newsletter,
        state: FeedState,
        answer: Fetched | FeedError,
        now: dt.datetime,
    ) -> None:
        """Record a poll: the feed's state and each new entry (assigned a number and a file,
        held, or passed over), in one transaction."""
        if isinstance(answer, FeedError):
            failures = state.failures + 1
            wait = backoff(newsletter.feed_poll, failures)
            log.warning(
                "feed %s (%s) failed (%d in a row): %s; next try in %s",
                state.url, newsletter.id, failures, answer, wait,
            )  # fmt: skip
            failed = replace(state, failures=failures, last_error=str(answer),
                             next_poll_at=now + wait)  # fmt: skip
            await self._save(failed, [])
            return
        polled = FeedState(
            state.newsletter, state.url, answer.etag, answer.last_modified,
            0, None, now + newsletter.feed_poll,
        )  # fmt: skip
        if answer.entries is None:
            await self._save(polled, [])
            return
        seen = await self._seen(state.newsletter, state.url)
        fresh = [entry for entry in answer.entries if entry.id not in seen]
        served = set(await self._issues.numbers(newsletter.id))
        taken = served | await self._assigned_numbers(newsletter.id)
        rows: list[tuple[str, int | None, str | None, str | None, str | None, str]] = []
        budget = newsletter.feed_max_new_entries
        for entry in fresh:
            number = entry_number(entry, newsletter.name)
            if number is not None and number in taken:
                rows.append(("done", number, None, entry.title, None, entry.id))
                continue
            if budget == 0:
                log.info(feed_deferred(state.url, newsletter.feed_max_new_entries))
                # Ask for the whole feed next time: a 304 would hide the entries left.
                polled = replace(polled, etag=state.etag, last_modified=state.last_modified)
                break
            budget -= 1
            if number is None:
                # The feed's own numbering: the next issue after the newest one.
                number = max(taken, default=0) + 1
            limit = hold_limit(taken)
            page = issue_page(entry)
            if limit is not None and number > limit:
                log.warning(entry_held(state.url, number, max(taken, default=None), limit,
                                       entry.title))  # fmt: skip
                rows.append(("held", number, None, entry.title, page, entry.id))
                continue
            taken.add(number)
            rows.append(("assigned", number, f"issue-{number}.html", entry.title, page, entry.id))
        await self._save(polled, rows)

    async def _write_assigned(self, now: dt.datetime) -> int:
        """Write the file of every assigned entry (left by this pass or by a crash), reload
        once, then mark them done; how many files were written."""
        rows = await self._db.rows(
            "SELECT rowid, newsletter, url, file, page FROM feed_entries"
            " WHERE state = 'assigned' ORDER BY rowid"
        )
        pending = [_Assigned(*row) for row in rows if row[1] in self._by_id]
        finished: list[int] = []
        written = 0
        for newsletter in {entry.newsletter: None for entry in pending}:
            if self._waiting(newsletter, now):
                continue
            mine = [entry for entry in pending if entry.newsletter == newsletter]
            folder = self._by_id[newsletter].folder
            try:
                for entry in mine:
                    if await asyncio.to_thread(write_issue, folder, entry.file, entry.page):
                        written += 1
                        log.info("feed %s: wrote %s", entry.url, entry.file)
                    finished.append(entry.rowid)
            except OSError as error:
                await self._unwritable(self._by_id[newsletter], error, now)
                continue
            if self._blocked.pop(newsletter, None) is not None:
                log.info(folder_writable_again(folder))
        if not finished:
            return written
        await self._loader.reload()
        async with self._db.transaction() as db:
            await db.executemany(
                "UPDATE feed_entries SET state = 'done', page = NULL WHERE rowid = ?",
                [(rowid,) for rowid in finished],
            )
        return written

    async def _unwritable(self, newsletter: Newsletter, error: OSError, now: dt.datetime) -> None:
        """Say once (per streak) why the folder can't be written, and wait longer each time
        before trying it, or polling its feeds, again."""
        before = self._blocked.get(newsletter.id)
        failures = before.failures + 1 if before else 1
        wait = backoff(newsletter.feed_poll, failures)
        self._blocked[newsletter.id] = _Blocked(failures, now + wait)
        what = "feed issues"
        if before is None:
            log.error(folder_unwritable(newsletter.folder, write_failure(error),
                                        error.strerror or str(error), what))  # fmt: skip
        log.warning(feed_retry_line(f"{what} of {newsletter.id}", format_duration(wait)))
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE feeds SET next_poll_at = max(coalesce(next_poll_at, ''), ?)"
                " WHERE newsletter = ?",
                ((now + wait).isoformat(), newsletter.id),
            )

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
        """The ids of a feed's entries already recorded (written, to write, held, passed)."""
        rows = await self._db.rows(
            "SELECT entry_id FROM feed_entries WHERE newsletter = ? AND url = ?", (newsletter, url)
        )
        return {row[0] for row in rows}

    async def _assigned_numbers(self, newsletter: str) -> set[int]:
        """Numbers given to entries whose files are not loaded yet (not held ones)."""
        rows = await self._db.rows(
            "SELECT number FROM feed_entries WHERE newsletter = ? AND state = 'assigned'",
            (newsletter,),
        )
        return {row[0] for row in rows}

    async def _save(
        self,
        state: FeedState,
        entries: Sequence[tuple[str, int | None, str | None, str | None, str | None, str]],
    ) -> None:
        """Record a poll's outcome and the entries it dealt with (state, number, file, title,
        page, id), together."""
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
                "INSERT OR IGNORE INTO feed_entries(newsletter, url, entry_id, seen_at, state,"
                " number, file, title, page) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (state.newsletter, state.url, ident, now, kind, number, file, title, page)
                    for kind, number, file, title, page, ident in entries
                ],
            )

    async def held(self) -> list[HeldEntry]:
        """The entries held for a moderator, oldest first."""
        rows = await self._db.rows(
            "SELECT rowid, newsletter, url, number, coalesce(title, ''), seen_at"
            " FROM feed_entries WHERE state = 'held' ORDER BY rowid"
        )
        return [
            HeldEntry(rowid, newsletter, url, number, title, dt.datetime.fromisoformat(at))
            for rowid, newsletter, url, number, title, at in rows
        ]

    async def held_count(self) -> int:
        return int(
            await self._db.value("SELECT count(*) FROM feed_entries WHERE state = 'held'") or 0
        )

    async def release(self, entry_id: int) -> HeldEntry | None:
        """Serve a held entry under its number: the next pass writes and loads it. None when
        no entry by that id is held; ``ValueError`` (naming the file) when its number is
        served already."""
        entry = next((e for e in await self.held() if e.id == entry_id), None)
        if entry is None:
            return None
        found = await self._issues.get(entry.number, entry.newsletter)
        if found is not None:
            raise ValueError(found.source)
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE feed_entries SET state = 'assigned', file = ? WHERE rowid = ?",
                (f"issue-{entry.number}.html", entry_id),
            )
        return entry

    async def dismiss(self, entry_id: int) -> HeldEntry | None:
        """Never serve a held entry (it stays seen). None when no entry by that id is held."""
        entry = next((e for e in await self.held() if e.id == entry_id), None)
        if entry is None:
            return None
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE feed_entries SET state = 'done', page = NULL WHERE rowid = ?", (entry_id,)
            )
        return entry
