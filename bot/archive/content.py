"""The archive's content: issues, their resources, the files they came from and the full-text
index, written by loads. Reading it for members is ``bot.archive.issues``; deciding what a load
writes is ``bot.archive.loader``.
"""

from __future__ import annotations

__all__ = ["ContentChanges", "ContentStore", "ContentWrite", "StoredIssue"]

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from bot.archive.announcements import queue_new_issues
from bot.archive.db import Database, release
from bot.archive.records import LoadSummary
from bot.archive.rows import FileState, IssueContent, fingerprint
from bot.content.folder import ChromeKey
from bot.content.models import NumberSource

#: Rows per statement when many are written at once.
_BATCH = 2000


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
    """One reload's changes, applied in one transaction by ``ContentStore.apply``."""

    #: Files read again, with the issue each now holds (dates final).
    upserts: list[IssueContent] = field(default_factory=list)
    #: Files whose size or mtime changed but whose bytes did not.
    touched: list[FileState] = field(default_factory=list)
    #: Files that are gone: their issues leave the archive.
    removed: list[str] = field(default_factory=list)
    #: Issues kept as they are but dated anew: (number, year, month, inferred).
    redated: list[tuple[int, int | None, int | None, bool]] = field(default_factory=list)
    #: How the files were read (``bot.archive.loader.reading_print``), stored with them.
    reading: str | None = None
    #: What a whole read of the folder found to be chrome (None: the folder was read in part,
    #: the last whole read's stands).
    chrome: frozenset[ChromeKey] | None = None

    @property
    def empty(self) -> bool:
        return not (self.upserts or self.touched or self.removed or self.redated)


def reading_key(newsletter: str) -> str:
    return f"reading:{newsletter}"


def chrome_key(newsletter: str) -> str:
    return f"chrome:{newsletter}"


def _issue_row(newsletter: str, content: IssueContent) -> tuple[Any, ...]:
    issue = content.issue
    stated_year, stated_month = issue.stated or (None, None)
    return (newsletter, issue.number, issue.title, issue.year, issue.month,
            int(issue.date_inferred), stated_year, stated_month, issue.number_source, issue.url,
            content.state.name, fingerprint(content))  # fmt: skip


class ContentStore:
    """What loads write: every newsletter's issues, resources, file states and index."""

    def __init__(self, db: Database) -> None:
        self._db = db

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
        if not await self._db.rows(others, (wanted, wanted)):  # as a rule: no write, no waiting
            return []
        async with self._db.transaction() as db:
            gone = [row[0] for row in await db.execute_fetchall(others, (wanted, wanted))]
            for newsletter in gone:
                numbers = await db.execute_fetchall(
                    "SELECT number FROM issues WHERE newsletter = ?", (newsletter,)
                )
                await self._delete_issues(db, newsletter, [row[0] for row in numbers])
                await db.execute("DELETE FROM sources WHERE newsletter = ?", (newsletter,))
        return sorted(gone)

    async def reading(self, newsletter: str) -> str | None:
        """How ``newsletter``'s stored files were read (``ContentChanges.reading``), if known."""
        value = await self._db.value(
            "SELECT value FROM meta WHERE key = ?", (reading_key(newsletter),)
        )
        return str(value) if value is not None else None

    async def chrome(self, newsletter: str) -> frozenset[ChromeKey]:
        """What the last whole read of ``newsletter``'s folder found to be chrome."""
        value = await self._db.value(
            "SELECT value FROM meta WHERE key = ?", (chrome_key(newsletter),)
        )
        if value is None:
            return frozenset()
        return frozenset((title, tuple(links)) for title, links in json.loads(value))

    async def file_states(self, newsletter: str) -> dict[str, FileState]:
        rows = await self._db.rows(
            "SELECT name, size, mtime_ns, sha256 FROM sources WHERE newsletter = ?", (newsletter,)
        )
        return {row[0]: FileState(*row) for row in rows}

    async def stored_issues(self, newsletter: str) -> list[StoredIssue]:
        rows = await self._db.rows(
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
        async with self._db.transaction(checkpoint_later=True) as db:
            before: dict[int, str] = {
                number: print_
                for number, print_ in await db.execute_fetchall(
                    "SELECT number, fingerprint FROM issues WHERE newsletter = ?", (newsletter,)
                )
            }
            yield ContentWrite(self._db, db, newsletter, before)

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
        await ContentStore._insert_resources(db, contents)

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

    async def counts(self, newsletter: str) -> tuple[int, int]:
        """(issues, resources) of one newsletter."""
        rows = await self._db.rows(
            "SELECT (SELECT count(*) FROM issues WHERE newsletter = ?),"
            " (SELECT count(*) FROM resources WHERE newsletter = ?)",
            (newsletter, newsletter),
        )
        return int(rows[0][0]), int(rows[0][1])


class ContentWrite:
    """One load's write, inside the transaction ``ContentStore.content_write`` holds."""

    def __init__(
        self, database: Database, db: aiosqlite.Connection, newsletter: str, before: dict[int, str]
    ) -> None:
        self._database = database
        self._db = db
        self._newsletter = newsletter
        self._before = before
        #: Issues whose resources are written already, by number.
        self._written: dict[int, IssueContent] = {}

    async def early(self, contents: list[IssueContent]) -> None:
        """Write these issues' resources now, while the rest of the load is still being
        parsed; ``finish`` writes the rest. Only in a newsletter's first load: otherwise (or
        for a number written already) this leaves it all to ``finish``. The rows stay in
        memory, their texts let go, until the load ends: the folder pass reads every issue's
        resources (titles and links: chrome, losses) before ``finish``; an issue it changes
        is read again for its texts (``bot.archive.loader``) and written again."""
        if self._before:
            return
        fresh = []
        for content in contents:  # a second file with a number (one of them loses) waits
            if content.issue.number not in self._written:
                self._written[content.issue.number] = content
                fresh.append(content)
        await ContentStore._insert_resources(self._db, fresh)
        await asyncio.to_thread(_without_texts, fresh)

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
        await ContentStore._delete_issues(
            db, newsletter, going + undone + [c.issue.number for c in late]
        )
        await db.executemany(
            "DELETE FROM sources WHERE newsletter = ? AND name = ?",
            [(newsletter, name) for name in changes.removed],
        )
        await ContentStore._insert_issues(db, issue_rows, late)
        await queue_new_issues(db, self._database.clock(), newsletter, self._before, numbers)
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
        if changes.chrome is not None:
            await db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                (chrome_key(newsletter), json.dumps(sorted(changes.chrome), ensure_ascii=False)),
            )
        if changes.reading is not None:
            await db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                (reading_key(newsletter), changes.reading),
            )
        if not changes.empty:
            await db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('content_loaded_at', ?)",
                (self._database.clock().isoformat(),),
            )
        counts = await db.execute_fetchall(
            "SELECT (SELECT count(*) FROM issues WHERE newsletter = ?),"
            " (SELECT count(*) FROM resources WHERE newsletter = ?)",
            (newsletter, newsletter),
        )
        issues, resources = next(iter(counts))
        # The rows kept since ``early`` are freed here, a row at a time in a worker thread:
        # left to go with this object, they would all be freed at once on the event loop.
        kept = [content.resources for content in self._written.values()]
        self._written.clear()
        await asyncio.to_thread(release, *kept)
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


def _without_texts(contents: list[IssueContent]) -> None:
    """Let go of the texts of rows written already (the larger part of a load's memory): a
    row whose text is None is never written again."""
    for content in contents:
        content.resources[:] = [(*row[:5], None, *row[6:]) for row in content.resources]
