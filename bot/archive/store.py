"""The archive database: open, load content atomically, and read issues back.

Two connections to one SQLite file in WAL mode: loads write through one, queries read
through the other. A load runs in a single transaction, so until it commits every query
sees the previous content whole, and a failed load leaves it in place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import aiosqlite

from bot.archive.records import IssueRecord, LoadSummary, ResourceRecord
from bot.archive.schema import ensure_schema
from bot.content.models import Issue

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def resource_key(issue: int, title: str) -> str:
    """A resource's identity across reloads (pick history refers to it)."""
    return f"{issue}-{hashlib.sha1(title.casefold().encode()).hexdigest()[:12]}"


def _fingerprint(issue: Issue) -> str:
    payload = json.dumps(
        [
            issue.title,
            issue.year,
            issue.month,
            issue.url,
            [(r.title, r.text, r.links, r.section) for r in issue.resources],
        ],
        ensure_ascii=False,
    )
    return hashlib.sha1(payload.encode()).hexdigest()


def _resource_rows(issue: Issue) -> list[tuple[Any, ...]]:
    """One issue's resources as rows, each with a key that survives reloads."""
    rows = []
    keys: set[str] = set()
    for position, resource in enumerate(issue.resources):
        key = resource_key(issue.number, resource.title)
        if key in keys:  # two resources with one title: tell them apart by position
            key = f"{key}-{position}"
        keys.add(key)
        links = json.dumps(list(resource.links))
        rows.append(
            (key, issue.number, position, resource.title, resource.text, links, resource.section)
        )
    return rows


_RESOURCE_COLUMNS = "r.key, r.issue, i.title, r.title, r.text, r.links, r.section"


def _resource(row: Iterable[Any]) -> ResourceRecord:
    key, issue, issue_title, title, text, links, section = row
    return ResourceRecord(key, issue, issue_title, title, text, tuple(json.loads(links)), section)


class Archive:
    def __init__(
        self, reader: aiosqlite.Connection, writer: aiosqlite.Connection, clock: Clock
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.clock = clock

    @classmethod
    async def open(cls, path: Path, clock: Clock = utcnow) -> Archive:
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await aiosqlite.connect(path)
        await writer.execute("PRAGMA journal_mode=WAL")
        await writer.execute("PRAGMA busy_timeout=5000")
        await ensure_schema(writer)
        reader = await aiosqlite.connect(path)
        await reader.execute("PRAGMA busy_timeout=5000")
        return cls(reader, writer, clock)

    async def close(self) -> None:
        await self.reader.close()
        await self.writer.close()

    # -- loading -----------------------------------------------------------------------

    async def replace_content(self, issues: list[Issue]) -> LoadSummary:
        """Swap in ``issues`` as the whole content, in one transaction."""
        async with self.writer.execute("SELECT number, fingerprint FROM issues") as cursor:
            before = {number: fingerprint for number, fingerprint in await cursor.fetchall()}
        after = {issue.number: _fingerprint(issue) for issue in issues}
        await self.writer.execute("BEGIN IMMEDIATE")
        try:
            await self._write_content(issues, after)
            await self.writer.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('content_loaded_at', ?)",
                (self.clock().isoformat(),),
            )
        except BaseException:
            await self.writer.rollback()
            raise
        await self.writer.commit()
        return LoadSummary(
            added=tuple(sorted(set(after) - set(before))),
            changed=tuple(sorted(n for n in set(after) & set(before) if after[n] != before[n])),
            removed=tuple(sorted(set(before) - set(after))),
            issues=len(issues),
            resources=sum(len(issue.resources) for issue in issues),
        )

    async def _write_content(self, issues: list[Issue], fingerprints: dict[int, str]) -> None:
        db = self.writer
        await db.execute("DELETE FROM resources")
        await db.execute("DELETE FROM issues")
        await db.executemany(
            "INSERT INTO issues(number, title, year, month, date_inferred, url, source, fingerprint)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (issue.number, issue.title, issue.year, issue.month, int(issue.date_inferred),
                 issue.url, issue.source, fingerprints[issue.number])
                for issue in issues
            ],
        )  # fmt: skip
        await db.executemany(
            "INSERT INTO resources(key, issue, position, title, text, links, section)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [row for issue in issues for row in _resource_rows(issue)],
        )
        await db.execute("INSERT INTO resources_fts(resources_fts) VALUES ('rebuild')")

    # -- reading -----------------------------------------------------------------------

    async def fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Rows of a query, read through the reader connection (committed data only)."""
        async with self.reader.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def write(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """One statement of user state (picks, schedules, meta), committed at once."""
        await self.writer.execute(sql, params)
        await self.writer.commit()

    async def meta(self, key: str) -> str | None:
        rows = await self.fetchall("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    async def set_meta(self, key: str, value: str) -> None:
        await self.writer.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value)
        )
        await self.writer.commit()

    async def loaded_at(self) -> dt.datetime | None:
        value = await self.meta("content_loaded_at")
        return dt.datetime.fromisoformat(value) if value else None

    async def counts(self) -> tuple[int, int]:
        rows = await self.fetchall(
            "SELECT (SELECT count(*) FROM issues), (SELECT count(*) FROM resources)"
        )
        return int(rows[0][0]), int(rows[0][1])

    async def numbers(self) -> list[int]:
        """Every issue number, oldest first."""
        return [row[0] for row in await self.fetchall("SELECT number FROM issues ORDER BY number")]

    async def issue_numbers(self) -> list[tuple[int, str, str | None]]:
        """Every issue as (number, title, YYYY-MM or None), newest first."""
        rows = await self.fetchall(
            "SELECT number, title, year, month FROM issues ORDER BY number DESC"
        )
        return [
            (n, t, f"{y:04d}-{m:02d}" if y is not None and m is not None else None)
            for n, t, y, m in rows
        ]

    async def issue(self, number: int) -> IssueRecord | None:
        rows = await self.fetchall(
            "SELECT number, title, year, month, url, source, date_inferred FROM issues WHERE number = ?",
            (number,),
        )
        if not rows:
            return None
        resources = await self.fetchall(
            f"SELECT {_RESOURCE_COLUMNS} FROM resources r JOIN issues i ON i.number = r.issue"
            " WHERE r.issue = ? ORDER BY r.position",
            (number,),
        )
        n, title, year, month, url, source, inferred = rows[0]
        return IssueRecord(
            n, title, year, month, url, source, bool(inferred), tuple(map(_resource, resources))
        )

    async def latest_issue(self) -> IssueRecord | None:
        rows = await self.fetchall("SELECT max(number) FROM issues")
        return await self.issue(rows[0][0]) if rows and rows[0][0] is not None else None

    async def _resources(self, where: str, params: tuple[Any, ...] = ()) -> list[ResourceRecord]:
        rows = await self.fetchall(
            f"SELECT {_RESOURCE_COLUMNS} FROM resources r JOIN issues i ON i.number = r.issue"
            f" WHERE {where} ORDER BY r.issue, r.position",
            params,
        )
        return [_resource(row) for row in rows]

    async def all_resources(self) -> list[ResourceRecord]:
        return await self._resources("1")

    async def resources_by_key(self, keys: list[str]) -> list[ResourceRecord]:
        return await self._resources(f"r.key IN ({','.join('?' * len(keys))})", tuple(keys))

    async def resources_before_latest(self) -> list[ResourceRecord]:
        """Every resource but those of the newest issue: what the archive picks come from."""
        return await self._resources("r.issue < (SELECT max(number) FROM issues)")
