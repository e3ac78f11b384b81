"""The link checker: each resource link requested now and then, politely, and its status kept.

A pass takes the links that are due (never checked first, then the longest waiting) and asks
each one's host, through the one fetch guard (bot/fetch.py): ``HEAD``, then a ``GET`` of a few
kilobytes when ``HEAD`` is refused or fails. Politeness: one request at a time per host, at
most one per host every ``per_host_interval_seconds``, at most ``requests_per_second`` for
every host together (``Pace``); a clear User-Agent; short time limits; redirects followed by
the guard, at most five; a host that answers 429 is left alone for the rest of the pass.

What an answer means (``judge``): 2xx (after redirects) is ``ok``, or ``redirected`` with the
final address; 401, 403, 429, 451, 999 and bot challenges are ``blocked`` (a site refusing
robots, never a dead page); 404, 410, an unknown host and a refused connection are "gone", and
the link is ``dead`` once ``dead_after_checks`` checks in a row failed, the last of them gone
(the checks are hours apart: a failing link is retried after ``FIRST_RETRY``, then twice as
long each time); anything else (5xx, a time limit, a reset) is a failure that is retried but
never makes a link dead on its own. Links the guard will not request (a private address, a
scheme other than http) stay ``unknown``.

When: a link that works (or is blocked, or dead) is checked again after about
``recheck_days`` (spread over ±20 % so that an archive's links don't all fall due on one day);
a failing link sooner, with back-off.

Only the status is kept (``link_checks``): never a response body or a header. A dead link's
Wayback Machine address is built from its issue's date (``wayback_url``), with no request.

The statuses are also held in memory (``LinkStatuses``), so that cards and search know a dead
link without a query: ``Issues``, ``Search`` and ``Picks`` attach each record's link health.
"""

from __future__ import annotations

__all__ = [
    "BODY_BYTES", "FIRST_RETRY", "STATUSES", "TOP_DOMAINS", "CheckPass", "Fetch", "LinkCheck",
    "LinkReport", "LinkRow", "LinkStatuses", "LinkSummary", "Links", "Outcome", "Pace", "after",
    "host_of", "judge", "user_agent", "wayback_url",
]  # fmt: skip

import asyncio
import datetime as dt
import logging
import math
import time
import zlib
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

import aiohttp

from bot import __version__
from bot.archive.db import Database, time_or_none, where_newsletter
from bot.archive.records import LinkHealth, ResourceRecord
from bot.config import LinksSection
from bot.errors import FetchRefused
from bot.fetch import FetchResult, Resolver, fetch_url, system_resolver

log = logging.getLogger(__name__)

#: Every status a link can have, in the order reports show them.
STATUSES = ("ok", "redirected", "blocked", "dead", "unknown")
WAYBACK = "https://web.archive.org/web/"
#: The most of a body a GET reads (enough to tell a bot challenge).
BODY_BYTES = 4096
#: Seconds to connect, and for one whole request (redirects included).
CONNECT_TIMEOUT = 5.0
REQUEST_TIMEOUT = 15.0
#: The wait before a failing link is checked again; doubled after each failure in a row.
FIRST_RETRY = dt.timedelta(hours=12)
#: Hosts checked at once (each one request at a time).
HOSTS_AT_ONCE = 16
#: Results written together.
WRITE_EVERY = 50
#: How often links no resource holds any more are forgotten.
PRUNE_EVERY = dt.timedelta(days=1)

_BLOCKED = frozenset({401, 403, 429, 451, 999})
_GONE = frozenset({404, 410})
#: What a bot challenge page holds (Cloudflare, and the generic words of others).
_CHALLENGE_MARKERS = (b"challenge-platform", b"cf-chl", b"just a moment...", b"captcha")

