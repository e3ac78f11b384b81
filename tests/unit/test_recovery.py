"""``db check`` and ``db recover`` on databases damaged on purpose (pages overwritten)."""

from __future__ import annotations

import hashlib
import random
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from bot.archive.db import DatabaseLock
from bot.archive.recovery import check_database, recover_database
from bot.archive.schema import SCHEMA_VERSION
from bot.archive.service import ArchiveService
from bot.cli import main
from bot.config import load_settings
from bot.errors import DatabaseError, SchemaError
from bot.heartbeat import heartbeat_path, write_heartbeat
from tests.conftest import ROOT, FakeClock, write_config

SCHEDULES, PICKS, SLOTS, ANNOUNCED, FEED_ENTRIES = 40, 3000, 200, 30, 12


async def _archive(path: Path, content_dir: Path) -> None:
    """A database as the bot leaves it (content loaded), with plenty of user state."""
    settings = load_settings(write_config(path.parent, content_dir))
    service = await ArchiveService.open(path, settings.served_newsletter(folder=content_dir))
    await service.loader.reload()
    await service.close()
    with closing(sqlite3.connect(path)) as db, db:
        db.executemany(
            "INSERT INTO schedules(guild_id, channel_id, cron, timezone, next_run_at, updated_at)"
            " VALUES (?, ?, '0 9 * * 1', 'Europe/Paris', '2026-01-12T08:00:00+00:00', 'then')",
            [(guild, guild * 10) for guild in range(SCHEDULES)],
        )
        db.executemany(
            "INSERT INTO pick_history(scope, resource_key, picked_at) VALUES (?, ?, ?)",
            [(f"channel-{n % 7}", f"key-{n:06d}", f"2026-01-01T{n:06d}") for n in range(PICKS)],
        )
        db.executemany(
            "INSERT INTO posted_slots(guild_id, slot, channel_id, posted_at) VALUES (?, ?, 1, 'x')",
            [(n % SCHEDULES, f"slot-{n:04d}") for n in range(SLOTS)],
        )
        db.executemany(
            "INSERT INTO announcements(guild_id, channel_id, role_id, since, updated_at)"
            " VALUES (?, ?, 7, '2026-01-01T00:00:00+00:00', 'then')",
            [(guild, guild * 10) for guild in range(3)],
        )
        db.executemany(
            "INSERT INTO announced_issues(guild_id, newsletter, issue, channel_id, announced_at)"
            " VALUES (?, 'default', ?, 1, 'x')",
            [(n % 3, n) for n in range(ANNOUNCED)],
        )
        db.execute(
            "INSERT INTO feeds(newsletter, url, etag, failures) VALUES"
            " ('default', 'https://example.org/feed.xml', '\"v1\"', 0)"
        )
        db.executemany(
            "INSERT INTO feed_entries(newsletter, url, entry_id, seen_at)"
            " VALUES ('default', 'https://example.org/feed.xml', ?, 'x')",
            [(f"entry-{n}",) for n in range(FEED_ENTRIES)],
        )
        db.execute(
            "INSERT INTO new_issues(newsletter, issue, added_at) VALUES ('default', 28, 'x')"
        )
        db.executemany(
            "INSERT INTO saved(user_id, key) VALUES (?, ?)",
            [(7, "default/2-a"), (8, "default/2-a")],
        )
        db.execute("INSERT INTO meta(key, value) VALUES ('command_hash', 'abc')")
    # Closed: the last connection checkpoints the WAL into the file, where the damage goes.


def _pages(path: Path, table: str) -> list[int]:
    """The leaf pages of one table (``dbstat``: the tests' SQLite has it)."""
    with closing(sqlite3.connect(path)) as db:
        return [
            row[0]
            for row in db.execute(
                "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno",
                (table,),
            )
        ]


def _damage(path: Path, pages: list[int]) -> None:
    """Overwrite whole pages with noise, as a failing disk would."""
    size = 4096
    noise = random.Random(12)
    with path.open("r+b") as file:
        for page in pages:
            file.seek((page - 1) * size)
            file.write(bytes(noise.randrange(256) for _ in range(size)))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
