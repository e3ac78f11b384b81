"""Announcements of new issues: the baseline, the ledger, restarts, and channels that fail."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.archive.records import AnnouncementRecord, IssueRecord
from bot.archive.service import ArchiveService
from bot.config import load_settings
from bot.content.models import DEFAULT_NEWSLETTER_ID
from bot.errors import ChannelUnavailable
from tests.conftest import TWIR, FakeClock, write_two_newsletter_config


def issue_file(number: int, month: int) -> str:
    return (
        f"---\nnumber: {number}\ndate: 2022-{month:02d}\n---\n"
        f"# Machine Learning Monthly issue {number}\n\n## A tool\n\nIt does things.\n"
    )


class Posts:
    """An announcer that records what it was asked to post, or fails as told."""

    def __init__(self) -> None:
        self.posted: list[tuple[int, int, int | None]] = []
        self.fail: dict[int, Exception] = {}

    async def __call__(self, announcement: AnnouncementRecord, issue: IssueRecord) -> None:
        if announcement.guild_id in self.fail:
            raise self.fail[announcement.guild_id]
        self.posted.append((announcement.guild_id, issue.number, announcement.role_id))


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
    assert await service.announcements.announced(1) == [
        (DEFAULT_NEWSLETTER_ID, 29)
    ]  # claimed, not retried
    await service.announcements.set(1, 11, None)  # set again: enabled, ledger kept
    del posts.fail[1]
    assert await service.announcements.run_due(posts) == 1
    assert posts.posted[-1] == (1, 30, None)


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