#: A link's row as its checks leave it: (url, status, final_url, http_status, checked_at,
#: failing_since, failures, next_check_at).
_COLUMNS = "url, status, final_url, http_status, checked_at, failing_since, failures, next_check_at"
_LINKED = (
    "SELECT j.value AS url, CASE WHEN i.year IS NOT NULL AND i.month IS NOT NULL"
    " THEN i.year * 100 + i.month END AS stamp"
    " FROM resources r JOIN issues i ON i.newsletter = r.newsletter AND i.number = r.issue,"
    " json_each(r.links) j"
    " WHERE {where} AND (j.value LIKE 'http://%' OR j.value LIKE 'https://%')"
)


def user_agent(contact: str | None = None) -> str:
    """The User-Agent of every check: what the bot is and where to read about it."""
    where = f"; +{contact}" if contact else ""
    return f"newsletter-archive-bot/{__version__} (link checker{where})"


def wayback_url(url: str, issue_date: str | None) -> str:
    """The Wayback Machine's copy of ``url`` nearest its issue's month (``YYYY-MM``; it
    redirects to the nearest snapshot), or its latest copy when the date is unknown."""
    if issue_date:
        year, month = issue_date.split("-")
        return f"{WAYBACK}{year}{month}01/{url}"
    return WAYBACK + url


