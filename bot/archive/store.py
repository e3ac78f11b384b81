"""The archive database: every SQL statement of the bot, behind named methods.

Two connections to one SQLite file in WAL mode: queries read through one, every write goes
through the other inside ``transaction()``, which serialises writers with a lock. So a content
load, a pick, a schedule change and a ledger entry never interleave: a reader sees the content
before a load or after it, whole, and a load that fails leaves the previous content complete.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import random
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite

from bot.archive.records import (
    NO_FILTERS,
    AnnouncementRecord,
    FeedState,
    IssueRecord,
    LoadSummary,
    ResourceRecord,
    ScheduleRecord,
    SearchFilters,
)
from bot.archive.rows import FileState, IssueContent, fingerprint
from bot.archive.schema import migrate
from bot.content.models import NumberSource, year_month
from bot.errors import DatabaseError

Clock = Callable[[], dt.datetime]
log = logging.getLogger(__name__)
#: Rows per statement when many are written at once.
_BATCH = 2000


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class StoredIssue:
    """What a reload needs to know of an issue already stored."""

    number: int
    source: str
    stated_year: int | None
    stated_month: int | None
    year: int | None
    month: int | None
    date_inferred: bool
    number_source: NumberSource


@dataclass
class ContentChanges:
    """One reload's changes, applied in one transaction by ``ArchiveStore.apply``."""

    #: Files read again, with the issue each now holds (dates final).
    upserts: list[IssueContent] = field(default_factory=list)
    #: Files whose size or mtime changed but whose bytes did not.
    touched: list[FileState] = field(default_factory=list)
    #: Files that are gone: their issues leave the archive.
    removed: list[str] = field(default_factory=list)
    #: Issues kept as they are but dated anew: (number, year, month, inferred).
    redated: list[tuple[int, int | None, int | None, bool]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.upserts or self.touched or self.removed or self.redated)


def _issue_row(newsletter: str, content: IssueContent) -> tuple[Any, ...]:
    issue = content.issue
    stated_year, stated_month = issue.stated or (None, None)
    return (newsletter, issue.number, issue.title, issue.year, issue.month,
            int(issue.date_inferred), stated_year, stated_month, issue.number_source, issue.url,
            content.state.name, fingerprint(content))  # fmt: skip


def release(*collections: list[Any]) -> None:
    """Empty large lists one item at a time: freeing a few hundred thousand objects in one call
    holds the GIL (and so the event loop) for a tenth of a second or more. Call it in a worker
    thread, where the interpreter can hand the GIL to the loop between two items."""
    for items in collections:
        while items:
            items.pop()


_RESOURCE_COLUMNS = (
    "r.key, r.issue, i.title, r.title, r.text, r.links, r.section, i.year, i.month,"
    " i.date_inferred, r.newsletter"
)
_RESOURCE_JOIN = "resources r JOIN issues i ON i.newsletter = r.newsletter AND i.number = r.issue"
_ISSUE_COLUMNS = "number, title, year, month, url, source, date_inferred, newsletter"
_ANNOUNCEMENT_COLUMNS = (
    "a.guild_id, a.channel_id, a.role_id, a.newsletter, a.enabled, a.disabled_reason, a.since"
)
_SCHEDULE_COLUMNS = (
    "id, guild_id, channel_id, cron, timezone, next_run_at, enabled, disabled_reason,"
    " last_post_at, last_post_title, newsletter"
)


def _in(newsletter: str | None, column: str = "r.newsletter") -> tuple[str, tuple[str, ...]]:
    """A condition on ``column`` for one newsletter, or none (always true) for every one."""
    return (f"{column} = ?", (newsletter,)) if newsletter is not None else ("1", ())


def _narrowed(filters: SearchFilters) -> tuple[str, tuple[Any, ...]]:
    """Conditions on ``r`` (resources) for ``filters``; always true when there are none."""
    conditions: list[str] = ["1"]
    params: list[Any] = []
    if filters.issue is not None:
        conditions.append("r.issue = ?")
        params.append(filters.issue)
    if filters.year is not None:
        conditions.append(
            "EXISTS (SELECT 1 FROM issues y WHERE y.newsletter = r.newsletter"
            " AND y.number = r.issue AND y.year = ?)"
        )
        params.append(filters.year)
    if filters.section is not None:
        conditions.append("r.section = ? COLLATE NOCASE")
        params.append(filters.section)
    return " AND ".join(conditions), tuple(params)


def _resource(row: Sequence[Any]) -> ResourceRecord:
    key, issue, issue_title, title, text, links, section, year, month, inferred, letter = row
    return ResourceRecord(
        key,
        issue,
        issue_title,
        title,
        text,
        tuple(json.loads(links)),
        section,
        year_month(year, month),
        bool(inferred),
        letter,
    )


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _schedule(row: Sequence[Any]) -> ScheduleRecord:
    ident, guild, channel, cron, tz, next_run, enabled, reason, last_at, last_title, letter = row
    return ScheduleRecord(
        ident, guild, channel, cron, tz, _time(next_run), bool(enabled), reason, _time(last_at),
        last_title, letter,
    )  # fmt: skip


