"""Scheduled archive posts: each server's schedules (several, each with an id), validated
cron, and a ledger of posted slots.

One scheduler pass (``run_due``) looks at every enabled schedule whose ``next_run_at`` has
come. However many slots were missed while the bot was down, it posts once, for the latest
missed slot, then moves ``next_run_at`` past now. The slot is claimed in ``posted_slots``
(unique per schedule and slot) before posting, so a slot is never posted twice, even across a
crash; the price is that a post that fails after its claim is not retried.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import itertools
import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from zoneinfo import ZoneInfo, available_timezones

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

from bot.archive.records import ScheduleRecord
from bot.archive.store import ArchiveStore
from bot.errors import ChannelUnavailable, ScheduleError

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


Poster = Callable[[ScheduleRecord, dt.datetime], Awaitable[str | None]]
"""Posts a pick for a schedule's slot; returns the posted title (None: nothing to post)."""


class ScheduledPosts:
    """Every server's archive schedule: set, show, stop, and the pass that posts due slots."""

    def __init__(
        self, store: ArchiveStore, min_interval: dt.timedelta = DEFAULT_MIN_INTERVAL
    ) -> None:
        self._store = store
        self.min_interval = min_interval

    async def set(
        self,
        guild_id: int,
        channel_id: int,
        cron: str,
        timezone: str,
        newsletter: str | None = None,
    ) -> tuple[int, list[dt.datetime]]:
        """Add a schedule to a guild's (posting from ``newsletter``, or from all), starting
        from now (no backfill); return its id and the next runs."""
        runs = await asyncio.to_thread(
            next_runs, cron, timezone, self._store.clock(), min_interval=self.min_interval
        )
        if len(await self._store.schedules(guild_id)) >= MAX_SCHEDULES:
            raise ScheduleError(
                f"This server has {MAX_SCHEDULES} archive schedules, the most it can have: "
                "stop one with /archive stop first."
            )
        schedule_id = await self._store.save_schedule(
            guild_id, channel_id, cron, timezone, runs[0], newsletter
        )
        return schedule_id, runs

    async def all(self, guild_id: int) -> list[ScheduleRecord]:
        return await self._store.schedules(guild_id)

    async def stop(self, guild_id: int, schedule_id: int) -> bool:
        return await self._store.delete_schedule(guild_id, schedule_id)

    async def disable(self, schedule: ScheduleRecord, reason: str) -> None:
        log.warning(
            "archive schedule %s of guild %s disabled: %s", schedule.id, schedule.guild_id, reason
        )
        await self._store.disable_schedule(schedule.id, reason)

    async def record_post(self, schedule_id: int, title: str) -> None:
        await self._store.record_schedule_post(schedule_id, title)

    async def pause_unfit(self) -> list[int]:
        """Disable, with the reason, every schedule that no longer fits the minimum interval
        (the config may have raised it since); return their ids."""
        paused = []
        for schedule in await self._store.enabled_schedules():
            try:
                await asyncio.to_thread(
                    check_interval,
                    schedule.cron,
                    schedule.timezone,
                    self._store.clock(),
                    self.min_interval,
                )
            except ScheduleError as error:
                await self.disable(schedule, f"paused: {error}")
                paused.append(schedule.id)
        return paused

    def latest_missed_slot(self, schedule: ScheduleRecord) -> dt.datetime:
        """The last slot at or before now: the one a catch-up posts (earlier ones are skipped)."""
        assert schedule.next_run_at is not None
        now = self._store.clock()
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
        for schedule in await self._store.due_schedules(self._store.clock()):
            try:
                slot = self.latest_missed_slot(schedule)
                now = self._store.clock()
                # From the slot, so that the hour clocks repeat is known as posted.
                following = next(
                    run
                    for run in _iterate(schedule.cron, zone(schedule.timezone), slot)
                    if run > now
                )
                if following - slot < self.min_interval:  # a gap the set-time check missed
                    raise ScheduleError(_too_often(schedule.cron, self.min_interval))
                if not await self._store.claim_slot(schedule, slot, following):
                    continue
                title = await post(schedule, slot)
                if title is not None:
                    await self.record_post(schedule.id, title)
                    posted += 1
            except ChannelUnavailable as error:
                await self.disable(schedule, str(error))
            except ScheduleError as error:  # a zone or expression that stopped being valid
                await self.disable(schedule, f"paused: {error}")
            except Exception:
                log.exception(
                    "archive schedule %s of guild %s failed", schedule.id, schedule.guild_id
                )
        return posted
