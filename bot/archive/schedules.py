"""Scheduled archive posts: each server's schedules (several, each with an id), validated
cron, and a ledger of posted slots.

One scheduler pass (``run_due``) looks at every enabled schedule whose ``next_run_at`` has
come. However many slots were missed while the bot was down, it posts once, for the latest
missed slot, then moves ``next_run_at`` past now. The slot is claimed in ``posted_slots``
(unique per schedule and slot) before posting, "posting" until Discord answers, then "posted";
a claim a crash or a cut connection left "posting" is sent again with the same nonce
(``bot.archive.ledger``), so a slot is posted once, neither lost nor twice. A post that fails
for good (a refusal, nothing to pick) is "failed" and not retried.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import itertools
import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

from bot.archive.db import Database, time_or_none
from bot.archive.ledger import FAILED, POSTED, POSTING, nonce
from bot.archive.records import ScheduleRecord
from bot.errors import ChannelUnavailable, PostUncertain, ScheduleError

log = logging.getLogger(__name__)

#: Schedules a server may have at most: ``/archive show`` shows each in an embed of one message.
MAX_SCHEDULES = 10

#: Schedules that fire more often than this are refused: an archive pick is not a ticker.
DEFAULT_MIN_INTERVAL = dt.timedelta(hours=1)


#: Names the time zone database holds that are not places: refused as schedule zones.
_NOT_ZONES = ("Factory", "localtime", "posixrules")


@functools.cache
def time_zones() -> tuple[str, ...]:
    """Every IANA zone a schedule may use, sorted (read once: the database is on disk)."""
    return tuple(
        sorted(
            name
            for name in available_timezones()
            if name not in _NOT_ZONES and not name.startswith(("posix/", "right/"))
        )
    )


def zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``; ``ScheduleError`` for anything else."""
    if name in time_zones():
        return ZoneInfo(name)
    raise ScheduleError(
        f"Unknown time zone “{name}”. Use an IANA name such as Europe/Paris, America/New_York or UTC."
    )


def _iterate(cron: str, tz: ZoneInfo, after: dt.datetime) -> Iterator[dt.datetime]:
    """Run times after ``after``, in UTC; ``ScheduleError`` for an invalid expression.

    Each local time runs once: when clocks go back, the hour that repeats is skipped the
    second time (a run at the same wall-clock time as the one before it, or as ``after``,
    which is the slot just posted when the scheduler asks for the next). A local time that
    does not exist when clocks go forward runs at the first time after it.
    """
    previous = _wall(after, tz)
    for run in _runs(cron, tz, after):
        wall = _wall(run, tz)
        if wall != previous:
            yield run
        previous = wall


