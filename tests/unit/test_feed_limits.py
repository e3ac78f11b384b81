"""Feeds that trust nothing: at most N new entries a poll, numbers far beyond the sequence
held for a moderator (and number-less entries numbered after the real sequence), every feed
polled at once within its own time limit, and a folder the bot cannot write said once and
backed off."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from aiohttp import web

from bot.archive.feeds import hold_limit
from bot.config import Settings
from tests.conftest import FakeClock
from tests.feed_server import XML, FeedServer, rss
from tests.unit.test_feeds import open_service


def test_the_hold_limit_follows_the_sequence() -> None:
    assert hold_limit([]) is None
    assert hold_limit([1, 2, 30]) == 30 + 56  # twice the largest gap (28) is more than 50
    assert hold_limit([28, 29, 30]) == 80


async def test_one_poll_takes_at_most_n_entries_and_the_rest_come_next_poll(
    tmp_path: Path, settings: Settings, content_dir: Path, clock: FakeClock, feeds: FeedServer
) -> None:
    newest = 28
    entries = [(f"Issue {n}", f"e{n}") for n in range(newest + 30, newest, -1)]
    url = feeds.serve_body("/many.xml", rss(entries), {**XML, "ETag": '"same"'})
    service = await open_service(tmp_path, settings, content_dir, clock, url, limit=12)
    try:
        assert max(await service.issues.numbers()) == newest
        assert await service.feeds.poll_due() == 12
        assert max(await service.issues.numbers()) == newest + 12
        clock.advance(hours=1)
        # The ETag is not sent back: a 304 would hide the entries left.
        assert await service.feeds.poll_due() == 12
        assert feeds.requests[-1][1] is None
        clock.advance(hours=1)
        assert await service.feeds.poll_due() == 6
        clock.advance(hours=1)
        assert await service.feeds.poll_due() == 0
        assert feeds.requests[-1][1] == '"same"'
        numbers = await service.issues.numbers()
        assert set(range(newest + 1, newest + 31)) <= set(numbers)
    finally:
        await service.close()


async def test_a_number_far_beyond_the_sequence_is_held_and_a_moderator_decides(
    tmp_path: Path,
    settings: Settings,
    content_dir: Path,
    clock: FakeClock,
    feeds: FeedServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entries = [("A note without a number", "plain"), ("Issue 990", "far"), ("Issue 29", "next")]
    url = feeds.serve_body("/far.xml", rss(entries), XML)
    service = await open_service(tmp_path, settings, content_dir, clock, url)
    try:
        with caplog.at_level(logging.WARNING, "bot.archive.feeds"):
            assert await service.feeds.poll_due() == 2
        numbers = await service.issues.numbers()
        assert 990 not in numbers and max(numbers) == 30  # 29, then the number-less one
        assert not (content_dir / "issue-990.html").exists()
        assert "held entry “Issue 990”: its number #990 is beyond #79" in caplog.text
        held = await service.feeds.held()
        assert [(h.number, h.title) for h in held] == [(990, "Issue 990")]
        assert await service.feeds.held_count() == 1

        # The feed changes nothing: the held entry is not held twice, nor written.
        clock.advance(hours=1)
        assert await service.feeds.poll_due() == 0
        assert await service.feeds.held_count() == 1

        released = await service.feeds.release(held[0].id)
        assert released == held[0]
        assert await service.feeds.held_count() == 0
        assert await service.feeds.poll_due() == 1  # written by the next pass, feed or not
        assert 990 in await service.issues.numbers()
        assert await service.feeds.release(held[0].id) is None
    finally:
        await service.close()


async def test_a_dismissed_entry_is_never_served(
    tmp_path: Path, settings: Settings, content_dir: Path, clock: FakeClock, feeds: FeedServer
) -> None:
    url = feeds.serve_body("/far.xml", rss([("Issue 5000", "far")]), XML)
    service = await open_service(tmp_path, settings, content_dir, clock, url)
    try:
        assert await service.feeds.poll_due() == 0
        (held,) = await service.feeds.held()
        assert await service.feeds.dismiss(held.id) == held
        clock.advance(hours=1)
        assert await service.feeds.poll_due() == 0
        assert await service.feeds.held() == []
        assert 5000 not in await service.issues.numbers()
    finally:
        await service.close()


async def test_a_slow_feed_delays_no_other(
    tmp_path: Path,
    settings: Settings,
    content_dir: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The slow feed answers only once the fast one was asked: polled one after the other,
    the fast one would be asked only after the slow one's time limit."""
    monkeypatch.setattr("bot.archive.feeds.POLL_TIMEOUT", 3.0)
    fast_asked, over = asyncio.Event(), asyncio.Event()

    async def slow(_: web.Request) -> web.Response:
        try:
            await asyncio.wait_for(fast_asked.wait(), 10)
        except TimeoutError:
            return web.Response(status=503)
        await over.wait()  # and then never in time
        return web.Response(status=503)

    async def fast(_: web.Request) -> web.Response:
        fast_asked.set()
        return web.Response(body=rss([("Issue 29", "fast")]), headers=XML)

    app = web.Application()
    app.router.add_get("/slow.xml", slow)
    app.router.add_get("/fast.xml", fast)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    service = await open_service(
        tmp_path, settings, content_dir, clock, f"{base}/slow.xml", f"{base}/fast.xml"
    )
    try:
        assert await service.feeds.poll_due() == 1
        assert 29 in await service.issues.numbers()
        state = await service.feeds.state("default", f"{base}/slow.xml")
        assert state.failures == 1 and state.last_error == "no whole answer within 3 s"
    finally:
        over.set()
        await service.close()
        await runner.cleanup()


async def test_a_folder_that_cannot_be_written_is_said_once_and_backs_off(
    tmp_path: Path,
    settings: Settings,
    content_dir: Path,
    clock: FakeClock,
    feeds: FeedServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = feeds.serve_body("/feed.xml", rss([("Issue 29", "a"), ("Issue 30", "b")]), XML)
    service = await open_service(tmp_path, settings, content_dir, clock, url)

    def read_only(*_: object) -> bool:
        raise OSError(30, "Read-only file system")

    try:
        with monkeypatch.context() as patched, caplog.at_level(logging.INFO, "bot.archive.feeds"):
            patched.setattr("bot.archive.feeds.write_issue", read_only)
            assert await service.feeds.poll_due() == 0
            for _ in range(5):  # passes every 30 s: no request, no new line
                clock.advance(seconds=30)
                assert await service.feeds.poll_due() == 0
            assert len(feeds.requests) == 1
            errors = [r for r in caplog.records if r.levelno == logging.ERROR]
            assert [r.getMessage() for r in errors] == [
                f"cannot write feed issues into {content_dir}: the folder is on a read-only "
                "file system (Read-only file system); mount it writable (in compose.yaml: no :ro "
                "on the content volume)"
            ]
            clock.advance(hours=2)  # the back-off is over: tried again, said no more
            assert await service.feeds.poll_due() == 0
            assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1
            assert len(feeds.requests) == 1  # the feed is not polled while it can't be written
        clock.advance(hours=4)
        caplog.clear()
        with caplog.at_level(logging.INFO, "bot.archive.feeds"):
            assert await service.feeds.poll_due() == 2  # the same entries, numbers kept
        assert len(feeds.requests) == 2
        assert f"{content_dir} is writable again" in caplog.text
        assert {29, 30} <= set(await service.issues.numbers())
        assert sorted(p.name for p in content_dir.glob("issue-*")) == [
            "issue-29.html",
            "issue-30.html",
        ]
    finally:
        await service.close()
