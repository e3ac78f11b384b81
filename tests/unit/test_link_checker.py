"""The link checker (bot/archive/links.py) against a web host on 127.0.0.1: what each answer
means, the re-check schedule, the rates (measured on a virtual clock, never timed), and what
members see of it (link health on records, search order)."""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import itertools
from collections import Counter
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any, Literal, TypeVar

import pytest

from bot.archive.links import (
    FIRST_RETRY,
    LinkCheck,
    Links,
    LinkStatuses,
    Outcome,
    after,
    user_agent,
    wayback_url,
)
from bot.archive.records import ResourceRecord
from bot.archive.service import ArchiveService
from bot.config import LinksSection, Settings
from bot.fetch import FetchResult
from tests.conftest import FakeClock
from tests.link_server import LinkServer, issue_file, refused_port

T = TypeVar("T")
UNKNOWN_HOST = "nowhere.invalid"


async def resolver(host: str, port: int) -> list[str]:
    """Every name is 127.0.0.1 but ``UNKNOWN_HOST``, which does not exist."""
    if host == UNKNOWN_HOST:
        raise OSError(f"[Errno -2] Name or service not known: {host}")
    return ["127.0.0.1"]


@pytest.fixture
async def server() -> AsyncIterator[LinkServer]:
    host = LinkServer()
    await host.start()
    yield host
    await host.stop()


async def archive(
    tmp_path: Path, settings: Settings, clock: FakeClock, folder: Path
) -> ArchiveService:
    service = await ArchiveService.open(
        tmp_path / "archive.sqlite3", settings.served_newsletter(folder=folder), clock
    )
    await service.loader.reload()
    return service


def checker(service: ArchiveService, **settings: Any) -> Links:
    """A checker on the service's database, its statuses the ones cards and search read."""
    chosen = {
        "allow_private_hosts": True,
        "per_host_interval_seconds": 0,
        "requests_per_second": 50,
        **settings,
    }
    links = Links(service.db, LinksSection(**chosen), resolver=resolver, timeout=1.0)
    links.statuses = service.links.statuses
    return links


async def rows(service: ArchiveService) -> dict[str, LinkCheck]:
    found = await service.db.rows(
        "SELECT url, status, final_url, http_status, checked_at, failing_since, failures,"
        " next_check_at FROM link_checks"
    )
    return {row[0]: LinkCheck.of(row) for row in found}


# -- each answer ----------------------------------------------------------------------------


async def test_each_kind_of_answer_gets_its_status(
    tmp_path: Path, settings: Settings, clock: FakeClock, server: LinkServer
) -> None:
    refused = f"http://127.0.0.1:{refused_port()}/page"
    unknown = f"http://{UNKNOWN_HOST}/page"
    paths = ["/ok", "/moved", "/gone", "/removed", "/blocked", "/slow", "/reset", "/no-head",
             "/challenge", "/down"]  # fmt: skip
    links = {path.strip("/").title(): server.url(path) for path in paths}
    # Its own host name: a 429 leaves the rest of its host's links for a later pass.
    links["Busy"] = f"http://localhost:{server.port}/busy"
    links |= {"Refused": refused, "Unknown": unknown}
    issue_file(tmp_path / "content", 7, "2020-05", links)
    service = await archive(tmp_path, settings, clock, tmp_path / "content")
    try:
        result = await checker(service, dead_after_checks=1).check()
        found = await rows(service)
    finally:
        await service.close()
    assert (result.due, result.checked) == (len(links), len(links))
    status = {url: (row.status, row.http_status) for url, row in found.items()}
    assert status == {
        server.url("/ok"): ("ok", 200),
        server.url("/moved"): ("redirected", 200),
        server.url("/gone"): ("dead", 404),
        server.url("/removed"): ("dead", 410),
        server.url("/blocked"): ("blocked", 403),
        f"http://localhost:{server.port}/busy": ("blocked", 429),
        server.url("/challenge"): ("blocked", 503),
        server.url("/no-head"): ("ok", 200),
        refused: ("dead", None),
        unknown: ("dead", None),
        # Failures that say nothing of the page: retried, never dead on their own.
        server.url("/slow"): ("unknown", None),
        server.url("/reset"): ("unknown", None),
        server.url("/down"): ("unknown", 503),
    }
    assert found[server.url("/moved")].final_url == server.url("/ok")
    assert all(row.checked_at == clock.now for row in found.values())
    # HEAD first; GET only when HEAD was refused or failed; never after a 429.
    asked = Counter((method, path) for method, path, _ in server.requests)
    assert asked[("HEAD", "/ok")] == 2 and asked[("GET", "/ok")] == 0  # HEAD /moved leads there
    assert asked[("GET", "/no-head")] == 1 and asked[("GET", "/gone")] == 1
    assert asked[("GET", "/busy")] == 0
    assert {agent for _, _, agent in server.requests} == {user_agent()}


