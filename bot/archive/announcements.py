"""Announcements of new issues: per-server settings, the queue a load fills, and the pass
that posts what a load added.

A load queues each issue newer than every issue its newsletter had (``new_issues``; the first
load is the baseline and queues nothing). One pass (``run_due``) announces, in each server
whose announcement is enabled, every queued issue added after that announcement was set. Each
(server, newsletter, issue) is claimed in the ledger ("posting") before it is posted and marked
"posted" once Discord answered; a claim a crash left "posting" is sent again with the same
nonce, so that nothing is lost and nothing announced twice (``bot.archive.ledger``). A post
Discord refused for good is marked "failed" and not retried; one to a channel that is gone
gives its claim back, and the server's announcements are disabled until set again.
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
from bot.archive.ledger import FAILED, POSTED, POSTING, nonce
from bot.archive.records import AnnouncementRecord, IssueRecord, PostMode
from bot.errors import ChannelUnavailable, PostUncertain

log = logging.getLogger(__name__)

Announcer = Callable[[AnnouncementRecord, IssueRecord, int], Awaitable[None]]
"""Posts an issue's announcement in a server's channel, with the nonce given (the same for
every try of that announcement)."""

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
        """The issues a server has announced (Discord confirmed the post), (newsletter,
        number), oldest first."""
        rows = await self._db.rows(
            "SELECT newsletter, issue FROM announced_issues WHERE guild_id = ? AND state = ?"
            " ORDER BY announced_at, newsletter, issue",
            (guild_id, POSTED),
        )
        return [(row[0], row[1]) for row in rows]

    async def run_due(self, post: Announcer) -> int:
        """Announce every issue due in every server once; one server's failure never touches
        another's. Returns how many announcements were posted."""
        posted = 0
        skipped: set[int] = set()  # disabled, or Discord not answering: none of its later posts
        for announcement, newsletter, number, state in await self._due():
            guild = announcement.guild_id
            if guild in skipped:
                continue
            issue = await self._issues.get(number, newsletter)
            if issue is None:  # removed since the query
                continue
            if state == POSTING:
                log.info(
                    "announcing %s #%s in guild %s again (its last try was interrupted)",
                    newsletter, number, guild,
                )  # fmt: skip
            elif not await self._claim(guild, newsletter, number, announcement.channel_id):
                continue
            key = (guild, newsletter, number)
            try:
                await post(announcement, issue, nonce(*key))
            except ChannelUnavailable as error:  # nothing was posted: the claim goes back
                await self._settle(key, None)
                await self.disable(guild, str(error))
                skipped.add(guild)
            except PostUncertain as error:  # maybe posted: the next pass asks again
                skipped.add(guild)  # keeps the order: no later issue goes first
                log.warning(
                    "announcement of %s #%s in guild %s not confirmed (%s): trying again",
                    newsletter, number, guild, error,
                )  # fmt: skip
            except Exception:
                await self._settle(key, FAILED)
                log.exception(
                    "announcement of %s #%s in guild %s failed", newsletter, number, guild
                )
            else:
                await self._settle(key, POSTED)
                posted += 1
        return posted

    async def _due(self) -> list[tuple[AnnouncementRecord, str, int, str | None]]:
        """(announcement, newsletter, issue, claim state) for every issue still served that
        was queued after the announcement was set and that its server has not announced (no
        claim, or one left "posting"), oldest first."""
        rows = await self._db.rows(
            f"SELECT {_COLUMNS}, q.newsletter, q.issue, l.state FROM announcements a"
            " JOIN new_issues q ON (a.newsletter IS NULL OR a.newsletter = q.newsletter)"
            " AND q.added_at >= a.since"
            " JOIN issues i ON i.newsletter = q.newsletter AND i.number = q.issue"
            " LEFT JOIN announced_issues l ON l.guild_id = a.guild_id"
            "   AND l.newsletter = q.newsletter AND l.issue = q.issue"
            " WHERE a.enabled = 1 AND (l.state IS NULL OR l.state = ?)"
            " ORDER BY q.added_at, q.newsletter, q.issue",
            (POSTING,),
        )
        return [
            (_announcement(row[:_WIDTH]), row[_WIDTH], row[_WIDTH + 1], row[_WIDTH + 2])
            for row in rows
        ]

    async def _claim(self, guild_id: int, newsletter: str, issue: int, channel_id: int) -> bool:
        """Claim an issue's announcement in a server in the ledger ("posting"); False when it
        was claimed before (by another pass)."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO announced_issues(guild_id, newsletter, issue, channel_id,"
                " announced_at, state) VALUES (?, ?, ?, ?, ?, ?)",
                (guild_id, newsletter, issue, channel_id, self._db.clock().isoformat(), POSTING),
            )
            return cursor.rowcount == 1

    async def _settle(self, key: tuple[int, str, int], state: str | None) -> None:
        """Mark a claim "posted" or "failed" (with the time), or give it back (None)."""
        async with self._db.transaction() as db:
            if state is None:
                await db.execute(
                    "DELETE FROM announced_issues WHERE guild_id = ? AND newsletter = ?"
                    " AND issue = ?",
                    key,
                )
            else:
                await db.execute(
                    "UPDATE announced_issues SET state = ?, announced_at = ?"
                    " WHERE guild_id = ? AND newsletter = ? AND issue = ?",
                    (state, self._db.clock().isoformat(), *key),
                )
