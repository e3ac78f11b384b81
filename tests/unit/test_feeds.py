"""Feeds against a local HTTP server: RSS and Atom entries become issue files and issues, a 304
changes nothing, a malformed feed and a 500 back off, and a feed that recovers is read again."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from bot.archive.feeds import MAX_BACKOFF, backoff
from bot.archive.service import ArchiveService
from bot.config import Network, Settings
from tests.conftest import FakeClock
from tests.feed_server import LAST_MODIFIED, FeedServer
from tests.unit.test_announcements import Posts
from tests.unit.test_fetch_guard import gzip_bomb

EVERY = dt.timedelta(hours=1)
#: The feed server is on 127.0.0.1: these tests allow private hosts, as a self-hoster would.
LOCAL = Network(allow_private_hosts=True)


async def open_service(
    tmp_path: Path,
    settings: Settings,
    content_dir: Path,
    clock: FakeClock,
    *urls: str,
    network: Network | None = None,
    limit: int = 20,
) -> ArchiveService:
    """The seeds' archive with ``urls`` as its feeds, at most ``limit`` new entries a poll."""
    source = replace(
        settings.served_newsletter(folder=content_dir),
        feeds=urls,
        feed_poll=EVERY,
        feed_max_new_entries=limit,
    )
    service = await ArchiveService.open(
        tmp_path / "archive.sqlite3", source, clock, network=network or LOCAL
    )
    await service.loader.reload()
    return service


async def test_rss_entries_become_issues_and_a_304_changes_nothing(
    tmp_path: Path, settings: Settings, content_dir: Path, clock: FakeClock, feeds: FeedServer
) -> None:
    url = feeds.serve("/feed.xml", "ml-monthly.rss")
    service = await open_service(tmp_path, settings, content_dir, clock, url)
    try:
        await service.announcements.set(1, 10, None)
        assert await service.feeds.poll_due() == 1
        # #28 is in the archive already: passed over, and #29 is written as a saved page.
        assert sorted(p.name for p in content_dir.glob("issue-*")) == ["issue-29.html"]
        issue = await service.issues.get(29)
        assert issue is not None
        assert issue.title == "Machine Learning Monthly Issue 29"
        assert (issue.year, issue.month) == (2022, 5)
        assert issue.url == "https://example.org/2022/05/issue-29"
        assert [r.title for r in issue.resources] == [
            "Tabular Toolkit",
            "A course on diffusion models",
        ]
        posts = Posts()
        assert await service.announcements.run_due(posts) == 1
        assert posts.posted == [(1, 29, None)]

        # Not due yet: no request. Due: a conditional request, answered 304.
        assert await service.feeds.poll_due() == 0
        assert len(feeds.requests) == 1
        clock.advance(hours=1)
        assert await service.feeds.poll_due() == 0
        etag = feeds.routes["/feed.xml"].etag
        assert feeds.requests[-1] == ("/feed.xml", etag, LAST_MODIFIED, 304)
        state = await service.feeds.state("default", url)
        assert (state.etag, state.failures, state.next_poll_at) == (
            etag,
            0,
            clock() + EVERY,
        )

        # The feed changes: the entries already seen are not written again.
        feeds.serve("/feed.xml", "ml-monthly.rss")
        clock.advance(hours=1)
        assert await service.feeds.poll_due() == 0
        assert [status for *_, status in feeds.requests] == [200, 304, 200]
        assert sorted(p.name for p in content_dir.glob("issue-*")) == ["issue-29.html"]
    finally:
        await service.close()


async def test_an_atom_entry_without_a_number_comes_after_the_newest_issue(
    tmp_path: Path, settings: Settings, content_dir: Path, clock: FakeClock, feeds: FeedServer
) -> None:
    url = feeds.serve("/atom.xml", "ml-monthly.atom")
    service = await open_service(tmp_path, settings, content_dir, clock, url)
    try:
        newest = max(await service.issues.numbers())
        assert await service.feeds.poll_due() == 1
        issue = await service.issues.get(newest + 1)
        assert issue is not None
        assert issue.title == "Summer reading for machine learners"
        assert (issue.year, issue.month) == (2022, 6)
        assert issue.url == "https://example.org/2022/06/summer-reading"
        assert [r.title for r in issue.resources] == [
            "Deep Learning, the book",
            "Attention is all you need",
        ]
        assert (content_dir / f"issue-{newest + 1}.html").is_file()
    finally:
        await service.close()


