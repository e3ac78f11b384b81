"""Loading content into SQLite: swaps are atomic, failures keep the old content."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.archive.schema import SCHEMA_VERSION, ensure_schema
from bot.archive.service import ArchiveService
from bot.archive.store import Archive
from bot.errors import ContentError, SchemaError

NEW_ISSUE = "---\nnumber: 29\ndate: 2022-05\n---\n# Machine Learning Monthly May 2022\n\n## Brand new tool\n\nIt does things.\n"


async def test_load_reports_counts_and_reads_back(service: ArchiveService) -> None:
    assert await service.archive.counts() == (5, 49)
    latest = await service.archive.latest_issue()
    assert latest is not None and latest.number == 28 and latest.date == "2022-04"
    assert [n for n, _, _ in await service.archive.issue_numbers()] == [28, 23, 15, 7, 2]
    assert await service.archive.issue(404) is None
    assert await service.archive.meta("schema_version") == str(SCHEMA_VERSION)


async def test_reload_reports_what_changed(service: ArchiveService, content_dir: Path) -> None:
    (content_dir / "029.md").write_text(NEW_ISSUE)
    (content_dir / "004_3e1d68fb5b851ac9.txt").unlink()
    seed = content_dir / "000_d9c43b2f2c6f8a5c.txt"
    seed.write_text(seed.read_text().replace("Super-powered speech", "Super-powered speech tools"))
    summary = await service.reload()
    assert (summary.added, summary.changed, summary.removed) == ((29,), (15,), (7,))
    assert (summary.issues, summary.resources) == (5, 49 - 6 + 1)
    again = await service.reload()
    assert again.unchanged


async def test_failed_reload_keeps_previous_content(
    service: ArchiveService, content_dir: Path
) -> None:
    before = await service.archive.latest_issue()
    (content_dir / "029.md").write_text(NEW_ISSUE)
    (content_dir / "broken.md").write_text("---\nnumber: [\n---\n")
    with pytest.raises(ContentError) as caught:
        await service.reload()
    assert [(p.source, p.line) for p in caught.value.problems] == [("broken.md", 2)]
    assert await service.archive.latest_issue() == before
    assert await service.archive.counts() == (5, 49)


async def test_an_error_midway_through_the_swap_rolls_back(
    service: ArchiveService, monkeypatch: pytest.MonkeyPatch, content_dir: Path
) -> None:
    (content_dir / "029.md").write_text(NEW_ISSUE)
    original = Archive._write_content

    async def fail_after_writing(self: Archive, *args: Any) -> None:
        await original(self, *args)
        raise RuntimeError("disk full")

    monkeypatch.setattr(Archive, "_write_content", fail_after_writing)
    with pytest.raises(RuntimeError):
        await service.reload()
    assert await service.archive.counts() == (5, 49)
    monkeypatch.undo()
    assert (await service.reload()).added == (29,)


async def test_readers_see_old_or_new_content_never_a_mix(
    service: ArchiveService, monkeypatch: pytest.MonkeyPatch, content_dir: Path
) -> None:
    (content_dir / "029.md").write_text(NEW_ISSUE)
    halfway = asyncio.Event()
    proceed = asyncio.Event()
    original = Archive._write_content

    async def pause_inside_transaction(self: Archive, *args: Any) -> None:
        await original(self, *args)
        halfway.set()
        await proceed.wait()

    monkeypatch.setattr(Archive, "_write_content", pause_inside_transaction)
    reload = asyncio.create_task(service.reload())
    await halfway.wait()
    # The new rows are written but not committed: readers still see all of the old content.
    assert await service.archive.counts() == (5, 49)
    latest = await service.archive.latest_issue()
    assert latest is not None and latest.number == 28
    proceed.set()
    await reload
    assert await service.archive.counts() == (6, 50)


async def test_user_state_survives_reloads(service: ArchiveService) -> None:
    picked = await service.pick("channel-1")
    assert picked is not None
    await service.reload()
    rows = await service.archive.fetchall("SELECT resource_key FROM pick_history")
    assert rows == [(picked.key,)]


async def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    archive = await Archive.open(tmp_path / "db.sqlite3")
    await archive.write(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaError, match="newer than this bot"):
        await ensure_schema(archive.writer)
    await archive.close()
