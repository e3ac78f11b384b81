"""Scheduled archive posts: per-guild settings, validated cron, and a ledger of posted slots.

One scheduler pass (``run_due``) looks at every enabled schedule whose ``next_run_at`` has
come. However many slots were missed while the bot was down, it posts once, for the latest
missed slot, then moves ``next_run_at`` past now. The slot is claimed in ``posted_slots``
(unique per guild and slot) before posting, so a slot is never posted twice, even across a
crash; the price is that a post that fails after its claim is not retried.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

from bot.archive.store import Archive
from bot.errors import ChannelUnavailable, ScheduleError

log = logging.getLogger(__name__)

#: Schedules that fire more often than this are refused: an archive pick is not a ticker.
DEFAULT_MIN_INTERVAL = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Schedule:
    guild_id: int
    channel_id: int
    cron: str
    timezone: str
    next_run_at: dt.datetime | None
    enabled: bool
    disabled_reason: str | None
    last_post_at: dt.datetime | None
    last_post_title: str | None


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"Unknown time zone “{name}”. Use an IANA name such as Europe/Paris, America/New_York or UTC."
        ) from None


def next_runs(
    cron: str,
    timezone: str,
    after: dt.datetime,
    count: int = 3,
    min_interval: dt.timedelta = DEFAULT_MIN_INTERVAL,
) -> list[dt.datetime]:
    """The next ``count`` run times strictly after ``after``, in UTC.

    Raise ``ScheduleError`` for an invalid expression or zone, or one that runs more often
    than ``min_interval``.
    """
    tz = zone(timezone)
    fields = cron.split()
    if len(fields) != 5:
        raise ScheduleError(
            f"“{cron}” is not a 5-field cron expression (minute hour day-of-month month day-of-week), "
            "e.g. `0 9 * * 1` for Mondays at 09:00."
        )
    try:
        iterator = croniter(cron, after.astimezone(tz))
        runs = [iterator.get_next(dt.datetime).astimezone(dt.UTC) for _ in range(max(count, 2))]
    except (CroniterBadCronError, CroniterBadDateError, ValueError, KeyError) as error:
        raise ScheduleError(
            f"“{cron}” is not a valid cron expression ({error}). Example: `0 9 * * 1` is Mondays at 09:00."
        ) from None
    if runs[1] - runs[0] < min_interval:
        minutes = int(min_interval.total_seconds() // 60)
        every = "once an hour" if minutes == 60 else f"once every {minutes} minutes"
        raise ScheduleError(
            f"“{cron}” runs more than {every}. Archive picks can be posted at most {every}, "
            "e.g. `0 * * * *` (every hour) or `0 9 * * *` (daily at 09:00)."
        )
    return runs[:count]


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _schedule(row: Any) -> Schedule:
    guild, channel, cron, tz, next_run, enabled, reason, last_at, last_title = row
    return Schedule(
        guild, channel, cron, tz, _time(next_run), bool(enabled), reason, _time(last_at), last_title
    )


_COLUMNS = "guild_id, channel_id, cron, timezone, next_run_at, enabled, disabled_reason, last_post_at, last_post_title"

Poster = Callable[[Schedule, dt.datetime], Awaitable[str | None]]
"""Posts a pick for a schedule's slot; returns the posted title (None: nothing to post)."""