async def archive(tmp_path: Path, content_dir: Path) -> Path:
    path = tmp_path / "bot.sqlite3"
    await _archive(path, content_dir)
    return path


def test_a_healthy_database_is_reported_with_its_counts(archive: Path) -> None:
    for quick in (False, True):
        report = check_database(archive, quick=quick)
        assert report.healthy and report.problems == ["ok"]
        assert report.schema_version == SCHEMA_VERSION
        assert report.counts == {
            "issues": 5,
            "resources": 49,
            "schedules": SCHEDULES,
            "pick_history": PICKS,
            "posted_slots": SLOTS,
        }


async def test_damaged_content_pages_lose_no_user_state(
    archive: Path, content_dir: Path, tmp_path: Path
) -> None:
    resources = _pages(archive, "resources")
    _damage(archive, resources[len(resources) // 2 : len(resources) // 2 + 2])
    damaged = _sha(archive)
    assert not check_database(archive).healthy

    recovery = recover_database(archive, FakeClock())
    assert {t.table: (t.saved, t.complete) for t in recovery.tables} == {
        "schedules": (SCHEDULES, True),
        "pick_history": (PICKS, True),
        "posted_slots": (SLOTS, True),
        "announcements": (3, True),
        "announced_issues": (ANNOUNCED, True),
        "new_issues": (1, True),  # an announcement still to post stays queued
        "feeds": (1, True),  # the feed's validators: no refetch of what was read
        "feed_entries": (FEED_ENTRIES, True),  # entries seen: none republished
        "saved": (2, True),  # what members saved
        "meta": (2, True),  # the sync hash and when content was loaded; not the schema step
    }
    assert recovery.kept_as == tmp_path / "bot.sqlite3.damaged-20260105-080000"
    assert _sha(recovery.kept_as) == damaged  # kept aside as it was, never deleted
    report = check_database(archive)
    assert report.healthy and report.counts["issues"] == 0  # content comes back from the files

    settings = load_settings(write_config(tmp_path, content_dir))
    service, summary = await ArchiveService.from_settings(settings, database=archive)
    try:
        assert (summary.issues, summary.resources) == (5, 49)
        schedule = await service.schedules.get(3)
        assert schedule is not None and schedule.channel_id == 30
        assert await service.meta.get("command_hash") == "abc"
        announcement = await service.announcements.get(2)
        assert announcement is not None and announcement.channel_id == 20
        assert len(await service.announcements.announced(2)) == ANNOUNCED // 3
    finally:
        await service.close()


def _cells(path: Path, pages: list[int]) -> int:
    """How many rows the given leaf pages hold."""
    with closing(sqlite3.connect(path)) as db:
        wanted = ",".join(str(p) for p in pages)
        return int(
            db.execute(f"SELECT sum(ncell) FROM dbstat WHERE pageno IN ({wanted})").fetchone()[0]
        )


@pytest.mark.parametrize(
    "which",
    [
        lambda leaves: leaves[len(leaves) // 2 : len(leaves) // 2 + 2],  # two in the middle
        lambda leaves: [leaves[0], leaves[-1]],  # the first and the last
        lambda leaves: [leaves[3], leaves[4], leaves[-5]],  # two places
    ],
    ids=["middle", "ends", "two-places"],
)
def test_damaged_pick_history_pages_save_the_rest(
    archive: Path, which: Callable[[list[int]], list[int]]
) -> None:
    leaves = _pages(archive, "pick_history")
    assert len(leaves) > 10
    damaged = which(leaves)
    lost = _cells(archive, damaged)
    _damage(archive, damaged)
    report = check_database(archive)
    assert not report.healthy and report.problems != ["ok"]

    recovery = recover_database(archive, FakeClock())
    saved = {t.table: (t.saved, t.complete) for t in recovery.tables}
    assert saved["schedules"] == (SCHEDULES, True) and saved["posted_slots"] == (SLOTS, True)
    assert saved["pick_history"] == (PICKS - lost, False)  # every row of every other page
    with closing(sqlite3.connect(archive)) as db:
        keys = [row[0] for row in db.execute("SELECT resource_key FROM pick_history")]
    assert set(keys) <= {f"key-{n:06d}" for n in range(PICKS)}
    assert check_database(archive).healthy


def test_a_destroyed_header_is_damaged_and_still_kept(archive: Path) -> None:
    _damage(archive, [1])
    damaged = _sha(archive)
    report = check_database(archive)
    assert not report.healthy and report.schema_version is None
    recovery = recover_database(archive, FakeClock())
    assert all(t.saved == 0 and not t.complete for t in recovery.tables)
    assert _sha(recovery.kept_as) == damaged and check_database(archive).healthy


def test_a_newer_database_is_not_recovered(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with closing(sqlite3.connect(path)) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = _sha(path)
    report = check_database(path)
    assert report.newer and not report.healthy
    with pytest.raises(SchemaError, match="newer than this bot"):
        recover_database(path)
    assert _sha(path) == before and not list(tmp_path.glob("*.damaged-*"))


def _run(config: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``python -m bot db …`` in a process of its own: for what only another process shows
    (the bot's lock, its write-ahead log)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "db", *argv, "--config", str(config)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def _console(
    capsys: pytest.CaptureFixture[str], config: Path, *argv: str
) -> subprocess.CompletedProcess[str]:
    """The console's ``main`` in this process: its exit code and all it printed. The ``db``
    commands log nothing, so this is all a process of their own would write."""
    capsys.readouterr()
    code = main([*argv, "--config", str(config)])
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(argv, code, out, err)


def test_the_console_commands_exit_codes_and_lines(
    archive: Path, content_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, content_dir)  # database.path is tmp_path/bot.sqlite3

    def db(*argv: str) -> subprocess.CompletedProcess[str]:
        return _console(capsys, config, "db", *argv)

    healthy = db("check")
    assert healthy.returncode == 0 and healthy.stderr == ""
    assert healthy.stdout == (
        f"{archive}: healthy (integrity_check: ok, schema version {SCHEMA_VERSION}): 5 issues, "
        f"49 resources, {SCHEDULES} schedules, {PICKS} pick history entries, {SLOTS} posted slots\n"
    )
    picks = _pages(archive, "pick_history")
    _damage(archive, picks[len(picks) // 2 : len(picks) // 2 + 1])
    damaged = db("check", "--quick")
    assert damaged.returncode == 3 and damaged.stdout == ""
    assert damaged.stderr.count("\n") == 1 and "Traceback" not in damaged.stderr
    assert damaged.stderr.startswith(f"{archive}: damaged (quick_check: ")
    assert damaged.stderr.endswith(
        "stop the bot and run python -m bot db recover (it keeps this file aside and never "
        "deletes it)\n"
    )
    recovered = db("recover")
    assert recovered.returncode == 0 and recovered.stdout.count("\n") == 1
    assert recovered.stdout.startswith(
        f"{archive}: recovered into a new file: saved {SCHEDULES} schedules, "
    )
    assert "pick history entries (some unreadable)" in recovered.stdout
    assert f"kept as {archive}.damaged-" in recovered.stdout
    assert db("check").returncode == 0
    untouched = _sha(archive)
    healthy_now = db("recover")  # a healthy file is left alone without --force
    assert (
        healthy_now.returncode == 1 and "checks healthy, so nothing was done" in healthy_now.stderr
    )
    assert _sha(archive) == untouched
    assert db("recover", "--force").returncode == 0
    archive.unlink()
    missing = db("check")
    assert missing.returncode == 1 and missing.stderr == (
        f"{archive}: no database there yet (the bot creates it at its first start)\n"
    )


def test_damage_found_after_start_is_one_line_naming_db_recover(
    archive: Path, content_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    resources = _pages(archive, "resources")
    _damage(archive, resources[len(resources) // 2 : len(resources) // 2 + 2])
    config = write_config(tmp_path, content_dir)
    done = _console(capsys, config, "search", "machine learning")
    assert done.returncode == 3 and "Traceback" not in done.stderr
    assert done.stderr == (
        f"{archive}: not a usable SQLite database (database disk image is malformed): run "
        "python -m bot db recover (it saves the schedules and pick history it can read into a "
        "new file and keeps this one aside; content is rebuilt from the files)\n"
    )


def test_recover_waits_for_the_bot_to_stop(
    archive: Path, content_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, content_dir)
    beat = heartbeat_path(archive)
    write_heartbeat(beat, guilds=1, latency_ms=40)
    try:
        refused = _console(capsys, config, "db", "recover")
    finally:
        beat.unlink()
    assert refused.returncode == 1 and refused.stderr == (
        f"{archive}: the bot is running on this database: stop it, then run db recover again\n"
    )
    assert not list(tmp_path.glob("*.damaged-*"))


def test_recover_and_restore_wait_for_a_bot_holding_the_lock(
    archive: Path, content_dir: Path, tmp_path: Path
) -> None:
    """The running bot holds a lock beside the database (not only the heartbeat: at start, or
    while Discord is away, there is no heartbeat)."""
    config = write_config(tmp_path, content_dir)
    copy = tmp_path / "copy.sqlite3"
    assert _run(config, "backup", str(copy)).returncode == 0
    lock = DatabaseLock(archive)
    lock.acquire()
    try:
        before = _sha(archive)
        for command in (["recover", "--force"], ["restore", str(copy)]):
            refused = _run(config, *command)
            assert refused.returncode == 1 and refused.stderr == (
                f"{archive}: the bot is running on this database: stop it, then run "
                f"db {command[0]} again\n"
            )
        assert _sha(archive) == before
        with pytest.raises(DatabaseError, match="another bot process is using this database"):
            DatabaseLock(archive).acquire()
    finally:
        lock.release()


async def test_a_backup_taken_while_the_bot_writes_holds_everything_and_restores(
    archive: Path, content_dir: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path, content_dir)
    settings = load_settings(config)
    service = await ArchiveService.open(archive, settings.served_newsletter(folder=content_dir))
    try:
        # Written through the open service and left in its write-ahead log: a copy of the
        # database file alone would miss it; the backup does not.
        await service.meta.set("after the checkpoint", "kept")
        copy = tmp_path / "copy.sqlite3"
        taken = _run(config, "backup", str(copy))
        assert taken.returncode == 0 and taken.stdout.startswith(
            f"{copy}: backup written and checked healthy: 5 issues, 49 resources"
        )
        assert _run(config, "backup", str(copy)).returncode == 1  # never over a file
    finally:
        await service.close()
    with closing(sqlite3.connect(copy)) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'after the checkpoint'").fetchone()
    archive.unlink()
    restored = _run(config, "restore", str(copy))
    assert restored.returncode == 0 and restored.stdout == (
        f"{archive}: restored from {copy}; start the bot to serve it\n"
    )
    report = check_database(archive)
    assert report.healthy and report.counts["schedules"] == SCHEDULES
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"not a database")
    refused = _run(config, "restore", str(damaged))
    assert refused.returncode == 3 and "nothing was changed" in refused.stderr
    assert "Traceback" not in refused.stderr


async def test_a_database_deleted_while_the_bot_runs_is_not_written_into_the_void(
    archive: Path, content_dir: Path
) -> None:
    settings = load_settings(write_config(archive.parent, content_dir))
    service = await ArchiveService.open(archive, settings.served_newsletter(folder=content_dir))
    try:
        archive.unlink()
        with pytest.raises(DatabaseError, match="deleted or replaced while the bot ran"):
            await service.meta.set("lost", "write")
    finally:
        await service.close()


def test_a_recovery_that_cannot_write_changes_nothing(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _sha(archive)

    def full_disk(*_: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    # The disk fills up while the new file is written: no public seam sits there.
    monkeypatch.setattr("bot.archive.recovery._salvage_into", full_disk)
    with pytest.raises(
        DatabaseError, match=r"cannot write the new database .* nothing was changed"
    ):
        recover_database(archive, FakeClock())
    assert _sha(archive) == before
    assert not [p for p in archive.parent.glob("bot.sqlite3.*") if p.is_file()]
