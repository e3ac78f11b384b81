"""Loading content into SQLite: per-file loads, incremental reloads, atomic swaps, migrations."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.archive import loader as archive_loader
from bot.archive.content import ContentStore, ContentWrite
from bot.archive.db import Database
from bot.archive.rows import FileState, issue_content
from bot.archive.schema import SCHEMA_VERSION
from bot.archive.service import ArchiveService
from bot.config import Newsletter, load_settings
from bot.content import loader
from bot.content.assemble import Rules
from bot.content.models import Issue, Problem, Resource
from bot.errors import ContentError, DatabaseError, SchemaError
from tests.conftest import ROOT, FakeClock

NEW_ISSUE = "---\nnumber: 29\ndate: 2022-05\n---\n# Machine Learning Monthly May 2022\n\n## Brand new tool\n\nIt does things.\n"
RELEASE_0_1 = ROOT / "tests" / "data" / "release-0.1.0.sqlite3"


async def test_load_reports_counts_and_reads_back(service: ArchiveService) -> None:
    assert await service.issues.counts() == (5, 49)
    latest = await service.issues.latest()
    assert latest is not None and latest.number == 28 and latest.date == "2022-04"
    assert await service.issues.numbers() == [2, 7, 15, 23, 28]
    assert await service.issues.get(404) is None
    assert await service.meta.get("schema_version") == str(SCHEMA_VERSION)


async def test_reload_reports_what_changed(service: ArchiveService, content_dir: Path) -> None:
    (content_dir / "029.md").write_text(NEW_ISSUE)
    (content_dir / "004_3e1d68fb5b851ac9.txt").unlink()
    seed = content_dir / "000_d9c43b2f2c6f8a5c.txt"
    seed.write_text(seed.read_text().replace("Super-powered speech", "Super-powered speech tools"))
    (summary,) = (await service.loader.reload()).summaries
    assert (summary.added, summary.changed, summary.removed) == ((29,), (15,), (7,))
    assert (summary.issues, summary.resources) == (5, 49 - 6 + 1)
    again = await service.loader.reload()
    assert again.unchanged


async def test_a_reload_reads_only_the_files_that_changed(
    service: ArchiveService, content_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    original = loader.parse_one

    def counting(path: Path, rules: Rules, name: str) -> tuple[Issue | None, list[Problem]]:
        parsed.append(path.name)
        return original(path, rules, name)

    monkeypatch.setattr(loader, "parse_one", counting)
    seed = content_dir / "000_d9c43b2f2c6f8a5c.txt"
    os.utime(seed, ns=(seed.stat().st_atime_ns, seed.stat().st_mtime_ns + 10**9))
    touched = await service.loader.reload()  # same bytes, new mtime: hashed, not parsed
    assert touched.unchanged and parsed == []
    seed.write_text(seed.read_text().replace("Super-powered speech", "Super-powered speech tools"))
    assert (await service.loader.reload()).summaries[0].changed == (15,)
    assert parsed == [seed.name]


async def test_a_broken_file_is_skipped_and_the_others_served(
    service: ArchiveService, content_dir: Path
) -> None:
    (content_dir / "029.md").write_text(NEW_ISSUE)
    (content_dir / "broken.md").write_text("---\nnumber: [\n---\n")
    (summary,) = (await service.loader.reload()).summaries
    assert summary.added == (29,)
    assert [(p.source, p.line) for p in summary.problems if p.fatal] == [("broken.md", 2)]
    assert await service.issues.counts() == (6, 50)


async def test_a_file_that_breaks_keeps_its_previous_version(
    service: ArchiveService, content_dir: Path
) -> None:
    seed = content_dir / "000_d9c43b2f2c6f8a5c.txt"
    before = await service.issues.get(15)
    seed.write_text("---\nnumber: [\n---\n" + seed.read_text())
    (summary,) = (await service.loader.reload()).summaries
    assert summary.kept == (seed.name,) and summary.unchanged
    assert await service.issues.get(15) == before
    seed.unlink()
    assert (await service.loader.reload()).summaries[0].removed == (15,)


async def test_a_missing_folder_changes_nothing(service: ArchiveService, content_dir: Path) -> None:
    shutil.rmtree(content_dir)
    with pytest.raises(ContentError, match="content folder not found"):
        await service.loader.reload()
    assert await service.issues.counts() == (5, 49)


async def test_a_new_file_with_a_served_number_leaves_the_served_issue_served(
    service: ArchiveService, content_dir: Path
) -> None:
    """Even numbered by front matter, a new file does not displace an issue served already
    (a one-line stray would otherwise take a whole issue's place): both files are named."""
    (content_dir / "copy.md").write_text(NEW_ISSUE.replace("number: 29", "number: 28"))
    (summary,) = (await service.loader.reload()).summaries
    assert summary.changed == ()
    (problem,) = summary.problems
    assert problem.source == "copy.md" and "003_93599bb911c5852b.txt" in problem.message
    latest = await service.issues.latest()
    assert latest is not None and latest.source == "003_93599bb911c5852b.txt"
    (content_dir / "copy.md").unlink()
    back = await service.loader.reload()
    assert back.summaries[0].changed == () and not back.problems


async def test_an_error_midway_through_the_swap_rolls_back(
    service: ArchiveService, monkeypatch: pytest.MonkeyPatch, content_dir: Path
) -> None:
    (content_dir / "029.md").write_text(NEW_ISSUE)
    # Fault injection inside the load's transaction, after its rows are written: no public
    # seam sits between the writing and the commit.
    original = ContentStore._insert_issues

    async def fail_after_writing(*args: Any) -> None:
        await original(*args)
        raise RuntimeError("disk full")

    monkeypatch.setattr(ContentStore, "_insert_issues", staticmethod(fail_after_writing))
    with pytest.raises(RuntimeError):
        await service.loader.reload()
    assert await service.issues.counts() == (5, 49)
    monkeypatch.undo()
    assert (await service.loader.reload()).summaries[0].added == (29,)


async def test_readers_and_other_writers_see_old_or_new_content_never_a_mix(
    service: ArchiveService, monkeypatch: pytest.MonkeyPatch, content_dir: Path
) -> None:
    (content_dir / "029.md").write_text(NEW_ISSUE)
    for path in list(content_dir.glob("00[01]_*.txt")):
        path.unlink()
    halfway = asyncio.Event()
    proceed = asyncio.Event()
    # A pause inside the load's transaction (rows written, not committed): no public seam
    # sits there.
    original = ContentStore._insert_issues

    async def pause_inside_transaction(*args: Any) -> None:
        await original(*args)
        halfway.set()
        await proceed.wait()

    monkeypatch.setattr(ContentStore, "_insert_issues", staticmethod(pause_inside_transaction))
    reload = asyncio.create_task(service.loader.reload())
    await halfway.wait()
    # Rows are written but not committed: readers still see all of the old content, and
    # writes of user state wait for the load instead of committing it halfway.
    pick = asyncio.create_task(service.picks.pick("channel"))
    setting = asyncio.create_task(service.meta.set("x", "y"))
    await asyncio.sleep(0.05)
    assert not pick.done() and not setting.done()
    assert await service.issues.counts() == (5, 49)
    proceed.set()
    await reload
    await asyncio.gather(pick, setting)
    assert await service.issues.counts() == (4, 28)  # two seeds (9 + 13 resources) out, one in


async def test_user_state_survives_reloads(service: ArchiveService, content_dir: Path) -> None:
    first = await service.picks.pick("channel-1")
    assert first is not None
    (content_dir / "029.md").write_text(NEW_ISSUE)
    await service.loader.reload()
    picks = [await service.picks.pick("channel-1") for _ in range(48 - 1)]
    assert first.key not in {p.key for p in picks if p}


async def test_a_newer_schema_is_refused_and_nothing_stays_open(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaError, match="newer than this bot"):
        await Database.open(path)


async def test_a_file_that_is_not_a_database_is_named(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseError, match="not a usable SQLite database"):
        await Database.open(path)
    assert path.read_bytes().startswith(b"this is not sqlite")  # never deleted


async def test_release_0_1_database_upgrades_with_user_state_intact(
    tmp_path: Path, service: ArchiveService
) -> None:
    path = tmp_path / "old.sqlite3"
    shutil.copy(RELEASE_0_1, path)
    upgraded = await ArchiveService.open(path, service.newsletters[0])
    try:
        assert await upgraded.meta.get("schema_version") == str(SCHEMA_VERSION)
        weekly = await upgraded.schedules.get(42)
        assert weekly is not None and (weekly.channel_id, weekly.cron) == (500, "0 9 * * 1")
        assert weekly.timezone == "Europe/Paris" and weekly.enabled
        gone = await upgraded.schedules.get(43)
        assert gone is not None and not gone.enabled and "10003" in (gone.disabled_reason or "")
        assert await upgraded.schedules.posted_slots(42) == ["2026-10-26T08:00:00+00:00"]
        picked = await upgraded.picks.picked("500")
        assert len(picked) == 3 and all(key.startswith("default/") for key in picked)
        assert weekly.newsletter is None and gone.newsletter is None  # from every newsletter
        assert await upgraded.meta.get("command_sync:global") == "0" * 64
        (summary,) = (
            await upgraded.loader.reload()
        ).summaries  # the content tables were rebuilt: all is new
        assert summary.added == (2, 7, 15, 23, 28)
        history = set(await upgraded.picks.picked("500"))
        new_round = [await upgraded.picks.pick("500") for _ in range(37 - 3)]
        assert not history & {p.key for p in new_round if p}  # old picks still count
    finally:
        await upgraded.close()


async def test_a_file_that_parses_too_long_is_skipped_and_its_previous_version_kept(
    service: ArchiveService, content_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker processes parse many files; one that outruns the budget is skipped (its
    worker killed), the rest still load."""
    monkeypatch.setattr(archive_loader, "PROCESS_THRESHOLD", 1)
    monkeypatch.setattr(archive_loader, "FILE_BUDGET_SECONDS", 1e-9)
    seed = content_dir / "000_d9c43b2f2c6f8a5c.txt"
    seed.write_text(seed.read_text().replace("Super-powered speech", "Super-powered speech tools"))
    before = await service.issues.get(15)
    summary = await service.loader.reload()
    assert summary.kept == (seed.name,) and summary.unchanged
    (problem,) = summary.problems
    assert problem.source == seed.name and "took longer than" in problem.message
    assert await service.issues.get(15) == before


def test_many_files_parse_in_worker_processes(
    seeds_newsletter: Newsletter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive_loader, "PROCESS_THRESHOLD", 1)
    scan = archive_loader.scan_folder(seeds_newsletter, {})
    parsed = archive_loader.parse_files(scan.changed, seeds_newsletter)
    assert [p.state.name for p in parsed] == [path.name for path, _ in scan.changed]
    # Each file comes back as rows ready to write, built in the worker.
    assert all(p.content is not None and p.content.resources for p in parsed)
    assert all(p.content.issue.resources == [] for p in parsed if p.content)


def _issue_file(folder: Path, name: str, header: str, titles: list[str]) -> None:
    items = "".join(
        f"- [{title}](https://example.com/{name}/{i}): about it.\n"
        for i, title in enumerate(titles)
    )
    (folder / name).write_text(f"{header}\n\n## Links\n\n{items}", encoding="utf-8")


@pytest.mark.parametrize("in_workers", [True, False])
async def test_a_first_load_written_as_parsed_keeps_only_the_winner_of_a_number(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch, in_workers: bool
) -> None:
    """A first load writes each issue as it is parsed; a number two files claim is settled
    afterwards, in the same transaction: the loser's rows (and index entries) are gone."""
    if in_workers:
        monkeypatch.setattr(archive_loader, "PROCESS_THRESHOLD", 1)
        monkeypatch.setattr(archive_loader, "FILES_PER_TASK", 1)  # the two claimants arrive apart
    folder = tmp_path / "content"
    folder.mkdir()
    # a.md is parsed (and written) first, but b.md states its number in metadata: b wins.
    _issue_file(folder, "a.md", "# Issue 40", ["Same title", "Only in a"])
    _issue_file(folder, "b.md", "---\nnumber: 40\n---\n# Issue 40", ["Same title", "Only in b"])
    # c.md wins 41 (metadata) and is written first; d.md, parsed later, loses.
    _issue_file(folder, "c.md", "---\nnumber: 41\n---\n# Issue 41", ["Kept title"])
    _issue_file(folder, "d.md", "# Issue 41", ["Kept title", "Only in d"])
    _issue_file(folder, "e.md", "# Issue 42", ["Plain one"])
    service = await ArchiveService.open(
        tmp_path / "db.sqlite3", settings.served_newsletter(folder=folder)
    )
    try:
        report = await service.loader.reload()
        assert sorted(p.source for p in report.problems) == ["a.md", "d.md"]
        assert await service.issues.counts() == (3, 4)
        forty = await service.issues.get(40)
        assert forty is not None and [r.title for r in forty.resources] == [
            "Same title",
            "Only in b",
        ]
        assert [h.resource.title for h in await service.search.find("only")] == ["Only in b"]
        forty_one = await service.issues.get(41)
        assert forty_one is not None and [r.title for r in forty_one.resources] == ["Kept title"]
    finally:
        await service.close()
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:  # the index matches the rows
        db.execute("INSERT INTO resources_fts(resources_fts) VALUES ('integrity-check')")


@pytest.mark.parametrize("failing", ["early", "finish"])
async def test_a_first_load_that_fails_midway_keeps_nothing(
    tmp_path: Path,
    settings: Any,
    content_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
) -> None:
    """A first load writes issues as they are parsed; a failure in that writing (which stops
    the parsing) or after it leaves nothing of the load."""
    monkeypatch.setattr(archive_loader, "PROCESS_THRESHOLD", 1)
    monkeypatch.setattr(archive_loader, "FILES_PER_TASK", 1)
    written: list[int] = []
    # Fault injection in the first load's writing, run by run: no public seam sits there.
    original = ContentStore._insert_resources

    async def writing(db: Any, contents: list[Any]) -> None:
        if failing == "early":
            raise RuntimeError("disk full")
        written.extend(c.issue.number for c in contents)
        await original(db, contents)

    async def fail(*args: Any) -> None:
        raise RuntimeError("disk full")

    service = await ArchiveService.open(
        tmp_path / "db.sqlite3", settings.served_newsletter(folder=content_dir)
    )
    try:
        with monkeypatch.context() as patch:
            patch.setattr(ContentStore, "_insert_resources", staticmethod(writing))
            if failing == "finish":
                patch.setattr(ContentWrite, "finish", fail)
            with pytest.raises(RuntimeError, match="disk full"):  # the write's own error
                await service.loader.reload()
        if failing == "finish":
            assert sorted(written) == [2, 7, 15, 23, 28]  # written as parsed, then rolled back
        assert await service.issues.counts() == (0, 0)
        assert (await service.loader.reload()).summaries[0].added == (2, 7, 15, 23, 28)
        assert await service.issues.counts() == (5, 49)
    finally:
        await service.close()


async def test_a_write_sqlite_refuses_is_a_database_error_and_keeps_nothing(
    service: ArchiveService, tmp_path: Path
) -> None:
    store = service.db
    with pytest.raises(DatabaseError, match="refused a write"):
        async with store.transaction() as db:
            await db.execute("INSERT INTO meta(key, value) VALUES ('half', 'written')")
            await db.execute("INSERT INTO no_such_table VALUES (1)")
    assert await service.meta.get("half") is None
    await service.meta.set("after", "works")  # the write path is free again
    assert await service.meta.get("after") == "works"


def test_a_resources_links_are_stored_as_a_json_list() -> None:
    links = ('https://e.org/a"b\\c', "https://例え.jp/パス", "https://e.org/\x07\u2028")
    resource = Resource("Title", "Text", links, None)
    issue = Issue(7, "Issue 7", "7.md", 2024, 1, resources=[resource])
    row = issue_content("ml", FileState("7.md", 1, 1, "x"), issue).resources[0]
    assert row[6] == json.dumps(list(links)) and tuple(json.loads(row[6])) == links


def _issues_in_the_file_alone(database: Path, scratch: Path) -> int | None:
    """Issues in the database file without its write-ahead log; None while it is being
    written."""
    shutil.copyfile(database, scratch)
    try:
        with sqlite3.connect(scratch) as db:
            return int(db.execute("SELECT count(*) FROM issues").fetchone()[0])
    except sqlite3.Error:
        return None
    finally:
        scratch.unlink()


async def test_a_load_reaches_the_database_file_itself_in_the_background(
    tmp_path: Path, seeds_newsletter: Newsletter
) -> None:
    # A load's commit leaves its log uncopied (the copy would lengthen the load); the copy
    # follows in the background, so the file holds the content before the bot closes it.
    database = tmp_path / "archive.sqlite3"
    service = await ArchiveService.open(database, seeds_newsletter)
    try:
        await service.loader.reload()
        found = None
        for _ in range(500):
            if (found := _issues_in_the_file_alone(database, tmp_path / "copy.sqlite3")) == 5:
                break
            await asyncio.sleep(0.01)
        assert found == 5
        assert await service.issues.counts() == (5, 49)
    finally:
        await service.close()


async def test_a_reload_that_finds_nothing_changed_does_not_wait_for_the_writer(
    service: ArchiveService,
) -> None:
    async with service.db.transaction():  # a long write (a pick, a log's copy) under way
        report = await asyncio.wait_for(service.loader.reload(), timeout=5)
    assert report.unchanged and report.summaries[0].issues == 5


@pytest.mark.parametrize("checkpoint_later", [False, True])
async def test_a_write_cancelled_as_it_begins_leaves_nothing_open(
    tmp_path: Path, checkpoint_later: bool
) -> None:
    store = await Database.open(tmp_path / "archive.sqlite3")
    try:

        async def write() -> None:
            async with store.transaction(checkpoint_later=checkpoint_later):
                await asyncio.sleep(10)

        task = asyncio.create_task(write())
        # Cancelled as soon as BEGIN has run, while ``transaction`` still awaits it: only the
        # connection itself tells that moment (fault injection at an exact point).
        while not store._writer.in_transaction:
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with store.transaction() as db:  # the next write begins and commits
            await db.execute("INSERT INTO meta(key, value) VALUES ('after', 'yes')")
        assert await store.value("SELECT value FROM meta WHERE key = 'after'") == "yes"
        # A content write's commit leaves the log long; every other commit copies it as usual.
        async with store.transaction() as db:
            pages = await db.execute_fetchall("PRAGMA wal_autocheckpoint")
        assert [tuple(row) for row in pages] == [(1000,)]
    finally:
        await store.close()


async def test_closing_right_after_a_load_leaves_the_content_in_the_file(
    tmp_path: Path, seeds_newsletter: Newsletter
) -> None:
    # Closed while the log's copy may be queued, under way or done: each time the last
    # connection's close copies the log and removes it (a statement left open would stop it).
    for attempt in range(12):
        database = tmp_path / f"archive-{attempt}.sqlite3"
        service = await ArchiveService.open(database, seeds_newsletter)
        await service.loader.reload()
        await asyncio.sleep(0.0005 * (attempt % 4))
        await service.close()
        assert not database.with_name(f"{database.name}-wal").exists()
        assert _issues_in_the_file_alone(database, tmp_path / "copy.sqlite3") == 5


def test_the_first_load_leaves_what_is_alive_out_of_later_collections(tmp_path: Path) -> None:
    # In a process of its own: the collector's state is the whole process's.
    script = (
        "import asyncio, gc, sys\n"
        "from pathlib import Path\n"
        "from bot.archive.service import ArchiveService\n"
        "from bot.config import load_settings\n"
        "from bot.config import Newsletter\n"
        "async def main():\n"
        "    source = load_settings().served_newsletter(folder=Path(sys.argv[1]))\n"
        "    service = await ArchiveService.open(Path(sys.argv[2]), source)\n"
        "    before = gc.get_freeze_count()\n"
        "    await service.loader.reload()\n"
        "    after = gc.get_freeze_count()\n"
        "    await service.loader.reload()\n"
        "    print(before, after > 1000, gc.get_freeze_count() <= after, gc.isenabled())\n"
        "    await service.close()\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(ROOT / "seeds"), str(tmp_path / "a.sqlite3")],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    assert done.stdout.split() == ["0", "True", "True", "True"]


async def test_a_full_disk_is_reported_as_a_full_disk(service: ArchiveService) -> None:
    async with service.db.transaction() as db:  # the writer may not grow the file any more
        await db.execute("PRAGMA max_page_count = 1")
    with pytest.raises(DatabaseError, match="the disk is full: free some space"):
        async with service.db.transaction() as db:
            await db.executemany(
                "INSERT INTO meta(key, value) VALUES (?, ?)",
                [(f"k{n}", "x" * 4000) for n in range(50)],
            )
    assert await service.meta.get("k0") is None


def test_links_and_fifos_in_the_content_folder_are_reported_not_read(
    tmp_path: Path, seeds_newsletter: Newsletter
) -> None:
    folder = tmp_path / "content"
    shutil.copytree(seeds_newsletter.folder, folder)
    outside = tmp_path / "secret.txt"
    outside.write_text("Issue #99\n\nA file from elsewhere on the host.\n")
    (folder / "099.txt").symlink_to(outside)
    os.mkfifo(folder / "100.txt")  # reading it would wait forever
    result = archive_loader.dry_run(replace(seeds_newsletter, folder=folder))
    assert len(result.issues) == 5
    passed = {p.source: p.message for p in result.problems}
    assert "symbolic link" in passed["099.txt"] and "FIFO" in passed["100.txt"]
    assert not any(p.fatal for p in result.problems)


async def test_a_changed_parser_rule_reaches_what_is_served_and_keeps_user_state(
    tmp_path: Path, seeds_newsletter: Newsletter, clock: FakeClock
) -> None:
    """Files are read again when the reading changes, not only when their bytes do: a new
    rule in the config (or a new parser) applies to the archive at the next reload."""
    path = tmp_path / "archive.sqlite3"
    first = await ArchiveService.open(path, seeds_newsletter, clock)
    try:
        await first.loader.reload()
        schedule_id, _ = await first.schedules.add(42, 500, "0 9 * * 1", "UTC")
        hits = await first.search.find("roadmap", limit=1)
        assert hits and "Roadmap" in hits[0].resource.title
        title = hits[0].resource.title
        assert (await first.loader.reload()).unchanged  # same reading: nothing read again
    finally:
        await first.close()
    parser = load_settings().entries[0].parser  # the bundled newsletter's rules, plus one
    boilerplate = (*parser.boilerplate, re.escape(title))
    stricter = replace(
        seeds_newsletter,
        rules=Rules.compile(
            parser.section_headings, boilerplate, parser.end_markers, parser.caption_markers
        ),
    )
    again = await ArchiveService.open(path, stricter, clock)
    try:
        report = await again.loader.reload()
        assert not report.unchanged
        found = await again.search.find("roadmap", limit=5)
        assert all(hit.resource.title != title for hit in found)
        assert [s.id for s in await again.schedules.all(42)] == [schedule_id]
        assert (await again.loader.reload()).unchanged  # read once, then as before
    finally:
        await again.close()


def _issue_with(number: int, *items: tuple[str, str]) -> str:
    lines = "\n".join(f"- [{title}]({url}) — about {title.lower()}." for title, url in items)
    return f"# Digest #{number}\n\n## Links\n\n{lines}\n"


async def test_a_file_read_on_its_own_drops_the_chrome_a_whole_read_found(
    tmp_path: Path, seeds_newsletter: Newsletter, clock: FakeClock
) -> None:
    """A new issue has nothing to recur across: the chrome the whole folder showed (kept with
    the archive) is dropped from it too, as ``check`` drops it reading the folder whole."""
    folder = tmp_path / "digest"
    folder.mkdir()
    subscribe = ("Subscribe to the digest", "https://example.org/subscribe")
    for number in range(1, 5):
        (folder / f"issue-{number}.md").write_text(
            _issue_with(number, (f"Story {number}", f"https://example.org/{number}"), subscribe)
        )
    newsletter = replace(seeds_newsletter, folder=folder, name="Digest", rules=Rules.compile())
    service = await ArchiveService.open(tmp_path / "archive.sqlite3", newsletter, clock)
    try:
        await service.loader.reload()
        first = await service.issues.get(1)
        assert first is not None and [r.title for r in first.resources] == ["Story 1"]
        (folder / "issue-5.md").write_text(
            _issue_with(5, ("Story 5", "https://example.org/5"), subscribe)
        )
        (summary,) = (await service.loader.reload()).summaries
        assert summary.added == (5,)
        added = await service.issues.get(5)
        assert added is not None and [r.title for r in added.resources] == ["Story 5"]
        whole = archive_loader.dry_run(newsletter)  # check agrees
        assert [r.title for r in whole.issues[-1].resources] == ["Story 5"]
    finally:
        await service.close()