class Schedules:
    def __init__(self, archive: Archive, min_interval: dt.timedelta = DEFAULT_MIN_INTERVAL) -> None:
        self.archive = archive
        self.min_interval = min_interval

    async def set(
        self, guild_id: int, channel_id: int, cron: str, timezone: str
    ) -> list[dt.datetime]:
        """Save a guild's schedule, starting from now (no backfill); return the next runs."""
        now = self.archive.clock()
        runs = next_runs(cron, timezone, now, min_interval=self.min_interval)
        await self.archive.write(
            "INSERT INTO schedules(guild_id, channel_id, cron, timezone, next_run_at, enabled,"
            " disabled_reason, updated_at) VALUES (?, ?, ?, ?, ?, 1, NULL, ?)"
            " ON CONFLICT(guild_id) DO UPDATE SET channel_id = excluded.channel_id, cron = excluded.cron,"
            " timezone = excluded.timezone, next_run_at = excluded.next_run_at, enabled = 1,"
            " disabled_reason = NULL, updated_at = excluded.updated_at",
            (guild_id, channel_id, cron, timezone, runs[0].isoformat(), now.isoformat()),
        )
        return runs

    async def get(self, guild_id: int) -> Schedule | None:
        rows = await self.archive.fetchall(
            f"SELECT {_COLUMNS} FROM schedules WHERE guild_id = ?", (guild_id,)
        )
        return _schedule(rows[0]) if rows else None

    async def stop(self, guild_id: int) -> bool:
        existed = await self.get(guild_id) is not None
        await self.archive.write("DELETE FROM schedules WHERE guild_id = ?", (guild_id,))
        return existed

    async def disable(self, guild_id: int, reason: str) -> None:
        await self.archive.write(
            "UPDATE schedules SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE guild_id = ?",
            (reason, self.archive.clock().isoformat(), guild_id),
        )

    async def record_post(self, guild_id: int, title: str) -> None:
        now = self.archive.clock().isoformat()
        await self.archive.write(
            "UPDATE schedules SET last_post_at = ?, last_post_title = ? WHERE guild_id = ?",
            (now, title, guild_id),
        )

    async def due(self) -> list[Schedule]:
        rows = await self.archive.fetchall(
            f"SELECT {_COLUMNS} FROM schedules WHERE enabled = 1 AND next_run_at <= ? ORDER BY next_run_at",
            (self.archive.clock().isoformat(),),
        )
        return [_schedule(row) for row in rows]

    async def _claim(self, schedule: Schedule, slot: dt.datetime) -> bool:
        """Claim ``slot`` in the ledger and advance ``next_run_at``, in one transaction.

        False when the slot was already claimed (posted before a crash or by another pass).
        """
        now = self.archive.clock()
        following = next_runs(
            schedule.cron, schedule.timezone, max(now, slot), 1, self.min_interval
        )[0]
        db = self.archive.writer
        await db.execute("BEGIN IMMEDIATE")
        try:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO posted_slots(guild_id, slot, channel_id, posted_at) VALUES (?, ?, ?, ?)",
                (schedule.guild_id, slot.isoformat(), schedule.channel_id, now.isoformat()),
            )
            claimed = cursor.rowcount == 1
            await db.execute(
                "UPDATE schedules SET next_run_at = ? WHERE guild_id = ?",
                (following.isoformat(), schedule.guild_id),
            )
        except BaseException:
            await db.rollback()
            raise
        await db.commit()
        return claimed

    def latest_missed_slot(self, schedule: Schedule) -> dt.datetime:
        """The last slot at or before now: the one a catch-up posts (earlier ones are skipped)."""
        assert schedule.next_run_at is not None
        now = self.archive.clock()
        slot = schedule.next_run_at
        for run in croniter(
            schedule.cron, schedule.next_run_at.astimezone(zone(schedule.timezone))
        ).all_next(dt.datetime):
            run = run.astimezone(dt.UTC)
            if run > now:
                break
            slot = run
        return slot

    async def run_due(self, post: Poster) -> int:
        """Post every due schedule once; one guild's failure never touches another's.

        Returns how many posts were made.
        """
        posted = 0
        for schedule in await self.due():
            try:
                slot = self.latest_missed_slot(schedule)
                if not await self._claim(schedule, slot):
                    continue
                title = await post(schedule, slot)
                if title is not None:
                    await self.record_post(schedule.guild_id, title)
                    posted += 1
            except ChannelUnavailable as error:
                log.warning("archive schedule of guild %s disabled: %s", schedule.guild_id, error)
                await self.disable(schedule.guild_id, str(error))
            except Exception:
                log.exception("archive schedule of guild %s failed", schedule.guild_id)
        return posted