def _announcement(row: Sequence[Any]) -> AnnouncementRecord:
    guild, channel, role, letter, enabled, reason, since = row
    return AnnouncementRecord(
        guild, channel, role, letter, bool(enabled), reason, dt.datetime.fromisoformat(since)
    )


#: SQLite's result codes for a file that is damaged (SQLITE_CORRUPT) or no database (SQLITE_NOTADB).
_DAMAGED_CODES = (11, 26)


def is_damage(error: sqlite3.Error) -> bool:
    """Whether SQLite raised ``error`` because the file is damaged (not busy, not read-only)."""
    return getattr(error, "sqlite_errorcode", 0) & 0xFF in _DAMAGED_CODES


def damaged(path: Path, error: sqlite3.Error) -> DatabaseError:
    """The error for a database SQLite can't read, saying how to get the user state back."""
    return DatabaseError(
        f"{path}: not a usable SQLite database ({error}): run python -m bot db recover "
        "(it saves the schedules and pick history it can read into a new file and keeps "
        "this one aside; content is rebuilt from the files)"
    )


def _open_and_migrate(path: Path) -> None:
    """Create the folder and file if needed, check the file is SQLite, apply migrations."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseError(
            f"{path}: cannot create its folder ({error.strerror}): set database.path to a "
            "writable place"
        ) from None
    if path.is_dir():
        raise DatabaseError(f"{path}: is a folder: set database.path to a file name")
    try:
        db = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error as error:
        raise DatabaseError(
            f"{path}: cannot open the database ({error}): check database.path and its permissions"
        ) from None
    try:
        db.execute("PRAGMA journal_mode=WAL")
        migrate(db)
    except sqlite3.DatabaseError as error:
        raise damaged(path, error) from None
    finally:
        db.close()


class ArchiveStore:
    """The archive's SQLite file; open with ``ArchiveStore.open``, close with ``close``."""

    def __init__(
        self,
        path: Path,
        reader: aiosqlite.Connection,
        writer: aiosqlite.Connection,
        clock: Clock,
    ) -> None:
        self.path = path
        self._reader = reader
        self._writer = writer
        self._write_lock = asyncio.Lock()
        self._checkpoint: asyncio.Task[None] | None = None
        self._closing = False
        self.clock = clock

    @classmethod
    async def open(cls, path: Path, clock: Clock = utcnow) -> ArchiveStore:
        """Open (creating or upgrading) the database; raise ``DatabaseError`` naming the fix.

        Nothing is left open when it fails.
        """
        await asyncio.to_thread(_open_and_migrate, path)
        opened: list[aiosqlite.Connection] = []
        try:
            for _ in range(2):
                connection = await aiosqlite.connect(path)
                opened.append(connection)
                await connection.execute("PRAGMA busy_timeout=5000")
            await opened[1].execute("PRAGMA synchronous=NORMAL")
        except BaseException as error:
            for connection in opened:
                await connection.close()
            if isinstance(error, sqlite3.Error):
                raise DatabaseError(f"{path}: cannot open the database ({error})") from None
            raise
        return cls(path, opened[0], opened[1], clock)

    async def close(self) -> None:
        self._closing = True
        if self._checkpoint is not None:
            # A log copy under way finishes first (the connection runs its statements in
            # order); one not started is left to SQLite, which copies the log on closing.
            self._checkpoint.cancel()
            await asyncio.gather(self._checkpoint, return_exceptions=True)
        await self._reader.close()
        await self._writer.close()

    @asynccontextmanager
    async def transaction(
        self, checkpoint_later: bool = False
    ) -> AsyncIterator[aiosqlite.Connection]:
        """The one way to write: writers take turns, and each one commits whole or not at all.

        SQLite's own failures (disk full, I/O error, a lock held too long) become
        ``DatabaseError`` naming the file; nothing of the write is kept.

        ``checkpoint_later`` (content writes): the commit returns without copying the
        write-ahead log into the database file, even when it is long; the copy follows in the
        background. A first load's log is as large as the archive: copying it is 0.07 s at
        66k resources, which would otherwise come before the load's search cache refresh
        instead of beside it.
        """
        async with self._write_lock:
            try:
                pages = await self._autocheckpoint_pages() if checkpoint_later else None
                try:
                    if pages is not None:
                        await self._writer.execute_fetchall("PRAGMA wal_autocheckpoint = 0")
                    await self._writer.execute("BEGIN IMMEDIATE")
                    yield self._writer
                    await self._writer.commit()
                except BaseException:
                    # Cancelled while BEGIN was still queued too: the connection runs its
                    # statements in order, so this comes after it.
                    await self._writer.rollback()
                    raise
                finally:
                    if pages is not None:
                        await self._writer.execute_fetchall(f"PRAGMA wal_autocheckpoint = {pages}")
            except sqlite3.Error as error:
                if isinstance(error, sqlite3.DatabaseError) and is_damage(error):
                    raise damaged(self.path, error) from error
                raise DatabaseError(
                    f"{self.path}: the database refused a write ({error}); nothing of it was "
                    "kept. Check that the disk has space and the file is writable, then try again"
                ) from error
        idle = self._checkpoint is None or self._checkpoint.done()
        if checkpoint_later and idle and not self._closing:
            self._checkpoint = asyncio.get_running_loop().create_task(self._checkpoint_log())

    async def _autocheckpoint_pages(self) -> int:
        """The log's length (in pages) at which the writer's commits copy it."""
        rows = await self._writer.execute_fetchall("PRAGMA wal_autocheckpoint")
        return int(next(iter(rows))[0])

    async def _checkpoint_log(self) -> None:
        """Copy the write-ahead log into the database file; readers go on meanwhile."""
        try:
            async with self._write_lock:
                # Fetched on the connection's thread: no statement is left open, even when
                # this task is cancelled while it runs.
                await self._writer.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as error:  # the log stays whole; SQLite's next checkpoint retries
            log.warning("%s: copying the write-ahead log failed (%s)", self.path, error)

    async def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        # Executed and fetched in one step on the connection's thread: a statement left open
        # between the two, while another task's query runs, would hold one read snapshot
        # across both, and a query could miss a write committed before it started.
        try:
            return list(await self._reader.execute_fetchall(sql, tuple(params)))
        except sqlite3.DatabaseError as error:
            if is_damage(error):
                raise damaged(self.path, error) from error
            raise

    async def _value(self, sql: str, params: Iterable[Any] = ()) -> Any:
        rows = await self._rows(sql, params)
        return rows[0][0] if rows else None

    # -- content: loading ------------------------------------------------------------------

    async def adopt(self, newsletter: str) -> None:
        """Give pick history written before newsletters had ids to ``newsletter``."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE OR IGNORE pick_history SET resource_key = ? || '/' || resource_key"
                " WHERE instr(resource_key, '/') = 0",
                (newsletter,),
            )

    async def forget_newsletters(self, keep: list[str]) -> list[str]:
        """Delete the content (issues, resources, index entries, file states) of every
        newsletter not in ``keep``: one no longer configured. Return their ids."""
        wanted = json.dumps(keep)
        others = (
            "SELECT DISTINCT newsletter FROM sources"
            " WHERE newsletter NOT IN (SELECT value FROM json_each(?))"
            " UNION SELECT DISTINCT newsletter FROM issues"
            " WHERE newsletter NOT IN (SELECT value FROM json_each(?))"
        )
        if not await self._rows(others, (wanted, wanted)):  # as a rule: no write, no waiting
            return []
        async with self.transaction() as db:
            gone = [row[0] for row in await db.execute_fetchall(others, (wanted, wanted))]
            for newsletter in gone:
                numbers = await db.execute_fetchall(
                    "SELECT number FROM issues WHERE newsletter = ?", (newsletter,)
                )
                await self._delete_issues(db, newsletter, [row[0] for row in numbers])
                await db.execute("DELETE FROM sources WHERE newsletter = ?", (newsletter,))
        return sorted(gone)

    async def file_states(self, newsletter: str) -> dict[str, FileState]:
        rows = await self._rows(
            "SELECT name, size, mtime_ns, sha256 FROM sources WHERE newsletter = ?", (newsletter,)
        )
        return {row[0]: FileState(*row) for row in rows}

    async def stored_issues(self, newsletter: str) -> list[StoredIssue]:
        rows = await self._rows(
            "SELECT number, source, stated_year, stated_month, year, month, date_inferred,"
            " number_source FROM issues WHERE newsletter = ?",
            (newsletter,),
        )
        return [
            StoredIssue(number, source, s_year, s_month, year, month, bool(inferred), origin)
            for number, source, s_year, s_month, year, month, inferred, origin in rows
        ]

    async def apply(self, newsletter: str, changes: ContentChanges) -> LoadSummary:
        """Write one reload's changes to one newsletter in one transaction (none when there
        are none); say which of its issues changed."""
        if changes.empty:  # nothing to write: no waiting for the writer (or a log's copy)
            issues, resources = await self.counts(newsletter)
            return LoadSummary((), (), (), issues, resources, newsletter=newsletter)
        async with self.content_write(newsletter) as write:
            return await write.finish(changes)

    @asynccontextmanager
    async def content_write(self, newsletter: str) -> AsyncIterator[ContentWrite]:
        """A load of ``newsletter`` as one transaction: ``ContentWrite.finish`` writes what it
        changes; for a first load, issues parsed so far may be written before (``early``)."""
        async with self.transaction(checkpoint_later=True) as db:
            before: dict[int, str] = {
                number: print_
                for number, print_ in await db.execute_fetchall(
                    "SELECT number, fingerprint FROM issues WHERE newsletter = ?", (newsletter,)
                )
            }
            yield ContentWrite(self, db, newsletter, before)

    @staticmethod
    async def _delete_issues(db: aiosqlite.Connection, newsletter: str, numbers: list[int]) -> None:
        """Delete issues, their resources, and those resources' entries in the index."""
        if not numbers:
            return
        wanted = (newsletter, json.dumps(sorted(set(numbers))))
        await db.execute(
            "INSERT INTO resources_fts(resources_fts, rowid, title, text, links)"
            " SELECT 'delete', id, title, text, links FROM resources"
            " WHERE newsletter = ? AND issue IN (SELECT value FROM json_each(?))",
            wanted,
        )
        await db.execute(
            "DELETE FROM resources WHERE newsletter = ?"
            " AND issue IN (SELECT value FROM json_each(?))",
            wanted,
        )
        await db.execute(
            "DELETE FROM issues WHERE newsletter = ? AND number IN (SELECT value FROM json_each(?))",
            wanted,
        )

    async def _queue_new(
        self, db: aiosqlite.Connection, newsletter: str, before: dict[int, str], numbers: list[int]
    ) -> None:
        """Queue for announcement the issues newer than every issue ``newsletter`` had; a
        newsletter that had none (the first load) queues nothing: that load is the baseline."""
        if not before:
            return
        newest = max(before)
        await db.executemany(
            "INSERT OR IGNORE INTO new_issues(newsletter, issue, added_at) VALUES (?, ?, ?)",
            [(newsletter, n, self.clock().isoformat()) for n in numbers if n > newest],
        )

    @staticmethod
    async def _insert_issues(
        db: aiosqlite.Connection, issue_rows: list[tuple[Any, ...]], contents: list[IssueContent]
    ) -> None:
        """Insert issues, and the resources of ``contents`` (indexed)."""
        await db.executemany(
            "INSERT INTO issues(newsletter, number, title, year, month, date_inferred,"
            " stated_year, stated_month, number_source, url, source, fingerprint)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            issue_rows,
        )
        await ArchiveStore._insert_resources(db, contents)

    @staticmethod
    async def _insert_resources(db: aiosqlite.Connection, contents: list[IssueContent]) -> None:
        """Insert the issues' resources, and index them in one statement."""
        if not contents:
            return
        last = next(iter(await db.execute_fetchall("SELECT coalesce(max(id), 0) FROM resources")))
        # In batches, gathered as they go: one long executemany (or one list of every row
        # built here) would hold the event loop's thread.
        batch: list[tuple[Any, ...]] = []
        for position, content in enumerate(contents, start=1):
            batch += content.resources
            if len(batch) >= _BATCH or position == len(contents):
                await db.executemany(
                    "INSERT INTO resources(key, newsletter, issue, position, title, text, links,"
                    " section) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    batch,
                )
                batch = []
        await db.execute(
            "INSERT INTO resources_fts(rowid, title, text, links)"
            " SELECT id, title, text, links FROM resources WHERE id > ?",
            (last[0],),
        )

    # -- content: reading ------------------------------------------------------------------

    async def counts(self, newsletter: str | None = None) -> tuple[int, int]:
        where, params = _in(newsletter, "newsletter")
        rows = await self._rows(
            f"SELECT (SELECT count(*) FROM issues WHERE {where}),"
            f" (SELECT count(*) FROM resources WHERE {where})",
            params * 2,
        )
        return int(rows[0][0]), int(rows[0][1])

    async def loaded_at(self) -> dt.datetime | None:
        return _time(await self.meta("content_loaded_at"))

    async def numbers(self, newsletter: str) -> list[int]:
        """Every issue number of a newsletter, oldest first."""
        rows = await self._rows(
            "SELECT number FROM issues WHERE newsletter = ? ORDER BY number", (newsletter,)
        )
        return [row[0] for row in rows]

    async def issue_list(self) -> list[tuple[str, int, str, str | None]]:
        """Every issue as (newsletter, number, title, YYYY-MM or None), newest first."""
        rows = await self._rows(
            "SELECT newsletter, number, title, year, month FROM issues"
            " ORDER BY number DESC, newsletter"
        )
        return [(letter, n, t, year_month(y, m)) for letter, n, t, y, m in rows]

    async def issue(self, newsletter: str, number: int) -> IssueRecord | None:
        rows = await self._rows(
            f"SELECT {_ISSUE_COLUMNS} FROM issues WHERE newsletter = ? AND number = ?",
            (newsletter, number),
        )
        if not rows:
            return None
        resources = await self._resources("r.newsletter = ? AND r.issue = ?", (newsletter, number))
        n, title, year, month, url, source, inferred, letter = rows[0]
        return IssueRecord(
            n, title, year, month, url, source, bool(inferred), tuple(resources), letter
        )

    async def latest_issue(self, newsletter: str) -> IssueRecord | None:
        number = await self._value(
            "SELECT max(number) FROM issues WHERE newsletter = ?", (newsletter,)
        )
        return await self.issue(newsletter, number) if number is not None else None

    async def _resources(self, where: str, params: Iterable[Any] = ()) -> list[ResourceRecord]:
        rows = await self._rows(
            f"SELECT {_RESOURCE_COLUMNS} FROM {_RESOURCE_JOIN}"
            f" WHERE {where} ORDER BY r.newsletter, r.issue, r.position",
            params,
        )
        return [_resource(row) for row in rows]

    async def newest_titles(
        self, limit: int, newsletter: str | None = None
    ) -> list[tuple[str, int]]:
        """The titles of the newest issues' resources: (title, issue)."""
        where, params = _in(newsletter, "newsletter")
        return await self._rows(
            f"SELECT title, issue FROM resources WHERE {where}"
            " ORDER BY issue DESC, position LIMIT ?",
            (*params, limit),
        )

    # -- search ---------------------------------------------------------------------------

    async def vocabulary(self) -> list[tuple[str, int]]:
        """Every word of the index with the number of resources that hold it."""
        return await self._rows("SELECT term, doc FROM resources_vocab")

    async def ranked_resources(
        self,
        match: str,
        weights: tuple[float, ...] | None,
        limit: int,
        newsletter: str | None = None,
        filters: SearchFilters = NO_FILTERS,
    ) -> tuple[list[tuple[ResourceRecord, float]], bool]:
        """The ``limit`` resources that ``match`` (an FTS5 query) finds best, of ``newsletter``
        (or of any) and within ``filters``, each with its bm25 rank (column ``weights``; with
        none, the last loaded are taken, each ranked 0), in archive order; and whether
        ``match`` finds more."""
        if weights is None:
            rank, order = "0.0", "resources_fts.rowid DESC"
        else:  # equal ranks: the last loaded first
            bm25 = f"bm25(resources_fts, {', '.join(str(w) for w in weights)})"
            rank, order = bm25, "rank, resources_fts.rowid DESC"
        where, params = _in(newsletter)
        narrowed, narrowing = _narrowed(filters)
        # With no condition on the resource, the index alone picks the best: joining every
        # match to its row first costs a third of the query.
        join = " JOIN resources r ON r.id = resources_fts.rowid" if params or narrowing else ""
        rows = await self._rows(
            f"SELECT {_RESOURCE_COLUMNS}, r.position, best.rank FROM ("
            f"SELECT resources_fts.rowid AS id, {rank} AS rank FROM resources_fts{join}"
            f" WHERE resources_fts MATCH ? AND {where} AND {narrowed} ORDER BY {order} LIMIT ?"
            ") best JOIN resources r ON r.id = best.id"
            " JOIN issues i ON i.newsletter = r.newsletter AND i.number = r.issue"
            " ORDER BY best.rank, best.id DESC",
            (match, *params, *narrowing, limit + 1),
        )
        best = sorted(rows[:limit], key=lambda row: (row[10], row[1], row[11]))
        return [(_resource(row[:11]), row[12]) for row in best], len(rows) > limit

    async def sections(self, newsletter: str | None = None) -> list[str]:
        """Every section name (of ``newsletter``, or of any), the most used first."""
        where, params = _in(newsletter)
        rows = await self._rows(
            f"SELECT r.section FROM resources r WHERE r.section IS NOT NULL AND {where}"
            " GROUP BY r.section ORDER BY count(*) DESC, r.section",
            params,
        )
        return [row[0] for row in rows]

    async def years(self, newsletter: str | None = None) -> list[int]:
        """Every year an issue (of ``newsletter``, or of any) is dated, newest first."""
        where, params = _in(newsletter, "newsletter")
        rows = await self._rows(
            f"SELECT DISTINCT year FROM issues WHERE year IS NOT NULL AND {where}"
            " ORDER BY year DESC",
            params,
        )
        return [row[0] for row in rows]

    async def titles_matching(
        self,
        match: str,
        limit: int,
        *,
        newest_first: bool = False,
        newsletter: str | None = None,
    ) -> list[tuple[str, int]]:
        """Titles of resources that ``match`` finds, (title, issue): best title match first,
        or in the index's own order, last loaded first (no ranking: costs the same at any size)."""
        order = (
            "resources_fts.rowid DESC" if newest_first else "bm25(resources_fts, 10.0, 0.0, 0.0)"
        )
        where, params = _in(newsletter)
        return await self._rows(
            "SELECT r.title, r.issue FROM resources_fts JOIN resources r"
            f" ON r.id = resources_fts.rowid WHERE resources_fts MATCH ? AND {where}"
            f" ORDER BY {order} LIMIT ?",
            (match, *params, limit),
        )

    # -- picks ----------------------------------------------------------------------------

    async def next_pick(
        self, scope: str, rng: random.Random, newsletter: str | None = None
    ) -> ResourceRecord | None:
        """A resource from before its newsletter's latest issue (of ``newsletter``, or of
        any) that ``scope`` has not been given this round, chosen at random by id (an index
        walk, not a scan); None when none is left."""
        where, params = _in(newsletter)
        bounds = await self._rows(
            "SELECT (SELECT min(id) FROM resources), (SELECT max(id) FROM resources)"
        )
        low, high = bounds[0]
        if low is None:
            return None
        start = rng.randint(low, high)
        for first in (start, low):
            rows = await self._rows(
                f"SELECT {_RESOURCE_COLUMNS} FROM {_RESOURCE_JOIN}"
                f" WHERE r.id >= ? AND {where} AND r.issue < (SELECT max(number) FROM issues m"
                "                                   WHERE m.newsletter = r.newsletter)"
                " AND NOT EXISTS (SELECT 1 FROM pick_history h"
                "                 WHERE h.scope = ? AND h.resource_key = r.key)"
                " ORDER BY r.id LIMIT 1",
                (first, *params, scope),
            )
            if rows:
                return _resource(rows[0])
        return None

    async def has_archive(self, newsletter: str | None = None) -> bool:
        """Whether any resource (of ``newsletter``, or of any) comes from before its
        newsletter's latest issue."""
        where, params = _in(newsletter)
        return bool(
            await self._value(
                f"SELECT EXISTS (SELECT 1 FROM resources r WHERE {where}"
                " AND r.issue < (SELECT max(number) FROM issues m"
                "                WHERE m.newsletter = r.newsletter))",
                params,
            )
        )

    async def record_pick(self, scope: str, key: str) -> None:
        async with self.transaction() as db:
            await db.execute(
                "INSERT OR REPLACE INTO pick_history(scope, resource_key, picked_at)"
                " VALUES (?, ?, ?)",
                (scope, key, self.clock().isoformat()),
            )

    async def forget_picks(self, scope: str) -> None:
        """Start a new round for ``scope``: every candidate may be picked again."""
        async with self.transaction() as db:
            await db.execute("DELETE FROM pick_history WHERE scope = ?", (scope,))

    async def picked(self, scope: str) -> list[str]:
        """The keys ``scope`` has been given this round, oldest first."""
        rows = await self._rows(
            "SELECT resource_key FROM pick_history WHERE scope = ? ORDER BY picked_at", (scope,)
        )
        return [row[0] for row in rows]

    # -- schedules and the posted-slot ledger ----------------------------------------------

    async def save_schedule(
        self,
        guild_id: int,
        channel_id: int,
        cron: str,
        timezone: str,
        next_run: dt.datetime,
        newsletter: str | None = None,
    ) -> int:
        """Add a schedule to a server's; its id."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO schedules(guild_id, channel_id, cron, timezone, next_run_at, enabled,"
                " disabled_reason, updated_at, newsletter) VALUES (?, ?, ?, ?, ?, 1, NULL, ?, ?)",
                (guild_id, channel_id, cron, timezone, next_run.isoformat(),
                 self.clock().isoformat(), newsletter),
            )  # fmt: skip
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    async def schedules(self, guild_id: int) -> list[ScheduleRecord]:
        """A server's schedules, oldest first."""
        rows = await self._rows(
            f"SELECT {_SCHEDULE_COLUMNS} FROM schedules WHERE guild_id = ? ORDER BY id",
            (guild_id,),
        )
        return [_schedule(row) for row in rows]

    async def enabled_schedules(self) -> list[ScheduleRecord]:
        rows = await self._rows(f"SELECT {_SCHEDULE_COLUMNS} FROM schedules WHERE enabled = 1")
        return [_schedule(row) for row in rows]

    async def due_schedules(self, now: dt.datetime) -> list[ScheduleRecord]:
        rows = await self._rows(
            f"SELECT {_SCHEDULE_COLUMNS} FROM schedules"
            " WHERE enabled = 1 AND next_run_at <= ? ORDER BY next_run_at, id",
            (now.isoformat(),),
        )
        return [_schedule(row) for row in rows]

    async def delete_schedule(self, guild_id: int, schedule_id: int) -> bool:
        """Delete one of a server's schedules (its ledger rows stay); False if it had none."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM schedules WHERE guild_id = ? AND id = ?", (guild_id, schedule_id)
            )
            return cursor.rowcount > 0

    async def disable_schedule(self, schedule_id: int, reason: str) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE schedules SET enabled = 0, disabled_reason = ?, updated_at = ?"
                " WHERE id = ?",
                (reason, self.clock().isoformat(), schedule_id),
            )

    async def record_schedule_post(self, schedule_id: int, title: str) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE schedules SET last_post_at = ?, last_post_title = ? WHERE id = ?",
                (self.clock().isoformat(), title, schedule_id),
            )

    async def claim_slot(
        self, schedule: ScheduleRecord, slot: dt.datetime, following: dt.datetime
    ) -> bool:
        """Claim ``slot`` of ``schedule`` in the ledger and move its ``next_run_at`` to
        ``following``, together.

        False when the slot was claimed before (posted before a crash, or by another pass).
        """
        async with self.transaction() as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO posted_slots(schedule_id, guild_id, slot, channel_id,"
                " posted_at) VALUES (?, ?, ?, ?, ?)",
                (schedule.id, schedule.guild_id, slot.isoformat(), schedule.channel_id,
                 self.clock().isoformat()),
            )  # fmt: skip
            claimed = cursor.rowcount == 1
            await db.execute(
                "UPDATE schedules SET next_run_at = ? WHERE id = ?",
                (following.isoformat(), schedule.id),
            )
        return claimed

    async def posted_slots(self, guild_id: int) -> list[str]:
        rows = await self._rows(
            "SELECT slot FROM posted_slots WHERE guild_id = ? ORDER BY slot, schedule_id",
            (guild_id,),
        )
        return [row[0] for row in rows]

    # -- announcements and their ledger ----------------------------------------------------

    async def save_announcement(
        self, guild_id: int, channel_id: int, role_id: int | None, newsletter: str | None
    ) -> None:
        """Set a server's announcement; a new one announces issues added from now on, one set
        again keeps its start (and its ledger)."""
        now = self.clock().isoformat()
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO announcements(guild_id, channel_id, role_id, newsletter, enabled,"
                " disabled_reason, since, updated_at) VALUES (?, ?, ?, ?, 1, NULL, ?, ?)"
                " ON CONFLICT(guild_id) DO UPDATE SET channel_id = excluded.channel_id,"
                " role_id = excluded.role_id, newsletter = excluded.newsletter, enabled = 1,"
                " disabled_reason = NULL, updated_at = excluded.updated_at",
                (guild_id, channel_id, role_id, newsletter, now, now),
            )

    async def announcement(self, guild_id: int) -> AnnouncementRecord | None:
        rows = await self._rows(
            f"SELECT {_ANNOUNCEMENT_COLUMNS} FROM announcements a WHERE a.guild_id = ?",
            (guild_id,),
        )
        return _announcement(rows[0]) if rows else None

    async def delete_announcement(self, guild_id: int) -> bool:
        async with self.transaction() as db:
            cursor = await db.execute("DELETE FROM announcements WHERE guild_id = ?", (guild_id,))
            return cursor.rowcount > 0

    async def disable_announcement(self, guild_id: int, reason: str) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE announcements SET enabled = 0, disabled_reason = ?, updated_at = ?"
                " WHERE guild_id = ?",
                (reason, self.clock().isoformat(), guild_id),
            )

    async def due_announcements(self) -> list[tuple[AnnouncementRecord, str, int]]:
        """(announcement, newsletter, issue) for every issue still served that was queued
        after the announcement was set and that its server has not announced, oldest first."""
        rows = await self._rows(
            f"SELECT {_ANNOUNCEMENT_COLUMNS}, q.newsletter, q.issue FROM announcements a"
            " JOIN new_issues q ON (a.newsletter IS NULL OR a.newsletter = q.newsletter)"
            " AND q.added_at >= a.since"
            " JOIN issues i ON i.newsletter = q.newsletter AND i.number = q.issue"
            " WHERE a.enabled = 1 AND NOT EXISTS (SELECT 1 FROM announced_issues l"
            "   WHERE l.guild_id = a.guild_id AND l.newsletter = q.newsletter"
            "   AND l.issue = q.issue)"
            " ORDER BY q.added_at, q.newsletter, q.issue"
        )
        return [(_announcement(row[:7]), row[7], row[8]) for row in rows]

    async def claim_announcement(
        self, guild_id: int, newsletter: str, issue: int, channel_id: int
    ) -> bool:
        """Claim an issue's announcement in a server in the ledger; False when it was claimed
        before (announced before a crash, or by another pass)."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO announced_issues(guild_id, newsletter, issue, channel_id,"
                " announced_at) VALUES (?, ?, ?, ?, ?)",
                (guild_id, newsletter, issue, channel_id, self.clock().isoformat()),
            )
            return cursor.rowcount == 1

    async def announced(self, guild_id: int) -> list[tuple[str, int]]:
        """The issues a server has announced, (newsletter, number), oldest first."""
        rows = await self._rows(
            "SELECT newsletter, issue FROM announced_issues WHERE guild_id = ?"
            " ORDER BY announced_at, newsletter, issue",
            (guild_id,),
        )
        return [(row[0], row[1]) for row in rows]

    # -- feeds ----------------------------------------------------------------------------

    async def feed_state(self, newsletter: str, url: str) -> FeedState:
        """A feed's state as its last poll left it (a fresh one if it was never polled)."""
        rows = await self._rows(
            "SELECT etag, last_modified, failures, last_error, next_poll_at FROM feeds"
            " WHERE newsletter = ? AND url = ?",
            (newsletter, url),
        )
        if not rows:
            return FeedState(newsletter, url)
        etag, modified, failures, error, next_poll = rows[0]
        return FeedState(
            newsletter, url, etag, modified, failures, error,
            dt.datetime.fromisoformat(next_poll) if next_poll else None,
        )  # fmt: skip

    async def seen_feed_entries(self, newsletter: str, url: str) -> set[str]:
        """The ids of a feed's entries already turned into issue files (or passed over)."""
        rows = await self._rows(
            "SELECT entry_id FROM feed_entries WHERE newsletter = ? AND url = ?", (newsletter, url)
        )
        return {row[0] for row in rows}

    async def save_feed_poll(self, state: FeedState, seen: Iterable[str] = ()) -> None:
        """Record a poll's outcome and the entries it dealt with, together."""
        now = self.clock().isoformat()
        async with self.transaction() as db:
            await db.execute(
                "INSERT OR REPLACE INTO feeds(newsletter, url, etag, last_modified, failures,"
                " last_error, next_poll_at, polled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    state.newsletter, state.url, state.etag, state.last_modified, state.failures,
                    state.last_error,
                    state.next_poll_at.isoformat() if state.next_poll_at else None, now,
                ),
            )  # fmt: skip
            await db.executemany(
                "INSERT OR IGNORE INTO feed_entries(newsletter, url, entry_id, seen_at)"
                " VALUES (?, ?, ?, ?)",
                [(state.newsletter, state.url, entry, now) for entry in seen],
            )

    # -- meta -----------------------------------------------------------------------------

    async def meta(self, key: str) -> str | None:
        value = await self._value("SELECT value FROM meta WHERE key = ?", (key,))
        return str(value) if value is not None else None

    async def set_meta(self, key: str, value: str) -> None:
        async with self.transaction() as db:
            await db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))


