"""Announcements of new issues: per-server settings, and the pass that posts what a load added.

A load queues each issue newer than every issue its newsletter had (``new_issues``; the first
load is the baseline and queues nothing). One pass (``run_due``) announces, in each server
whose announcement is enabled, every queued issue added after that announcement was set. Each
(server, newsletter, issue) is claimed in the ledger before it is posted, so nothing is
announced twice, even across a crash; as with schedules, a post that fails after its claim is
not retried.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.archive.records import AnnouncementRecord, IssueRecord
from bot.archive.store import ArchiveStore
from bot.errors import ChannelUnavailable

log = logging.getLogger(__name__)

Announcer = Callable[[AnnouncementRecord, IssueRecord], Awaitable[None]]
"""Posts an issue's announcement in a server's channel."""
IssueFinder = Callable[[int, str], Awaitable[IssueRecord | None]]
"""Issue (number) of a newsletter (id), as members see it."""


class Announcements:
    """Every server's announcement: set, show, stop, and the pass that posts new issues."""

    def __init__(self, store: ArchiveStore, find: IssueFinder) -> None:
        self._store = store
        self._find = find

    async def set(
        self, guild_id: int, channel_id: int, role_id: int | None, newsletter: str | None
    ) -> None:
        await self._store.save_announcement(guild_id, channel_id, role_id, newsletter)

    async def get(self, guild_id: int) -> AnnouncementRecord | None:
        return await self._store.announcement(guild_id)

    async def stop(self, guild_id: int) -> bool:
        return await self._store.delete_announcement(guild_id)

    async def disable(self, guild_id: int, reason: str) -> None:
        log.warning("announcements of guild %s disabled: %s", guild_id, reason)
        await self._store.disable_announcement(guild_id, reason)

    async def run_due(self, post: Announcer) -> int:
        """Announce every issue due in every server once; one server's failure never touches
        another's. Returns how many announcements were posted."""
        posted = 0
        disabled: set[int] = set()
        for announcement, newsletter, number in await self._store.due_announcements():
            guild = announcement.guild_id
            if guild in disabled:
                continue
            issue = await self._find(number, newsletter)
            if issue is None:  # removed since the query
                continue
            if not await self._store.claim_announcement(
                guild, newsletter, number, announcement.channel_id
            ):
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