async def test_private_addresses_are_never_requested_unless_allowed(
    tmp_path: Path, settings: Settings, clock: FakeClock, server: LinkServer
) -> None:
    spellings = ["127.0.0.1", "localhost", "127.1", "2130706433", "[::ffff:127.0.0.1]"]
    links = {f"Page {i}": f"http://{host}:{server.port}/ok" for i, host in enumerate(spellings)}
    issue_file(tmp_path / "content", 7, "2020-05", links)
    service = await archive(tmp_path, settings, clock, tmp_path / "content")
    try:
        await checker(service, allow_private_hosts=False, dead_after_checks=1).check()
        found = await rows(service)
    finally:
        await service.close()
    assert server.requests == []
    assert {row.status for row in found.values()} == {"unknown"}
    # Looked at again only after a long while, in case the config changes.
    assert all(row.next_check_at and row.next_check_at > clock.now for row in found.values())


# -- the schedule ---------------------------------------------------------------------------


SETTINGS = LinksSection(recheck_days=30, dead_after_checks=2)
NOW = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


def test_a_working_link_is_checked_again_after_about_recheck_days() -> None:
    state = after(LinkCheck("https://example.org/a"), Outcome("ok", 200), NOW, SETTINGS)
    assert state.status == "ok" and state.failures == 0
    assert state.next_check_at is not None
    assert dt.timedelta(days=24) <= state.next_check_at - NOW < dt.timedelta(days=36)
    # The same link always gets the same spread; other links other days.
    days = {
        after(
            LinkCheck(f"https://example.org/{n}"), Outcome("ok", 200), NOW, SETTINGS
        ).next_check_at
        for n in range(20)
    }
    assert len(days) > 10


def test_a_gone_page_is_dead_only_after_failed_checks_spread_over_time() -> None:
    url = "https://example.org/gone"
    first = after(LinkCheck(url, "ok", http_status=200), Outcome("gone", 404), NOW, SETTINGS)
    assert (first.status, first.failures, first.failing_since) == ("ok", 1, NOW)
    assert first.next_check_at == NOW + FIRST_RETRY
    later = NOW + FIRST_RETRY
    second = after(first, Outcome("gone", 404), later, SETTINGS)
    assert (second.status, second.failures, second.failing_since) == ("dead", 2, NOW)
    assert second.next_check_at is not None and second.next_check_at - later > dt.timedelta(days=20)
    # A dead link that works again is working.
    back = after(second, Outcome("ok", 200), later + dt.timedelta(days=30), SETTINGS)
    assert (back.status, back.failures, back.failing_since) == ("ok", 0, None)


def test_failures_back_off_and_never_make_a_link_dead_on_their_own() -> None:
    state = LinkCheck("https://example.org/flaky")
    waits = []
    moment = NOW
    for _ in range(8):
        state = after(state, Outcome("failed", 503), moment, SETTINGS)
        assert state.next_check_at is not None
        waits.append(state.next_check_at - moment)
        moment = state.next_check_at
    assert state.status == "unknown" and state.failures == 8
    assert waits[:3] == [FIRST_RETRY, 2 * FIRST_RETRY, 4 * FIRST_RETRY]
    assert max(waits) <= dt.timedelta(days=36)  # capped at the recheck interval
    # Gone after failures: the failed checks in a row count.
    assert after(state, Outcome("gone", 404), moment, SETTINGS).status == "dead"
    # A dead link that fails (a time limit) stays dead; a blocked one is never dead.
    dead = LinkCheck("https://example.org/x", "dead", failures=2)
    assert after(dead, Outcome("failed"), moment, SETTINGS).status == "dead"
    blocked = LinkCheck("https://example.org/y")
    for _ in range(5):
        blocked = after(blocked, Outcome("blocked", 403), moment, SETTINGS)
    assert (blocked.status, blocked.failures) == ("blocked", 0)


