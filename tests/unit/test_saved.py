"""Members' saved lists: order, what a reload keeps and removes, and the step-7 migration on
the real old databases."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.archive.records import IssueRecord, ResourceRecord
from bot.archive.saved import issue_key
from bot.archive.schema import MIGRATIONS, SCHEMA_VERSION, _statements
from bot.archive.service import ArchiveService
from tests.conftest import ROOT

OLD_DATABASES = [ROOT / "tests" / "data" / "release-0.1.0.sqlite3", ROOT / "tests" / "data" / "schema-2.sqlite3"]  # fmt: skip


async def test_a_list_is_per_member_newest_first_and_saving_again_moves_an_item_up(
    service: ArchiveService,
) -> None:
    issue = await service.issues.get(15)
    assert issue is not None
    first, second = issue.resources[0].key, issue.resources[1].key
    await service.saved.add(1, first)
    await service.saved.add(1, second)
    await service.saved.add(1, issue_key(issue.newsletter, 15))
    await service.saved.add(2, first)
    page = await service.saved.page(1, 0, 10)
    assert [s.key for s in page] == [f"{issue.newsletter}/15", second, first]
    assert isinstance(page[0].item, IssueRecord) and page[0].item.number == 15
    assert isinstance(page[1].item, ResourceRecord) and page[1].item.key == second
    await service.saved.add(1, first)
    assert [s.key for s in await service.saved.page(1, 0, 2)] == [first, f"{issue.newsletter}/15"]
    assert [s.key for s in await service.saved.page(1, 2, 2)] == [second]
    assert await service.saved.count(1) == 3
    assert await service.saved.remove(1, second) and not await service.saved.remove(1, second)
    assert await service.saved.clear(1) == 2
    assert await service.saved.count(1) == 0 and await service.saved.count(2) == 1


async def test_saved_items_survive_a_reload_and_a_removed_one_reads_as_gone(
    service: ArchiveService, content_dir: Path
) -> None:
    issue = await service.issues.get(28)
    assert issue is not None
    key = issue.resources[0].key
    await service.saved.add(1, key)
    await service.saved.add(1, issue_key(issue.newsletter, 28))
    (content_dir / "broken-on-purpose.md").write_text("nothing to see\n")
    await service.loader.reload()
    kept = await service.saved.page(1, 0, 10)
    assert [s.item is not None for s in kept] == [True, True]
    (content_dir / issue.source).unlink()
    await service.loader.reload()
    gone = await service.saved.page(1, 0, 10)
    assert [s.key for s in gone] == [f"{issue.newsletter}/28", key]
    assert [s.item for s in gone] == [None, None]
    assert await service.saved.find("nonsense") is None


def _at_step_6(old: Path, path: Path) -> None:
    """A real old database brought to step 6 (the schema before this one), with an
    announcement and a ledger row, as a bot of that version left them."""
    shutil.copy(old, path)
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for step in MIGRATIONS[version:6]:
            for statement in _statements(step):
                db.execute(statement)
        db.execute("PRAGMA user_version = 6")
        db.execute(
            "INSERT INTO announcements(guild_id, channel_id, role_id, newsletter, enabled,"
            " disabled_reason, since, updated_at) VALUES (42, 500, 321, NULL, 1, NULL,"
            " '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')"
        )
        db.execute(
            "INSERT INTO announced_issues VALUES (42, 'default', 27, 500, '2026-01-02T00:00:00+00:00')"
        )


@pytest.mark.parametrize("old", OLD_DATABASES, ids=["release-0.1.0", "schema-2"])
async def test_step_7_keeps_announcements_posting_as_messages_and_adds_saved_lists(
    tmp_path: Path, service: ArchiveService, old: Path
) -> None:
    path = tmp_path / "old.sqlite3"
    _at_step_6(old, path)
    upgraded = await ArchiveService.open(path, service.newsletters[0])
    try:
        assert await upgraded.meta.get("schema_version") == str(SCHEMA_VERSION)
        kept = await upgraded.announcements.get(42)
        assert kept is not None and (kept.channel_id, kept.role_id) == (500, 321)
        assert kept.mode == "channel" and kept.enabled
        assert await upgraded.announcements.announced(42) == [("default", 27)]
        await upgraded.announcements.set(42, 600, None, mode="forum")
        moved = await upgraded.announcements.get(42)
        assert moved is not None and (moved.channel_id, moved.mode) == (600, "forum")
        assert moved.since == kept.since  # set again: same start, same ledger
        await upgraded.loader.reload()
        (first, *_) = (await upgraded.issues.get(2) or pytest.fail("no #2")).resources
        await upgraded.saved.add(7, first.key)
        assert [s.item for s in await upgraded.saved.page(7, 0, 5)] == [first]
    finally:
        await upgraded.close()
    with closing(sqlite3.connect(path)) as raw:
        columns = [row[1] for row in raw.execute("PRAGMA table_info(saved)")]
    assert columns == ["id", "user_id", "key"]  # nothing about a member but their id
