"""Announcements of new issues: the baseline, the ledger, restarts, and channels that fail."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.archive.records import AnnouncementRecord, IssueRecord
from bot.archive.schema import MIGRATIONS, SCHEMA_VERSION, _statements
from bot.archive.service import ArchiveService
from bot.config import load_settings
from bot.content.models import DEFAULT_NEWSLETTER_ID
from bot.errors import ChannelUnavailable, PostUncertain
from tests.conftest import ROOT, TWIR, FakeClock, write_two_newsletter_config

RELEASE_0_1 = ROOT / "tests" / "data" / "release-0.1.0.sqlite3"


def issue_file(number: int, month: int) -> str:
    return (
        f"---\nnumber: {number}\ndate: 2022-{month:02d}\n---\n"
        f"# Machine Learning Monthly issue {number}\n\n## A tool\n\nIt does things.\n"
    )


class Posts:
    """An announcer that records what it was asked to post (and each try's nonce), or fails
    as told."""

    def __init__(self) -> None:
        self.posted: list[tuple[int, int, int | None]] = []
        self.fail: dict[int, BaseException] = {}
        self.nonces: list[tuple[int, int, int]] = []

    async def __call__(
        self, announcement: AnnouncementRecord, issue: IssueRecord, nonce: int
    ) -> None:
        self.nonces.append((announcement.guild_id, issue.number, nonce))
        if announcement.guild_id in self.fail:
            raise self.fail[announcement.guild_id]
        self.posted.append((announcement.guild_id, issue.number, announcement.role_id))


class Crash(BaseException):
    """The process dying mid-post: nothing after the claim runs (not caught as an error)."""


async def test_the_first_load_is_the_baseline(service: ArchiveService) -> None:
    await service.announcements.set(1, 10, None)
    posts = Posts()
    assert await service.announcements.run_due(posts) == 0
    assert posts.posted == []


async def test_an_added_issue_is_announced_once_per_server(
    service: ArchiveService, content_dir: Path, clock: FakeClock
) -> None:
    await service.announcements.set(1, 10, 77)
    await service.announcements.set(2, 20, None)
    clock.advance(minutes=1)
    (content_dir / "029.md").write_text(issue_file(29, 5))
    report = await service.loader.reload()
    assert report.summaries[0].added == (29,)
    posts = Posts()
    assert await service.announcements.run_due(posts) == 2
    assert sorted(posts.posted) == [(1, 29, 77), (2, 29, None)]
    assert await service.announcements.run_due(posts) == 0  # the ledger remembers
    await service.loader.reload()  # nothing new: nothing queued again
    assert await service.announcements.run_due(posts) == 0
    assert await service.announcements.announced(1) == [(DEFAULT_NEWSLETTER_ID, 29)]


async def test_nothing_is_announced_twice_across_a_restart(
    tmp_path: Path, service: ArchiveService, content_dir: Path, clock: FakeClock
) -> None:
    await service.announcements.set(1, 10, None)
    (content_dir / "029.md").write_text(issue_file(29, 5))
    await service.loader.reload()
    posts = Posts()
    await service.announcements.run_due(posts)
    source = service.newsletters[0]
    await service.close()
    reopened = await ArchiveService.open(tmp_path / "archive.sqlite3", source, clock)
    try:
        await reopened.loader.reload()
        assert await reopened.announcements.run_due(posts) == 0
        assert posts.posted == [(1, 29, None)]
    finally:
        await reopened.close()


async def test_an_issue_queued_before_a_crash_is_announced_after_it(
    tmp_path: Path, service: ArchiveService, content_dir: Path, clock: FakeClock
) -> None:
    await service.announcements.set(1, 10, None)
    (content_dir / "029.md").write_text(issue_file(29, 5))
    await service.loader.reload()  # loaded, then the bot stops before announcing
    source = service.newsletters[0]
    await service.close()
    reopened = await ArchiveService.open(tmp_path / "archive.sqlite3", source, clock)
    try:
        await reopened.loader.reload()  # unchanged now: the queue kept the issue
        posts = Posts()
        assert await reopened.announcements.run_due(posts) == 1
        assert posts.posted == [(1, 29, None)]
    finally:
        await reopened.close()


async def test_issues_added_before_the_announcement_was_set_are_not_announced(
    service: ArchiveService, content_dir: Path, clock: FakeClock
) -> None:
    (content_dir / "029.md").write_text(issue_file(29, 5))
    await service.loader.reload()
    clock.advance(minutes=1)
    await service.announcements.set(1, 10, None)
    posts = Posts()
    assert await service.announcements.run_due(posts) == 0
    (content_dir / "030.md").write_text(issue_file(30, 6))
    await service.loader.reload()
    assert await service.announcements.run_due(posts) == 1
    assert posts.posted == [(1, 30, None)]


async def test_an_older_issue_filled_in_is_not_news(
    service: ArchiveService, content_dir: Path
) -> None:
    await service.announcements.set(1, 10, None)
    (content_dir / "001.md").write_text(issue_file(1, 1).replace("2022", "2020"))
    report = await service.loader.reload()
    assert report.summaries[0].added == (1,)
    posts = Posts()
    assert await service.announcements.run_due(posts) == 0


async def test_a_channel_that_fails_disables_that_server_only(
    service: ArchiveService, content_dir: Path
) -> None:
    await service.announcements.set(1, 10, None)
    await service.announcements.set(2, 20, None)
    posts = Posts()
    posts.fail[1] = ChannelUnavailable("the channel was deleted")
    (content_dir / "029.md").write_text(issue_file(29, 5))
    (content_dir / "030.md").write_text(issue_file(30, 6))
    await service.loader.reload()
    assert await service.announcements.run_due(posts) == 2
    assert posts.posted == [(2, 29, None), (2, 30, None)]
    first = await service.announcements.get(1)
    assert first is not None and not first.enabled
    assert first.disabled_reason == "the channel was deleted"
    assert await service.announcements.announced(1) == []  # nothing was posted
    await service.announcements.set(1, 11, None)  # set again: enabled, ledger kept
    del posts.fail[1]
    assert await service.announcements.run_due(posts) == 2  # nothing lost
    assert posts.posted[-2:] == [(1, 29, None), (1, 30, None)]


async def test_a_claim_a_crash_left_is_sent_again_with_the_same_nonce(
    tmp_path: Path, service: ArchiveService, content_dir: Path, clock: FakeClock
) -> None:
    await service.announcements.set(1, 10, None)
    await service.announcements.set(2, 20, None)
    (content_dir / "029.md").write_text(issue_file(29, 5))
    await service.loader.reload()
    posts = Posts()
    posts.fail[1] = Crash()
    with pytest.raises(Crash):  # claimed, then the process died before Discord answered
        await service.announcements.run_due(posts)
    assert await service.announcements.announced(1) == []  # claimed is not announced
    source = service.newsletters[0]
    await service.close()
    reopened = await ArchiveService.open(tmp_path / "archive.sqlite3", source, clock)
    try:
        del posts.fail[1]
        assert await reopened.announcements.run_due(posts) == 2
        assert await reopened.announcements.run_due(posts) == 0
        assert sorted(posts.posted) == [(1, 29, None), (2, 29, None)]
        tries = [n for guild, _, n in posts.nonces if guild == 1]
        assert len(tries) == 2 and tries[0] == tries[1]  # Discord drops a second message
        others = {n for guild, _, n in posts.nonces if guild == 2}
        assert len(others) == 1 and not others & set(tries)
        assert len(str(tries[0])) <= 25  # Discord's limit
        assert await reopened.announcements.announced(1) == [(DEFAULT_NEWSLETTER_ID, 29)]
    finally:
        await reopened.close()


async def test_an_unconfirmed_post_is_sent_again_in_order_and_a_refused_one_is_not(
    service: ArchiveService, content_dir: Path
) -> None:
    await service.announcements.set(1, 10, None)
    await service.announcements.set(2, 20, None)
    (content_dir / "029.md").write_text(issue_file(29, 5))
    (content_dir / "030.md").write_text(issue_file(30, 6))
    await service.loader.reload()
    posts = Posts()
    posts.fail[1] = PostUncertain("ServerDisconnectedError: the connection dropped")
    posts.fail[2] = ValueError("Discord refused the embed")
    assert await service.announcements.run_due(posts) == 0
    assert [(g, n) for g, n, _ in posts.nonces] == [(1, 29), (2, 29), (2, 30)]  # 1 waits
    for guild in (1, 2):
        assert await service.announcements.announced(guild) == []
    posts.fail.clear()
    assert await service.announcements.run_due(posts) == 2
    assert posts.posted == [(1, 29, None), (1, 30, None)]  # 2's were refused: not retried
    assert posts.nonces[3][2] == posts.nonces[0][2]
    first = await service.announcements.get(1)
    assert first is not None and first.enabled
    assert await service.announcements.announced(1) == [
        (DEFAULT_NEWSLETTER_ID, 29),
        (DEFAULT_NEWSLETTER_ID, 30),
    ]


async def test_an_announcement_of_one_newsletter_skips_the_others(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    twir = tmp_path / "twir"
    shutil.copytree(TWIR, twir)
    settings = load_settings(write_two_newsletter_config(tmp_path, content_dir, twir))
    service, _ = await ArchiveService.from_settings(settings, clock=clock)
    try:
        await service.announcements.set(1, 10, None, "rust")
        await service.announcements.set(2, 20, None, "ml")
        (content_dir / "029.md").write_text(issue_file(29, 5))
        (twir / "2015-09-21-this-week-in-rust.md").write_text(
            "Title: This Week in Rust 97\nNumber: 97\n\n## News\n\n* [A post](https://a.example/post).\n"
        )
        await service.loader.reload()
        posts = Posts()
        assert await service.announcements.run_due(posts) == 2
        assert sorted(posts.posted) == [(1, 97, None), (2, 29, None)]
    finally:
        await service.close()


async def test_stop_forgets_the_announcement(service: ArchiveService) -> None:
    await service.announcements.set(1, 10, 5)
    assert await service.announcements.stop(1)
    assert await service.announcements.get(1) is None
    assert not await service.announcements.stop(1)


async def test_a_ledger_from_before_claims_had_states_counts_as_posted(
    tmp_path: Path, service: ArchiveService, clock: FakeClock
) -> None:
    """Release 0.1.0's database brought to schema 6 (the last before states) with an
    announcement and its ledger: every row is a post made, never sent again."""
    path = tmp_path / "six.sqlite3"
    shutil.copy(RELEASE_0_1, path)
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        for step in MIGRATIONS[1:6]:
            for statement in _statements(step):
                db.execute(statement)
        db.execute("PRAGMA user_version = 6")
        db.execute(
            "INSERT INTO announcements(guild_id, channel_id, role_id, newsletter, enabled,"
            " since, updated_at) VALUES (1, 10, NULL, NULL, 1, '2022-01-01', '2022-01-01')"
        )
        db.execute(
            "INSERT INTO new_issues(newsletter, issue, added_at) VALUES ('default', 28, '2022-06-01')"
        )
        db.execute(
            "INSERT INTO announced_issues(guild_id, newsletter, issue, channel_id, announced_at)"
            " VALUES (1, 'default', 28, 10, '2022-06-01')"
        )
    upgraded = await ArchiveService.open(path, service.newsletters[0], clock)
    try:
        await upgraded.loader.reload()
        assert await upgraded.meta.get("schema_version") == str(SCHEMA_VERSION)
        assert await upgraded.announcements.announced(1) == [(DEFAULT_NEWSLETTER_ID, 28)]
        posts = Posts()
        assert await upgraded.announcements.run_due(posts) == 0 and posts.nonces == []
        states = await upgraded.db.rows("SELECT DISTINCT state FROM posted_slots")
        assert [tuple(row) for row in states] == [("posted",)]  # 0.1.0's posted slot
    finally:
        await upgraded.close()