async def test_only_links_that_are_due_are_checked_again(
    tmp_path: Path, settings: Settings, clock: FakeClock, server: LinkServer
) -> None:
    links = {"Ok": server.url("/ok"), "Gone": server.url("/gone"), "Down": server.url("/down")}
    issue_file(tmp_path / "content", 7, "2020-05", links)
    service = await archive(tmp_path, settings, clock, tmp_path / "content")
    try:
        links_checker = checker(service)  # dead after 2 checks
        assert len(await links_checker.due()) == 3
        await links_checker.check()
        assert await links_checker.due() == []
        assert (await links_checker.check()).due == 0
        clock.advance(hours=13)
        assert {link.url for link in await links_checker.due()} == {
            server.url("/gone"),
            server.url("/down"),
        }
        await links_checker.check()
        found = await rows(service)
        assert found[server.url("/gone")].status == "dead"
        assert found[server.url("/gone")].failing_since == clock.now - dt.timedelta(hours=13)
        assert found[server.url("/down")].status == "unknown"
        clock.advance(days=40)
        assert len(await links_checker.due()) == 3
    finally:
        await service.close()


# -- the rates, on a virtual clock ------------------------------------------------------------


class VirtualTime:
    """A clock that moves only when every task waiting on it would otherwise wait: the next
    sleeper's wake-up time becomes now. No assertion depends on the machine's speed."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), next(self._order), future))
        await future

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        task = asyncio.ensure_future(work)
        while not task.done():
            await asyncio.sleep(0.001)  # what is ready runs (the database's threads too)
            if self._sleepers:
                self.now = max(self.now, self._sleepers[0][0])
                while self._sleepers and self._sleepers[0][0] <= self.now:
                    heapq.heappop(self._sleepers)[2].set_result(None)
        return task.result()


class FakeWeb:
    """A stand-in for the fetch guard: every page answers 200 (or ``statuses[path]``) after
    ``seconds`` of virtual time; it records when each request started and how many were
    under way per host."""

    def __init__(self, time: VirtualTime, seconds: float = 1.5, **statuses: int) -> None:
        self.time = time
        self.seconds = seconds
        self.statuses = statuses
        self.starts: list[tuple[float, str, str]] = []
        self.busy: Counter[str] = Counter()
        self.most_busy = 0

    async def __call__(
        self, url: str, *, method: Literal["GET", "HEAD"] = "GET", **_: Any
    ) -> FetchResult:
        host = url.split("/")[2]
        self.starts.append((self.time.now, host, method))
        self.busy[host] += 1
        self.most_busy = max(self.most_busy, self.busy[host])
        await self.time.sleep(self.seconds)
        self.busy[host] -= 1
        path = "/" + url.split("/", 3)[3]
        return FetchResult(url, self.statuses.get(path.strip("/"), 200), {})


async def test_the_rates_are_never_exceeded(
    tmp_path: Path, settings: Settings, clock: FakeClock
) -> None:
    hosts = ["a.example", "b.example", "c.example", "d.example"]
    links = {f"Page {h} {n}": f"https://{h}/{n}" for h in hosts for n in range(8)}
    links |= {"Lone page": "https://e.example/only"}
    issue_file(tmp_path / "content", 7, "2020-05", links)
    service = await archive(tmp_path, settings, clock, tmp_path / "content")
    time = VirtualTime()
    web = FakeWeb(time)
    try:
        checker = Links(
            service.db,
            LinksSection(requests_per_second=2, per_host_interval_seconds=5),
            fetch=web,
            clock=time.clock,
            sleep=time.sleep,
        )
        result = await time.run(checker.check())
    finally:
        await service.close()
    assert result.checked == len(links) == len(web.starts)
    starts = sorted(start for start, _, _ in web.starts)
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.5  # 2 per second at most
    for host in hosts:
        own = [start for start, asked, _ in web.starts if asked == host]
        assert min(b - a for a, b in itertools.pairwise(own)) >= 5
    assert web.most_busy == 1  # one request at a time per host
    # Hosts wait their turns side by side: the pass takes about as long as the busiest host.
    assert time.now < 8 * 5 + 5


async def test_a_host_that_asks_for_fewer_requests_is_left_for_a_later_pass(
    tmp_path: Path, settings: Settings, clock: FakeClock
) -> None:
    links = {f"Page {n}": f"https://busy.example/{n}" for n in range(4)}
    links |= {"Elsewhere": "https://calm.example/page"}
    issue_file(tmp_path / "content", 7, "2020-05", links)
    service = await archive(tmp_path, settings, clock, tmp_path / "content")
    time = VirtualTime()
    web = FakeWeb(time, 0.1, **{"0": 429})
    try:
        checker = Links(service.db, fetch=web, clock=time.clock, sleep=time.sleep)
        result = await time.run(checker.check())
        left = await checker.due()
    finally:
        await service.close()
    assert (result.due, result.checked) == (5, 2)
    # No GET after the 429, and no other request to its host.
    assert sorted((host, method) for _, host, method in web.starts) == [
        ("busy.example", "HEAD"),
        ("calm.example", "HEAD"),
    ]
    assert sorted(link.url for link in left) == [f"https://busy.example/{n}" for n in (1, 2, 3)]


# -- what members see --------------------------------------------------------------------------


def test_the_archived_copy_is_dated_from_the_issue() -> None:
    url = "https://example.org/post?id=3"
    assert wayback_url(url, "2020-05") == "https://web.archive.org/web/20200501/" + url
    assert wayback_url(url, None) == "https://web.archive.org/web/" + url


def test_records_carry_each_links_health() -> None:
    statuses = LinkStatuses()
    statuses.replace([("https://a.example/x", "dead"), ("https://b.example/y", "ok")])
    record = ResourceRecord(
        "k", 3, "Issue 3", "Title", "Text",
        ("https://a.example/x", "https://b.example/y", "https://c.example/z"), None, "2019-11",
    )  # fmt: skip
    health = statuses.annotate(record).link_health
    assert [(h.status, h.archive_url) for h in health] == [
        ("dead", "https://web.archive.org/web/20191101/https://a.example/x"),
        ("ok", None),
        ("unknown", None),
    ]
    assert not statuses.all_dead(record.links)
    assert statuses.all_dead(record.links[:1])
    assert not statuses.all_dead(())
    statuses.set("https://a.example/x", "ok")
    assert not statuses.all_dead(record.links[:1])


async def test_search_ranks_resources_whose_links_are_all_dead_lower_and_keeps_them(
    tmp_path: Path, settings: Settings, clock: FakeClock
) -> None:
    folder = tmp_path / "content"
    issue_file(folder, 7, "2020-05", {"Parsing with combinators": "https://old.example/parsing"})
    issue_file(folder, 8, "2020-06", {"Parsing with combinators": "https://new.example/parsing"})
    service = await archive(tmp_path, settings, clock, folder)
    try:
        before = await service.search.find("parsing combinators")
        assert [hit.resource.issue for hit in before] == [8, 7]  # equal scores: newest first
        service.links.statuses.set("https://new.example/parsing", "dead")
        after_ = await service.search.find("parsing combinators")
        assert [hit.resource.issue for hit in after_] == [7, 8]
        assert after_[1].resource.link_health[0].archive_url == (
            "https://web.archive.org/web/20200601/https://new.example/parsing"
        )
        issue = await service.issues.get(8)
        assert issue is not None and issue.resources[0].link_health[0].status == "dead"
    finally:
        await service.close()


async def test_statuses_are_read_back_at_open_and_from_another_process(
    tmp_path: Path, settings: Settings, clock: FakeClock, server: LinkServer
) -> None:
    issue_file(tmp_path / "content", 7, "2020-05", {"Gone": server.url("/gone")})
    service = await archive(tmp_path, settings, clock, tmp_path / "content")
    console = await archive(tmp_path, settings, clock, tmp_path / "content")
    try:
        await checker(console, dead_after_checks=1).check()
        assert service.links.statuses.status(server.url("/gone")) == "unknown"
        await service.links.refresh_if_changed()
        assert service.links.statuses.status(server.url("/gone")) == "dead"
    finally:
        await console.close()
        await service.close()
    reopened = await archive(tmp_path, settings, clock, tmp_path / "content")
    try:
        assert reopened.links.statuses.status(server.url("/gone")) == "dead"
    finally:
        await reopened.close()


async def test_nothing_but_a_status_is_kept(
    tmp_path: Path, settings: Settings, clock: FakeClock, server: LinkServer
) -> None:
    issue_file(tmp_path / "content", 7, "2020-05", {"Ok": server.url("/no-head")})
    service = await archive(tmp_path, settings, clock, tmp_path / "content")
    try:
        await checker(service).check()
        columns = await service.db.rows("PRAGMA table_info(link_checks)")
        assert {column[1] for column in columns} == {
            "url", "status", "final_url", "http_status", "checked_at", "failing_since",
            "failures", "next_check_at",
        }  # fmt: skip
    finally:
        await service.close()