def _wall(moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The wall-clock time ``moment`` shows in ``tz``, without its offset."""
    return moment.astimezone(tz).replace(tzinfo=None)


def _runs(cron: str, tz: ZoneInfo, after: dt.datetime) -> Iterator[dt.datetime]:
    """croniter's run times after ``after``, in UTC; ``ScheduleError`` for an invalid one."""
    fields = cron.split()
    if len(fields) != 5:
        raise ScheduleError(
            f"“{cron}” is not a 5-field cron expression (minute hour day-of-month month day-of-week), "
            "e.g. `0 9 * * 1` for Mondays at 09:00."
        )
    try:
        iterator = croniter(cron, after.astimezone(tz))
        first = iterator.get_next(dt.datetime)
    except (CroniterBadCronError, CroniterBadDateError, ValueError, KeyError) as error:
        raise ScheduleError(
            f"“{cron}” is not a valid cron expression ({error}). Example: `0 9 * * 1` is Mondays at 09:00."
        ) from None
    yield first.astimezone(dt.UTC)
    while True:
        yield iterator.get_next(dt.datetime).astimezone(dt.UTC)


#: How far ahead ``check_interval`` looks: a year, or this many runs if they come first.
_CHECK_RUNS = 1000


def check_interval(
    cron: str, timezone: str, after: dt.datetime, min_interval: dt.timedelta
) -> None:
    """``ScheduleError`` when any gap between two runs of the coming year (not only the
    first gap) is shorter than ``min_interval``. Costs up to ~30 ms: call it off the loop."""
    runs = _iterate(cron, zone(timezone), after)
    previous = next(runs)
    horizon = previous + dt.timedelta(days=366)
    for run in itertools.islice(runs, _CHECK_RUNS):
        if run - previous < min_interval:
            raise ScheduleError(_too_often(cron, min_interval))
        if run > horizon:
            return
        previous = run


def _too_often(cron: str, min_interval: dt.timedelta) -> str:
    minutes = int(min_interval.total_seconds() // 60)
    every = "once an hour" if minutes == 60 else f"once every {minutes} minutes"
    hourly = "`0 * * * *` (every hour) or " if minutes <= 60 else ""
    return (
        f"“{cron}” runs more than {every}. Archive picks can be posted at most {every}, "
        f"e.g. {hourly}`0 9 * * *` (daily at 09:00)."
    )


def next_runs(
    cron: str,
    timezone: str,
    after: dt.datetime,
    count: int = 3,
    min_interval: dt.timedelta = DEFAULT_MIN_INTERVAL,
) -> list[dt.datetime]:
    """The next ``count`` run times strictly after ``after``, in UTC.

    Raise ``ScheduleError`` for an invalid expression or zone, or one that ever runs more
    often than ``min_interval``.
    """
    check_interval(cron, timezone, after, min_interval)
    return list(itertools.islice(_iterate(cron, zone(timezone), after), count))


#: Presets beside raw cron, each at a time of day.
PRESETS = ("daily", "weekly", "monthly")
#: Weekday names, Monday first, as cron numbers them (Sunday 0).
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def preset_cron(preset: str, time: str, weekday: str = "Monday", day: int = 1) -> str:
    """The cron expression of a preset at ``time`` (HH:MM): ``daily``; ``weekly`` on
    ``weekday``; ``monthly`` on ``day`` (1–28, so that every month has it).
    ``ScheduleError`` for anything else."""
    if preset not in PRESETS:
        raise ScheduleError(f"“{preset}” is not a preset: use daily, weekly or monthly.")
    found = _TIME.match(time.strip())
    if found is None:
        raise ScheduleError(f"“{time}” is not a time of day: use HH:MM, e.g. 09:00 or 18:30.")
    hour, minute = int(found.group(1)), int(found.group(2))
    if preset == "daily":
        return f"{minute} {hour} * * *"
    if preset == "weekly":
        if weekday not in WEEKDAYS:
            raise ScheduleError(f"“{weekday}” is not a day of the week: use Monday to Sunday.")
        return f"{minute} {hour} * * {(WEEKDAYS.index(weekday) + 1) % 7}"
    if not 1 <= day <= 28:
        raise ScheduleError(
            f"Day {day} is not in every month: a monthly post takes a day from 1 to 28."
        )
    return f"{minute} {hour} {day} * *"


Poster = Callable[[ScheduleRecord, dt.datetime, int], Awaitable[str | None]]
"""Posts a pick for a schedule's slot with the nonce given (the same for every try of that
slot); returns the posted title (None: nothing to post)."""


_COLUMNS = (
    "id, guild_id, channel_id, cron, timezone, next_run_at, enabled, disabled_reason,"
    " last_post_at, last_post_title, newsletter"
)


def _schedule(row: Sequence[Any]) -> ScheduleRecord:
    ident, guild, channel, cron, tz, next_run, enabled, reason, last_at, last_title, letter = row
    return ScheduleRecord(
        ident, guild, channel, cron, tz, time_or_none(next_run), bool(enabled), reason,
        time_or_none(last_at), last_title, letter,
    )  # fmt: skip


class Schedules:
    """Every server's archive schedules: add, show, stop, and the pass that posts due slots."""

    def __init__(self, db: Database, min_interval: dt.timedelta = DEFAULT_MIN_INTERVAL) -> None:
        self._db = db
        self.min_interval = min_interval

    async def add(
        self,
        guild_id: int,
        channel_id: int,
        cron: str,
        timezone: str,
        newsletter: str | None = None,
    ) -> tuple[int, list[dt.datetime]]:
        """Add a schedule to a server's (posting from ``newsletter``, or from all), starting
        from now (no backfill); ``ScheduleError`` if it can't be used. Its id and next runs."""
        runs = await asyncio.to_thread(
            next_runs, cron, timezone, self._db.clock(), min_interval=self.min_interval
        )
        if len(await self.all(guild_id)) >= MAX_SCHEDULES:
            raise ScheduleError(
                f"This server has {MAX_SCHEDULES} archive schedules, the most it can have: "
                "stop one with /archive stop first."
            )
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO schedules(guild_id, channel_id, cron, timezone, next_run_at, enabled,"
                " disabled_reason, updated_at, newsletter) VALUES (?, ?, ?, ?, ?, 1, NULL, ?, ?)",
                (guild_id, channel_id, cron, timezone, runs[0].isoformat(),
                 self._db.clock().isoformat(), newsletter),
            )  # fmt: skip
            assert cursor.lastrowid is not None
            return cursor.lastrowid, runs

    async def all(self, guild_id: int) -> list[ScheduleRecord]:
        """A server's schedules, oldest first."""
        rows = await self._db.rows(
            f"SELECT {_COLUMNS} FROM schedules WHERE guild_id = ? ORDER BY id", (guild_id,)
        )
        return [_schedule(row) for row in rows]

    async def get(self, guild_id: int, schedule_id: int | None = None) -> ScheduleRecord | None:
        """The server's schedule with ``schedule_id``, or, without one, the server's only
        schedule; None when there is no such schedule (or, without an id, several)."""
        found = await self.all(guild_id)
        if schedule_id is None:
            return found[0] if len(found) == 1 else None
        return next((schedule for schedule in found if schedule.id == schedule_id), None)

    async def stop(self, guild_id: int, schedule_id: int) -> bool:
        """Delete one of a server's schedules (its ledger rows stay); False if it had none."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM schedules WHERE guild_id = ? AND id = ?", (guild_id, schedule_id)
            )
            return cursor.rowcount > 0

    async def disable(self, schedule: ScheduleRecord, reason: str) -> None:
        log.warning(
            "archive schedule %s of guild %s disabled: %s", schedule.id, schedule.guild_id, reason
        )
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE schedules SET enabled = 0, disabled_reason = ?, updated_at = ?"
                " WHERE id = ?",
                (reason, self._db.clock().isoformat(), schedule.id),
            )

    async def record_post(self, schedule_id: int, title: str) -> None:
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE schedules SET last_post_at = ?, last_post_title = ? WHERE id = ?",
                (self._db.clock().isoformat(), title, schedule_id),
            )

    async def posted_slots(self, guild_id: int) -> list[str]:
        """The slots the ledger holds for a server's schedules, oldest first."""
        rows = await self._db.rows(
            "SELECT slot FROM posted_slots WHERE guild_id = ? ORDER BY slot, schedule_id",
            (guild_id,),
        )
        return [row[0] for row in rows]

    async def pause_unfit(self) -> list[int]:
        """Disable, with the reason, every schedule that no longer fits the minimum interval
        (the config may have raised it since); return their ids."""
        paused = []
        rows = await self._db.rows(f"SELECT {_COLUMNS} FROM schedules WHERE enabled = 1")
        for schedule in map(_schedule, rows):
            try:
                await asyncio.to_thread(
                    check_interval,
                    schedule.cron,
                    schedule.timezone,
                    self._db.clock(),
                    self.min_interval,
                )
            except ScheduleError as error:
                await self.disable(schedule, f"paused: {error}")
                paused.append(schedule.id)
        return paused

    def latest_missed_slot(self, schedule: ScheduleRecord) -> dt.datetime:
        """The last slot at or before now: the one a catch-up posts (earlier ones are skipped)."""
        assert schedule.next_run_at is not None
        now = self._db.clock()
        slot = schedule.next_run_at
        for run in _iterate(schedule.cron, zone(schedule.timezone), schedule.next_run_at):
            if run > now:
                break
            slot = run
        return slot

    async def run_due(self, post: Poster) -> int:
        """Post every due schedule once; one schedule's failure never touches another's.

        Returns how many posts were made.
        """
        posted = 0
        for schedule, slot in await self._unconfirmed():
            log.info(
                "archive schedule %s of guild %s: slot %s sent again (its last try was interrupted)",
                schedule.id, schedule.guild_id, slot.isoformat(),
            )  # fmt: skip
            posted += await self._post(schedule, slot, post)
        due = await self._db.rows(
            f"SELECT {_COLUMNS} FROM schedules"
            " WHERE enabled = 1 AND next_run_at <= ? ORDER BY next_run_at, id",
            (self._db.clock().isoformat(),),
        )
        for schedule in map(_schedule, due):
            try:
                slot = self.latest_missed_slot(schedule)
                now = self._db.clock()
                # From the slot, so that the hour clocks repeat is known as posted.
                following = next(
                    run
                    for run in _iterate(schedule.cron, zone(schedule.timezone), slot)
                    if run > now
                )
                if following - slot < self.min_interval:  # a gap the set-time check missed
                    raise ScheduleError(_too_often(schedule.cron, self.min_interval))
                if not await self._claim(schedule, slot, following):
                    continue
            except ScheduleError as error:  # a zone or expression that stopped being valid
                await self.disable(schedule, f"paused: {error}")
                continue
            except Exception:
                log.exception(
                    "archive schedule %s of guild %s failed", schedule.id, schedule.guild_id
                )
                continue
            posted += await self._post(schedule, slot, post)
        return posted

    async def _post(self, schedule: ScheduleRecord, slot: dt.datetime, post: Poster) -> int:
        """Post a claimed slot and settle its claim; 1 if a pick was posted."""
        key = (schedule.id, slot.isoformat())
        try:
            title = await post(schedule, slot, nonce("archive post", *key))
        except ChannelUnavailable as error:
            await self._settle(key, FAILED)
            await self.disable(schedule, str(error))
            return 0
        except PostUncertain as error:  # maybe posted: the next pass asks again
            log.warning(
                "archive schedule %s of guild %s: slot %s not confirmed (%s): trying again",
                schedule.id, schedule.guild_id, key[1], error,
            )  # fmt: skip
            return 0
        except Exception:
            await self._settle(key, FAILED)
            log.exception("archive schedule %s of guild %s failed", schedule.id, schedule.guild_id)
            return 0
        await self._settle(key, POSTED if title is not None else FAILED)
        if title is None:
            return 0
        await self.record_post(schedule.id, title)
        return 1

    async def _unconfirmed(self) -> list[tuple[ScheduleRecord, dt.datetime]]:
        """The claims of enabled schedules left "posting" (by a crash, a cut connection)."""
        columns = ", ".join(f"s.{column.strip()}" for column in _COLUMNS.split(","))
        rows = await self._db.rows(
            f"SELECT {columns}, p.slot FROM posted_slots p JOIN schedules s"
            " ON s.id = p.schedule_id WHERE p.state = ? AND s.enabled = 1 ORDER BY p.slot, s.id",
            (POSTING,),
        )
        return [(_schedule(row[:-1]), dt.datetime.fromisoformat(row[-1])) for row in rows]

    async def _settle(self, key: tuple[int, str], state: str) -> None:
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE posted_slots SET state = ?, posted_at = ? WHERE schedule_id = ? AND slot = ?",
                (state, self._db.clock().isoformat(), *key),
            )

    async def _claim(
        self, schedule: ScheduleRecord, slot: dt.datetime, following: dt.datetime
    ) -> bool:
        """Claim ``slot`` of ``schedule`` in the ledger and move its ``next_run_at`` to
        ``following``, together.

        False when the slot was claimed before (posted before a crash, or by another pass).
        """
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO posted_slots(schedule_id, guild_id, slot, channel_id,"
                " posted_at, state) VALUES (?, ?, ?, ?, ?, ?)",
                (schedule.id, schedule.guild_id, slot.isoformat(), schedule.channel_id,
                 self._db.clock().isoformat(), POSTING),
            )  # fmt: skip
            claimed = cursor.rowcount == 1
            await db.execute(
                "UPDATE schedules SET next_run_at = ? WHERE id = ?",
                (following.isoformat(), schedule.id),
            )
        return claimed