class ContentWrite:
    """One load's write, inside the transaction ``ArchiveStore.content_write`` holds."""

    def __init__(
        self, store: ArchiveStore, db: aiosqlite.Connection, newsletter: str, before: dict[int, str]
    ) -> None:
        self._store = store
        self._db = db
        self._newsletter = newsletter
        self._before = before
        #: Issues whose resources are written already, by number.
        self._written: dict[int, IssueContent] = {}

    async def early(self, contents: list[IssueContent]) -> None:
        """Write these issues' resources now, while the rest of the load is still being
        parsed, and free them; ``finish`` writes the rest. Only in a newsletter's first
        load: otherwise (or for a number written already) this leaves it all to ``finish``."""
        if self._before:
            return
        fresh = []
        for content in contents:  # a second file with a number (one of them loses) waits
            if content.issue.number not in self._written:
                self._written[content.issue.number] = content
                fresh.append(content)
        await ArchiveStore._insert_resources(self._db, fresh)
        await asyncio.to_thread(release, *(content.resources for content in fresh))

    async def finish(self, changes: ContentChanges) -> LoadSummary:
        """Write the load's changes (what ``early`` wrote stays where its issue won); say
        which of the newsletter's issues changed."""
        db, newsletter = self._db, self._newsletter
        prepared = changes.upserts
        issue_rows = await asyncio.to_thread(
            lambda: [_issue_row(newsletter, content) for content in prepared]
        )
        # Written early but lost its number to another file of this load: taken out again.
        winners = {content.issue.number: content for content in prepared}
        undone = [n for n, content in self._written.items() if winners.get(n) is not content]
        late = [c for c in prepared if self._written.get(c.issue.number) is not c]
        numbers = [content.issue.number for content in prepared]
        replaced = json.dumps(changes.removed + [content.state.name for content in prepared])
        going = [
            row[0]
            for row in await db.execute_fetchall(
                "SELECT number FROM issues WHERE newsletter = ?"
                " AND source IN (SELECT value FROM json_each(?))",
                (newsletter, replaced),
            )
        ]
        await ArchiveStore._delete_issues(
            db, newsletter, going + undone + [c.issue.number for c in late]
        )
        await db.executemany(
            "DELETE FROM sources WHERE newsletter = ? AND name = ?",
            [(newsletter, name) for name in changes.removed],
        )
        await ArchiveStore._insert_issues(db, issue_rows, late)
        await self._store._queue_new(db, newsletter, self._before, numbers)
        await db.executemany(
            "INSERT OR REPLACE INTO sources(newsletter, name, size, mtime_ns, sha256)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (newsletter, s.name, s.size, s.mtime_ns, s.sha256)
                for s in [content.state for content in prepared] + changes.touched
            ],
        )
        await db.executemany(
            "UPDATE issues SET year = ?, month = ?, date_inferred = ?"
            " WHERE newsletter = ? AND number = ?",
            [(y, m, int(inferred), newsletter, n) for n, y, m, inferred in changes.redated],
        )
        if not changes.empty:
            await db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('content_loaded_at', ?)",
                (self._store.clock().isoformat(),),
            )
        counts = await db.execute_fetchall(
            "SELECT (SELECT count(*) FROM issues WHERE newsletter = ?),"
            " (SELECT count(*) FROM resources WHERE newsletter = ?)",
            (newsletter, newsletter),
        )
        issues, resources = next(iter(counts))
        before = self._before
        after = {row[1]: row[-1] for row in issue_rows}
        redated = {number for number, *_ in changes.redated}
        return LoadSummary(
            added=tuple(sorted(set(after) - set(before))),
            changed=tuple(
                sorted(
                    {n for n in set(after) & set(before) if after[n] != before[n]}
                    | (redated & set(before))
                )
            ),
            removed=tuple(sorted(set(going) - set(after))),
            issues=int(issues),
            resources=int(resources),
            newsletter=newsletter,
        )
