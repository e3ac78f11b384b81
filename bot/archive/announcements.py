"""Announcements of new issues: per-server settings, the queue a load fills, and the pass
that posts what a load added.

A load queues each issue newer than every issue its newsletter had (``new_issues``; the first
load is the baseline and queues nothing). One pass (``run_due``) announces, in each server
whose announcement is enabled, every queued issue added after that announcement was set. Each
(server, newsletter, issue) is claimed in the ledger before it is posted, so nothing is
announced twice, even across a crash; as with schedules, a post that fails after its claim is
not retried.
"""

from __future__ import annotations

__all__ = ["Announcements", "Announcer", "queue_new_issues"]

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

import aiosqlite

from bot.archive.db import Database
from bot.archive.issues import Issues
from bot.archive.records import AnnouncementRecord, IssueRecord, PostMode
from bot.errors import ChannelUnavailable

log = logging.getLogger(__name__)

Announcer = Callable[[AnnouncementRecord, IssueRecord], Awaitable[None]]
"""Posts an issue's announcement in a server's channel."""

_COLUMNS = (
    "a.guild_id, a.channel_id, a.role_id, a.newsletter, a.enabled, a.disabled_reason, a.since,"
    " a.mode"
)
_WIDTH = 8  # columns in _COLUMNS


def _announcement(row: Sequence[Any]) -> AnnouncementRecord:
    guild, channel, role, letter, enabled, reason, since, mode = row
    return AnnouncementRecord(
        guild,
        channel,
        role,
        letter,
        bool(enabled),
        reason,
        dt.datetime.fromisoformat(since),
        cast(PostMode, mode),
    )


async def queue_new_issues(
    db: aiosqlite.Connection,
    now: dt.datetime,
    newsletter: str,
    before: dict[int, str],
    numbers: list[int],
) -> None:
    """Queue for announcement, inside a load's transaction, the issues newer than every issue
    ``newsletter`` had (``before``); a newsletter that had none (its first load) queues
    nothing: that load is the baseline."""
    if not before:
        return
    newest = max(before)
    await db.executemany(
        "INSERT OR IGNORE INTO new_issues(newsletter, issue, added_at) VALUES (?, ?, ?)",
        [(newsletter, n, now.isoformat()) for n in numbers if n > newest],
    )


class Announcements:
    """Every server's announcement: set, show, stop, and the pass that posts new issues."""

    def __init__(self, db: Database, issues: Issues) -> None:
        self._db = db
        self._issues = issues

    async def set(
        self,
        guild_id: int,
        channel_id: int,
        role_id: int | None,
        newsletter: str | None = None,
        mode: PostMode = "channel",
    ) -> None:
        """Announce a server's new issues (of ``newsletter``, or of all) in a channel, pinging
        ``role_id`` or nobody, posted as ``mode`` says; a new one announces issues added from
        now on, one set again keeps its start (and its ledger)."""
        now = self._db.clock().isoformat()
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO announcements(guild_id, channel_id, role_id, newsletter, enabled,"
                " disabled_reason, since, updated_at, mode) VALUES (?, ?, ?, ?, 1, NULL, ?, ?, ?)"
                " ON CONFLICT(guild_id) DO UPDATE SET channel_id = excluded.channel_id,"
                " role_id = excluded.role_id, newsletter = excluded.newsletter, enabled = 1,"
                " disabled_reason = NULL, updated_at = excluded.updated_at, mode = excluded.mode",
                (guild_id, channel_id, role_id, newsletter, now, now, mode),
            )

    async def get(self, guild_id: int) -> AnnouncementRecord | None:
        rows = await self._db.rows(
            f"SELECT {_COLUMNS} FROM announcements a WHERE a.guild_id = ?", (guild_id,)
        )
        return _announcement(rows[0]) if rows else None

    async def stop(self, guild_id: int) -> bool:
        """Delete a server's announcement; False if it had none."""
        async with self._db.transaction() as db:
            cursor = await db.execute("DELETE FROM announcements WHERE guild_id = ?", (guild_id,))
            return cursor.rowcount > 0

    async def disable(self, guild_id: int, reason: str) -> None:
        log.warning("announcements of guild %s disabled: %s", guild_id, reason)
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE announcements SET enabled = 0, disabled_reason = ?, updated_at = ?"
                " WHERE guild_id = ?",
                (reason, self._db.clock().isoformat(), guild_id),
            )

    async def announced(self, guild_id: int) -> list[tuple[str, int]]:
        """The issues a server has announced, (newsletter, number), oldest first."""
        rows = await self._db.rows(
            "SELECT newsletter, issue FROM announced_issues WHERE guild_id = ?"
            " ORDER BY announced_at, newsletter, issue",
            (guild_id,),
        )
        return [(row[0], row[1]) for row in rows]

    async def run_due(self, post: Announcer) -> int:
        """Announce every issue due in every server once; one server's failure never touches
        another's. Returns how many announcements were posted."""
        posted = 0
        disabled: set[int] = set()
        for announcement, newsletter, number in await self._due():
            guild = announcement.guild_id
            if guild in disabled:
                continue
            issue = await self._issues.get(number, newsletter)
            if issue is None:  # removed since the query
                continue
            if not await self._claim(guild, newsletter, number, announcement.channel_id):
                continue
            try:
                await post(announcement, issue)
                posted += 1
            except ChannelUnavailable as error:
                await self.disable(guild, str(error))
                disabled.add(guild)
            except Exception:
                log.exception(
                    "announcement of %s #%s in guild %s failed", newsletter, number, guild
                )
        return posted

    async def _due(self) -> list[tuple[AnnouncementRecord, str, int]]:
        """(announcement, newsletter, issue) for every issue still served that was queued
        after the announcement was set and that its server has not announced, oldest first."""
        rows = await self._db.rows(
            f"SELECT {_COLUMNS}, q.newsletter, q.issue FROM announcements a"
            " JOIN new_issues q ON (a.newsletter IS NULL OR a.newsletter = q.newsletter)"
            " AND q.added_at >= a.since"
            " JOIN issues i ON i.newsletter = q.newsletter AND i.number = q.issue"
            " WHERE a.enabled = 1 AND NOT EXISTS (SELECT 1 FROM announced_issues l"
            "   WHERE l.guild_id = a.guild_id AND l.newsletter = q.newsletter"
            "   AND l.issue = q.issue)"
            " ORDER BY q.added_at, q.newsletter, q.issue"
        )
        return [(_announcement(row[:_WIDTH]), row[_WIDTH], row[_WIDTH + 1]) for row in rows]

    async def _claim(self, guild_id: int, newsletter: str, issue: int, channel_id: int) -> bool:
        """Claim an issue's announcement in a server in the ledger; False when it was claimed
        before (announced before a crash, or by another pass)."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO announced_issues(guild_id, newsletter, issue, channel_id,"
                " announced_at) VALUES (?, ?, ?, ?, ?)",
                (guild_id, newsletter, issue, channel_id, self._db.clock().isoformat()),
            )
            return cursor.rowcount == 1