async def test_a_malformed_feed_backs_off_and_writes_nothing(
    tmp_path: Path, settings: Settings, content_dir: Path, clock: FakeClock, feeds: FeedServer
) -> None:
    bad = feeds.serve("/bad.xml", "malformed.rss")
    good = feeds.serve("/feed.xml", "ml-monthly.rss")
    service = await open_service(tmp_path, settings, content_dir, clock, bad, good)
    try:
        # One feed failing does not keep the other from being read.
        assert await service.feeds.poll_due() == 1
        state = await service.feeds.state("default", bad)
        assert state.failures == 1
        assert state.last_error is not None and "feed" in state.last_error
        assert state.next_poll_at == clock() + 2 * EVERY
        clock.advance(hours=2)
        assert await service.feeds.poll_due() == 0
        state = await service.feeds.state("default", bad)
        assert (state.failures, state.next_poll_at) == (2, clock() + 4 * EVERY)
        assert not list(content_dir.glob(".*.part"))
    finally:
        await service.close()


async def test_a_feed_that_answers_500_backs_off_then_recovers(
    tmp_path: Path, settings: Settings, content_dir: Path, clock: FakeClock, feeds: FeedServer
) -> None:
    url = feeds.serve("/feed.xml", "ml-monthly.rss", fail=2, status=500)
    service = await open_service(tmp_path, settings, content_dir, clock, url)
    try:
        assert await service.feeds.poll_due() == 0
        state = await service.feeds.state("default", url)
        assert (state.failures, state.last_error) == (1, "HTTP 500")
        assert state.next_poll_at == clock() + 2 * EVERY
        # Backing off: the usual interval is not enough.
        clock.advance(hours=1)
        assert await service.feeds.poll_due() == 0
        assert len(feeds.requests) == 1
        clock.advance(hours=1)
        assert await service.feeds.poll_due() == 0
        assert (await service.feeds.state("default", url)).failures == 2
        clock.advance(hours=4)
        assert await service.feeds.poll_due() == 1
        state = await service.feeds.state("default", url)
        assert (state.failures, state.last_error, state.next_poll_at) == (0, None, clock() + EVERY)
        assert [status for *_, status in feeds.requests] == [500, 500, 200]
        assert await service.issues.get(29) is not None
    finally:
        await service.close()


async def test_a_feed_that_cannot_be_reached_backs_off(
    tmp_path: Path, settings: Settings, content_dir: Path, clock: FakeClock
) -> None:
    server = FeedServer()
    await server.start()
    url = server.url("/feed.xml")
    await server.stop()  # nothing listens there any more
    service = await open_service(tmp_path, settings, content_dir, clock, url)
    try:
        assert await service.feeds.poll_due() == 0
        state = await service.feeds.state("default", url)
        assert state.failures == 1 and state.last_error is not None
    finally:
        await service.close()


async def test_by_default_a_feed_on_the_local_network_is_refused_unasked(
    tmp_path: Path, settings: Settings, content_dir: Path, clock: FakeClock, feeds: FeedServer
) -> None:
    url = feeds.serve("/feed.xml", "ml-monthly.rss")
    service = await open_service(tmp_path, settings, content_dir, clock, url, network=Network())
    try:
        assert await service.feeds.poll_due() == 0
        state = await service.feeds.state("default", url)
        assert state.failures == 1 and state.last_error is not None
        assert "not a public address (127.0.0.1, loopback)" in state.last_error
        assert feeds.requests == []
    finally:
        await service.close()


async def test_a_gzip_bomb_and_an_oversized_feed_are_refused_and_back_off(
    tmp_path: Path, settings: Settings, content_dir: Path, clock: FakeClock, feeds: FeedServer
) -> None:
    bomb = feeds.serve_body(
        "/bomb.xml", gzip_bomb(), {"Content-Encoding": "gzip", "Content-Type": "application/xml"}
    )
    huge = feeds.serve_body("/huge.xml", b"<rss>" + b" " * (6 * 1024 * 1024), {})
    small = Network(allow_private_hosts=True, feed_max_mb=5, feed_max_decompressed_mb=20)
    service = await open_service(tmp_path, settings, content_dir, clock, bomb, huge, network=small)
    try:
        assert await service.feeds.poll_due() == 0
        for url, why in (
            (bomb, f"more than {20 * 1024 * 1024} bytes once decompressed"),
            (huge, f"more than {5 * 1024 * 1024} bytes"),
        ):
            state = await service.feeds.state("default", url)
            assert state.failures == 1 and state.last_error is not None
            assert f"too large ({why})" in state.last_error
            assert state.next_poll_at == clock() + 2 * EVERY
        assert not list(content_dir.glob("issue-*")) and not list(content_dir.glob(".*.part"))
    finally:
        await service.close()


def test_backoff_doubles_up_to_a_day() -> None:
    assert [backoff(EVERY, n) for n in (1, 2, 3)] == [2 * EVERY, 4 * EVERY, 8 * EVERY]
    assert backoff(EVERY, 40) == MAX_BACKOFF
    assert backoff(dt.timedelta(days=3), 1) == dt.timedelta(days=3)