def host_of(url: str) -> str | None:
    """The host a link's requests go to (lower case), or None for no web address."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return host


def _by_host(links: list[LinkCheck]) -> list[tuple[str | None, list[LinkCheck]]]:
    """``links`` grouped by host, the hosts with the most links first (their turns take
    longest); None for links that are no web address."""
    hosts: dict[str | None, list[LinkCheck]] = {}
    for link in links:
        hosts.setdefault(host_of(link.url), []).append(link)
    return sorted(hosts.items(), key=lambda item: -len(item[1]))


def _stamp_date(stamp: int | None) -> str | None:
    return f"{stamp // 100:04d}-{stamp % 100:02d}" if stamp else None


# -- what an answer means -----------------------------------------------------------------

Kind = Literal["ok", "redirected", "blocked", "gone", "failed", "skipped"]


@dataclass(frozen=True)
class Outcome:
    """What one check found."""

    kind: Kind
    http_status: int | None = None
    final_url: str | None = None
    #: Why, for the log: the status or the guard's refusal.
    detail: str = ""


def _challenge(result: FetchResult) -> bool:
    if result.headers.get("cf-mitigated", "").strip().lower() == "challenge":
        return True
    body = result.body[:BODY_BYTES].lower()
    return result.status >= 400 and any(marker in body for marker in _CHALLENGE_MARKERS)


def _refused_connection(error: FetchRefused) -> bool:
    cause = error.__context__
    return isinstance(cause, aiohttp.ClientConnectorError) and isinstance(
        cause.os_error, ConnectionRefusedError
    )


def judge(answer: FetchResult | FetchRefused) -> Outcome:
    """What an answer (or the guard's refusal) says of a link."""
    if isinstance(answer, FetchRefused):
        if answer.rule in ("address", "scheme") or isinstance(
            answer.__context__, aiohttp.InvalidURL | ValueError
        ):
            return Outcome("skipped", detail=str(answer))
        if answer.rule == "failed" and (
            answer.detail.startswith("unknown host") or _refused_connection(answer)
        ):
            return Outcome("gone", detail=answer.detail)
        return Outcome("failed", detail=str(answer))
    status = answer.status
    if status in _BLOCKED or _challenge(answer):
        return Outcome("blocked", status, detail=f"HTTP {status}")
    if status in _GONE:
        return Outcome("gone", status, detail=f"HTTP {status}")
    if status >= 400:
        return Outcome("failed", status, detail=f"HTTP {status}")
    if answer.redirects:
        return Outcome("redirected", status, answer.url, f"HTTP {status}")
    return Outcome("ok", status, detail=f"HTTP {status}")


# -- what a check leaves ------------------------------------------------------------------


@dataclass(frozen=True)
class LinkCheck:
    """One link's row in ``link_checks``."""

    url: str
    status: str = "unknown"
    final_url: str | None = None
    http_status: int | None = None
    checked_at: dt.datetime | None = None
    failing_since: dt.datetime | None = None
    #: Failed checks in a row.
    failures: int = 0
    #: None: due now.
    next_check_at: dt.datetime | None = None

    @classmethod
    def of(cls, row: Sequence[Any]) -> LinkCheck:
        url, status, final_url, http_status, checked, failing, failures, due = row
        return cls(
            url, status or "unknown", final_url, http_status, time_or_none(checked),
            time_or_none(failing), failures or 0, time_or_none(due),
        )  # fmt: skip

    def row(self) -> tuple[Any, ...]:
        def iso(moment: dt.datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return (
            self.url, self.status, self.final_url, self.http_status, iso(self.checked_at),
            iso(self.failing_since), self.failures, iso(self.next_check_at),
        )  # fmt: skip


def _spread(url: str) -> float:
    """0.8 to 1.2, the same for a link every time: spreads an archive's rechecks over days."""
    return 0.8 + 0.4 * (zlib.crc32(url.encode()) / 2**32)


def retry_delay(failures: int, recheck: dt.timedelta) -> dt.timedelta:
    """The wait before checking a link again after ``failures`` failed checks in a row."""
    return min(FIRST_RETRY * (1 << min(failures - 1, 16)), recheck)


def after(
    previous: LinkCheck, outcome: Outcome, now: dt.datetime, settings: LinksSection
) -> LinkCheck:
    """The link's row once ``outcome`` is known."""
    recheck = dt.timedelta(days=settings.recheck_days) * _spread(previous.url)
    if outcome.kind in ("ok", "redirected", "blocked"):
        return LinkCheck(
            previous.url, outcome.kind, outcome.final_url, outcome.http_status, now,
            None, 0, now + recheck,
        )  # fmt: skip
    if outcome.kind == "skipped":
        return LinkCheck(previous.url, "unknown", None, None, now, None, 0, now + recheck)
    failures = previous.failures + 1
    dead = previous.status == "dead" or (
        outcome.kind == "gone" and failures >= settings.dead_after_checks
    )
    return LinkCheck(
        previous.url,
        "dead" if dead else previous.status,
        previous.final_url,
        outcome.http_status,
        now,
        previous.failing_since or now,
        failures,
        now + (recheck if dead else retry_delay(failures, recheck)),
    )


# -- politeness ---------------------------------------------------------------------------


class Pace:
    """When each request may start: at most one per host every ``per_host_interval``
    seconds and at most ``per_second`` in all. A turn is booked before waiting for it, so
    requests waiting together never share a slot. (One at a time per host: a pass asks each
    host from one worker.)"""

    def __init__(
        self,
        per_second: float,
        per_host_interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._gap = 1.0 / per_second
        self._per_host = per_host_interval
        self._clock = clock
        self._sleep = sleep
        self._next = -math.inf
        self._hosts: dict[str, float] = {}

    async def turn(self, host: str) -> None:
        now = self._clock()
        start = max(now, self._next, self._hosts.get(host, now))
        self._next = start + self._gap
        self._hosts[host] = start + self._per_host
        if start > now:
            await self._sleep(start - now)

    def forget_past(self) -> None:
        """Drop the hosts whose next turn has come (a long-running bot meets many)."""
        now = self._clock()
        self._hosts = {host: at for host, at in self._hosts.items() if at > now}


class Fetch(Protocol):
    """``bot.fetch.fetch_url``, or a stand-in with its signature."""

    async def __call__(
        self,
        url: str,
        *,
        max_bytes: int,
        method: Literal["GET", "HEAD"] = "GET",
        headers: Mapping[str, str] | None = None,
        allow_private_hosts: bool = False,
        resolver: Resolver = system_resolver,
        connect_timeout: float = ...,
        timeout: float = ...,
        truncate: bool = False,
    ) -> FetchResult: ...


# -- in memory ----------------------------------------------------------------------------


class LinkStatuses:
    """Every checked link's status, held in memory for cards and search (a dict lookup per
    link: no query on the way to a member)."""

    def __init__(self) -> None:
        self._status: dict[str, str] = {}
        self._dead: set[str] = set()

    def replace(self, rows: Iterable[tuple[str, str]]) -> None:
        status = dict(rows)
        dead = {url for url, found in status.items() if found == "dead"}
        self._status, self._dead = status, dead

    def set(self, url: str, status: str) -> None:
        self._status[url] = status
        if status == "dead":
            self._dead.add(url)
        else:
            self._dead.discard(url)

    def status(self, url: str) -> str:
        return self._status.get(url, "unknown")

    def all_dead(self, links: Sequence[str]) -> bool:
        """Whether every one of ``links`` (at least one) is dead."""
        return bool(links) and self._dead.issuperset(links)

    def annotate(self, record: ResourceRecord) -> ResourceRecord:
        """``record`` with each link's health (a dead one's archived copy from its issue's
        month)."""
        found = self._status
        if not record.links or not found:  # nothing known: ``record.health`` says unknown
            return record
        health = tuple(
            LinkHealth(url, status, wayback_url(url, record.issue_date))
            if (status := found.get(url, "unknown")) == "dead"
            else LinkHealth(url, status)
            for url in record.links
        )
        return replace(record, link_health=health)


# -- reports ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkRow:
    """One link of the archive in a report."""

    url: str
    status: str
    http_status: int | None
    checked_at: dt.datetime | None
    #: The Wayback Machine's copy from the month of the first issue that links it (dead links).
    archive_url: str | None
    final_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "status": self.status,
            "http_status": self.http_status,
            "checked_at": self.checked_at.isoformat() if self.checked_at else None,
            "archive_url": self.archive_url,
        }


@dataclass(frozen=True)
class LinkSummary:
    """How many of the archive's links are in each status, and where the dead ones lead."""

    #: Links in each status, every status present (in ``STATUSES`` order).
    counts: Mapping[str, int]
    #: Links the checker has looked at.
    checked: int
    #: The domains with the most dead links, most first: (domain, dead links).
    dead_domains: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


#: Domains a summary names.
TOP_DOMAINS = 10


def _summary(counts: Mapping[str, int], checked: int, dead: Iterable[str]) -> LinkSummary:
    domains = Counter(_domain(url) for url in dead if host_of(url))
    top = sorted(domains.items(), key=lambda item: (-item[1], item[0]))[:TOP_DOMAINS]
    return LinkSummary({status: counts.get(status, 0) for status in STATUSES}, checked, tuple(top))


@dataclass(frozen=True)
class LinkReport:
    """Every link of the archive (or of one newsletter) with what the checker knows of it."""

    links: tuple[LinkRow, ...]

    def summary(self) -> LinkSummary:
        return _summary(
            Counter(row.status for row in self.links),
            sum(1 for row in self.links if row.checked_at is not None),
            (row.url for row in self.links if row.status == "dead"),
        )

    def to_json(self) -> dict[str, Any]:
        summary = self.summary()
        return {
            "checked": summary.checked,
            **summary.counts,
            "links": [row.to_json() for row in self.links],
        }


def _domain(url: str) -> str:
    host = host_of(url) or ""
    return host.removeprefix("www.")


def _report(rows: list[tuple[Any, ...]]) -> LinkReport:
    links = []
    for url, stamp, status, http_status, checked_at, final_url in rows:
        status = status or "unknown"
        archived = wayback_url(url, _stamp_date(stamp)) if status == "dead" else None
        links.append(
            LinkRow(url, status, http_status, time_or_none(checked_at), archived, final_url)
        )
    return LinkReport(tuple(links))


@dataclass(frozen=True)
class CheckPass:
    """What one pass did."""

    #: Links that were due.
    due: int
    #: Links checked (the others belong to a host that asked to slow down).
    checked: int
    #: The statuses the checked links have now.
    counts: Mapping[str, int]


# -- the feature --------------------------------------------------------------------------


class Links:
    """The link checker over the archive's resources (module docstring)."""

    def __init__(
        self,
        db: Database,
        settings: LinksSection | None = None,
        *,
        contact: str | None = None,
        fetch: Fetch = fetch_url,
        resolver: Resolver = system_resolver,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        """``fetch``, ``resolver``, ``clock``, ``sleep`` and ``timeout`` (seconds for one
        request) are for tests and the benchmark."""
        self._db = db
        self.settings = settings or LinksSection()
        self._fetch = fetch
        self._resolver = resolver
        self._timeout = timeout
        self._headers = {"User-Agent": user_agent(contact), "Accept": "*/*"}
        self.pace = Pace(
            self.settings.requests_per_second,
            self.settings.per_host_interval_seconds,
            clock,
            sleep,
        )
        #: What cards and search read.
        self.statuses = LinkStatuses()
        #: The latest check this process knows of (another process's checks are newer).
        self._latest: str | None = None
        self._pruned_at: dt.datetime | None = None

    async def refresh(self) -> None:
        """Read every status into memory."""
        rows = await self._db.rows("SELECT url, status FROM link_checks WHERE status != 'unknown'")
        self.statuses.replace(rows)
        self._latest = await self._db.value("SELECT max(checked_at) FROM link_checks")

    async def refresh_if_changed(self) -> None:
        """``refresh`` when another process (``python -m bot links check``) checked links."""
        latest = await self._db.value("SELECT max(checked_at) FROM link_checks")
        if latest != self._latest:
            await self.refresh()

    async def due(self, newsletter: str | None = None, limit: int | None = None) -> list[LinkCheck]:
        """The links (of ``newsletter``, or of every one) due for a check: never checked
        first, then the longest waiting."""
        where, params = where_newsletter(newsletter)
        rows = await self._db.rows(
            f"WITH linked AS (SELECT DISTINCT url FROM ({_LINKED.format(where=where)}))"
            f" SELECT l.url, c.status, c.final_url, c.http_status, c.checked_at,"
            " c.failing_since, c.failures, c.next_check_at"
            " FROM linked l LEFT JOIN link_checks c ON c.url = l.url"
            " WHERE c.next_check_at IS NULL OR c.next_check_at <= ?"
            " ORDER BY c.next_check_at IS NOT NULL, c.next_check_at, l.url LIMIT ?",
            (*params, self._db.clock().isoformat(), -1 if limit is None else limit),
        )
        return await asyncio.to_thread(lambda: [LinkCheck.of(row) for row in rows])

    async def check(
        self,
        newsletter: str | None = None,
        *,
        limit: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> CheckPass:
        """Check the links that are due (at most ``limit``), politely (module docstring);
        ``progress(done, total)`` after each one. Results are written as they come, a few
        dozen at a time."""
        due = await self.due(newsletter, limit)
        queue = deque(await asyncio.to_thread(_by_host, due))
        counts: Counter[str] = Counter()
        pending: list[LinkCheck] = []
        self.pace.forget_past()

        async def write() -> None:
            batch = pending[:]
            pending.clear()
            await self._save(batch)

        async def worker() -> None:
            while queue:
                host, links = queue.popleft()
                for link in links:
                    outcome = (
                        await self._probe(link.url, host)
                        if host is not None
                        else Outcome("skipped", detail="not a web address")
                    )
                    state = after(link, outcome, self._db.clock(), self.settings)
                    log.debug("link %s: %s (%s)", link.url, state.status, outcome.detail)
                    pending.append(state)
                    counts[state.status] += 1
                    if progress is not None:
                        progress(sum(counts.values()), len(due))
                    if len(pending) >= WRITE_EVERY:
                        await write()
                    if outcome.http_status == 429:
                        break  # the host asks for fewer requests: the rest wait for a later pass

        async with asyncio.TaskGroup() as group:
            for _ in range(min(HOSTS_AT_ONCE, len(queue))):
                group.create_task(worker())
        await write()
        if newsletter is None:
            await self._prune()
        return CheckPass(len(due), sum(counts.values()), dict(counts))

    async def _ask(
        self, url: str, host: str, method: Literal["GET", "HEAD"]
    ) -> FetchResult | FetchRefused:
        await self.pace.turn(host)
        try:
            return await self._fetch(
                url,
                method=method,
                max_bytes=BODY_BYTES,
                truncate=True,
                headers=self._headers,
                allow_private_hosts=self.settings.allow_private_hosts,
                resolver=self._resolver,
                connect_timeout=min(CONNECT_TIMEOUT, self._timeout),
                timeout=self._timeout,
            )
        except FetchRefused as error:
            return error

    async def _probe(self, url: str, host: str) -> Outcome:
        """HEAD, then GET when HEAD was refused or failed (many servers answer HEAD wrong)."""
        outcome = judge(await self._ask(url, host, "HEAD"))
        settled = outcome.kind in ("ok", "redirected", "skipped") or (
            outcome.kind == "gone" and outcome.http_status is None  # no host, no connection
        )
        if settled or outcome.http_status == 429:
            return outcome
        return judge(await self._ask(url, host, "GET"))

    async def _save(self, states: list[LinkCheck]) -> None:
        if not states:
            return
        async with self._db.transaction() as db:
            await db.executemany(
                f"INSERT INTO link_checks({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(url) DO UPDATE SET status = excluded.status,"
                " final_url = excluded.final_url, http_status = excluded.http_status,"
                " checked_at = excluded.checked_at, failing_since = excluded.failing_since,"
                " failures = excluded.failures, next_check_at = excluded.next_check_at",
                [state.row() for state in states],
            )
        for state in states:
            self.statuses.set(state.url, state.status)
        self._latest = await self._db.value("SELECT max(checked_at) FROM link_checks")

    async def _prune(self) -> None:
        """Forget the links no resource holds any more (at most once a day)."""
        now = self._db.clock()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        async with self._db.transaction() as db:
            await db.execute(
                "DELETE FROM link_checks WHERE url NOT IN"
                " (SELECT j.value FROM resources r, json_each(r.links) j)"
            )

    async def summary(self, newsletter: str | None = None) -> LinkSummary:
        """How many links (of ``newsletter``, or of all) are in each status and the domains
        with the most dead ones: counted by SQLite, only the dead links read (``/links``
        answers while the bot serves; ``report`` reads every link)."""
        where, params = where_newsletter(newsletter)
        linked = f"WITH linked AS (SELECT DISTINCT url FROM ({_LINKED.format(where=where)}))"
        counts = await self._db.rows(
            f"{linked} SELECT coalesce(c.status, 'unknown'), count(*),"
            " count(c.checked_at) FROM linked l LEFT JOIN link_checks c ON c.url = l.url"
            " GROUP BY 1",
            params,
        )
        dead = await self._db.rows(
            f"{linked} SELECT l.url FROM linked l JOIN link_checks c ON c.url = l.url"
            " WHERE c.status = 'dead'",
            params,
        )
        checked = sum(row[2] for row in counts)
        by_status = {row[0]: row[1] for row in counts}
        return await asyncio.to_thread(_summary, by_status, checked, (row[0] for row in dead))

    async def report(self, newsletter: str | None = None) -> LinkReport:
        """Every link of the archive (or of ``newsletter``) with its status, in address order
        (built off the event loop: an archive has tens of thousands)."""
        where, params = where_newsletter(newsletter)
        rows = await self._db.rows(
            f"WITH linked AS (SELECT url, min(stamp) AS stamp FROM ({_LINKED.format(where=where)})"
            " GROUP BY url)"
            " SELECT l.url, l.stamp, c.status, c.http_status, c.checked_at, c.final_url"
            " FROM linked l LEFT JOIN link_checks c ON c.url = l.url ORDER BY l.url",
            params,
        )
        return await asyncio.to_thread(_report, rows)
