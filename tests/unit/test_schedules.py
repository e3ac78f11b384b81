"""Schedules: cron validation, next runs, catch-up at most once, never a slot twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.archive.db import Database
from bot.archive.records import ScheduleRecord
from bot.archive.schedules import MAX_SCHEDULES, Schedules, next_runs, preset_cron
from bot.errors import ChannelUnavailable, PostUncertain, ScheduleError
from tests.conftest import FakeClock

UTC = dt.UTC
START = dt.datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # a Monday


def test_next_runs_in_a_time_zone() -> None:
    runs = next_runs("0 9 * * 1", "Europe/Paris", START)
    assert runs == [
        dt.datetime(2026, 1, 12, 8, 0, tzinfo=UTC),  # 09:00 Paris is 08:00 UTC in winter
        dt.datetime(2026, 1, 19, 8, 0, tzinfo=UTC),
        dt.datetime(2026, 1, 26, 8, 0, tzinfo=UTC),
    ]
    summer = next_runs("0 9 * * *", "Europe/Paris", dt.datetime(2026, 7, 1, tzinfo=UTC), 1)
    assert summer == [dt.datetime(2026, 7, 1, 7, 0, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("cron", "tz", "message"),
    [
        ("every monday", "UTC", "not a 5-field cron expression"),
        ("0 9 * *", "UTC", "not a 5-field cron expression"),
        ("61 9 * * *", "UTC", "not a valid cron expression"),
        ("0 9 * * mon", "Mars/Olympus", "Unknown time zone"),
        ("*/5 * * * *", "UTC", "more than once an hour"),
        ("0,30 9 * * *", "UTC", "more than once an hour"),  # the first gap is 23h30
        ("0 9 * * *", "localtime", "Unknown time zone"),
        ("0 9 * * *", "posixrules", "Unknown time zone"),
        ("0 9 * * *", "Factory", "Unknown time zone"),
        ("0 9 * * *", "right/UTC", "Unknown time zone"),
    ],
)
def test_invalid_schedules_explain_the_fix(cron: str, tz: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        next_runs(cron, tz, START)


@pytest.fixture
async def store(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Database]:
    opened = await Database.open(tmp_path / "schedules.sqlite3", clock)
    yield opened
    await opened.close()


class Recorder:
    def __init__(self) -> None:
        self.posts: list[tuple[int, dt.datetime]] = []
        self.fail_for: dict[int, BaseException] = {}
        self.nonces: list[int] = []

    async def __call__(self, schedule: ScheduleRecord, slot: dt.datetime, nonce: int) -> str | None:
        self.nonces.append(nonce)
        if schedule.guild_id in self.fail_for:
            raise self.fail_for[schedule.guild_id]
        self.posts.append((schedule.guild_id, slot))
        return f"pick for {slot:%H:%M}"


async def test_a_new_schedule_starts_from_now_and_posts_on_time(
    store: Database, clock: FakeClock
) -> None:
    schedules = Schedules(store)
    schedule_id, runs = await schedules.add(1, 100, "0 * * * *", "UTC")
    assert schedule_id == 1
    assert runs[0] == dt.datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # not 08:00, which already passed
    recorder = Recorder()
    assert await schedules.run_due(recorder) == 0
    clock.advance(hours=1)
    assert await schedules.run_due(recorder) == 1
    assert await schedules.run_due(recorder) == 0  # same slot, same minute: nothing more
    assert recorder.posts == [(1, dt.datetime(2026, 1, 5, 9, 0, tzinfo=UTC))]
    (shown,) = await schedules.all(1)
    assert shown.last_post_title == "pick for 09:00"
    assert shown.next_run_at == dt.datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


async def test_downtime_posts_the_missed_slot_once(store: Database, clock: FakeClock) -> None:
    schedules = Schedules(store)
    await schedules.add(1, 100, "0 * * * *", "UTC")
    clock.advance(hours=5, minutes=30)  # down from 08:00 to 13:30: five slots missed
    recorder = Recorder()
    assert await schedules.run_due(recorder) == 1
    assert recorder.posts == [(1, dt.datetime(2026, 1, 5, 13, 0, tzinfo=UTC))]
    clock.advance(minutes=10)
    assert await schedules.run_due(recorder) == 0


async def test_a_claimed_slot_is_never_posted_again(store: Database, clock: FakeClock) -> None:
    """A crash after posting but before next_run_at moved on must not post the slot twice."""
    schedules = Schedules(store)
    await schedules.add(1, 100, "0 * * * *", "UTC")
    clock.advance(hours=1)
    recorder = Recorder()
    await schedules.run_due(recorder)
    # Simulate the crash: put next_run_at back as if the advance had been lost.
    async with store.transaction() as db:
        await db.execute("UPDATE schedules SET next_run_at = '2026-01-05T09:00:00+00:00'")
    assert await schedules.run_due(recorder) == 0
    assert len(recorder.posts) == 1


class Crash(BaseException):
    """The process dying mid-post (not caught as an error)."""


async def test_a_slot_a_crash_left_unconfirmed_is_sent_again_with_its_nonce(
    store: Database, clock: FakeClock
) -> None:
    schedules = Schedules(store)
    await schedules.add(1, 100, "0 * * * *", "UTC")
    clock.advance(hours=1)
    recorder = Recorder()
    recorder.fail_for[1] = Crash()
    with pytest.raises(Crash):  # claimed, sent, then the process died before the answer
        await schedules.run_due(recorder)
    del recorder.fail_for[1]
    clock.advance(minutes=5)  # restarted: the slot is past, its claim still "posting"
    assert await schedules.run_due(recorder) == 1
    assert await schedules.run_due(recorder) == 0
    nine = dt.datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert recorder.posts == [(1, nine)]
    assert len(recorder.nonces) == 2 and recorder.nonces[0] == recorder.nonces[1]
    (shown,) = await schedules.all(1)
    assert shown.last_post_title == "pick for 09:00"
    # A cut connection: the claim stays until a try is confirmed; a refusal is not retried.
    clock.advance(hours=1)
    recorder.fail_for[1] = PostUncertain("ServerDisconnectedError")
    assert await schedules.run_due(recorder) == 0
    recorder.fail_for[1] = RuntimeError("Discord refused the embed")
    assert await schedules.run_due(recorder) == 0
    recorder.fail_for.clear()
    assert await schedules.run_due(recorder) == 0
    assert recorder.nonces[2] == recorder.nonces[3] != recorder.nonces[0]
    assert len(recorder.nonces) == 4 and len(recorder.posts) == 1


async def test_an_unavailable_channel_disables_only_that_guild(
    store: Database, clock: FakeClock
) -> None:
    schedules = Schedules(store)
    await schedules.add(1, 100, "0 * * * *", "UTC")
    await schedules.add(2, 200, "0 * * * *", "UTC")
    await schedules.add(3, 300, "0 * * * *", "UTC")
    recorder = Recorder()
    recorder.fail_for[1] = ChannelUnavailable("the channel was deleted (Discord error 10003)")
    recorder.fail_for[2] = RuntimeError("boom")
    clock.advance(hours=1)
    assert await schedules.run_due(recorder) == 1
    assert recorder.posts == [(3, dt.datetime(2026, 1, 5, 9, 0, tzinfo=UTC))]
    (first,) = await schedules.all(1)
    assert not first.enabled and "10003" in (first.disabled_reason or "")
    (second,) = await schedules.all(2)
    assert second.enabled  # a passing error does not disable
    clock.advance(hours=1)
    recorder.fail_for.clear()
    await schedules.run_due(recorder)
    assert {guild for guild, _ in recorder.posts} == {2, 3}  # the disabled guild stays quiet


async def test_set_adds_a_schedule_and_stop_removes_one(store: Database) -> None:
    schedules = Schedules(store)
    first, _ = await schedules.add(1, 100, "0 9 * * *", "UTC")
    await schedules.disable((await schedules.all(1))[0], "gone")
    second, _ = await schedules.add(1, 101, "0 10 * * *", "Europe/Paris")
    other, _ = await schedules.add(2, 200, "0 9 * * *", "UTC")
    assert (first, second, other) == (1, 2, 3)
    old, new = await schedules.all(1)
    assert (old.id, old.enabled, old.disabled_reason) == (first, False, "gone")  # untouched
    assert (new.id, new.channel_id, new.enabled) == (second, 101, True)
    assert await schedules.stop(2, first) is False  # another server's id stops nothing
    assert await schedules.stop(1, first) is True
    assert [s.id for s in await schedules.all(1)] == [second]
    assert await schedules.stop(1, first) is False
    assert await schedules.stop(1, second) is True
    third, _ = await schedules.add(1, 100, "0 9 * * *", "UTC")
    assert third == 4  # ids are never reused


async def test_a_server_has_at_most_ten_schedules(store: Database) -> None:
    schedules = Schedules(store)
    for hour in range(MAX_SCHEDULES):
        await schedules.add(1, 100, f"0 {hour} * * *", "UTC")
    with pytest.raises(ScheduleError, match="has 10 archive schedules, the most it can have"):
        await schedules.add(1, 100, "0 12 * * *", "UTC")
    assert len(await schedules.all(1)) == MAX_SCHEDULES
    await schedules.add(2, 200, "0 12 * * *", "UTC")  # another server has its own


async def test_several_schedules_of_a_server_post_each_slot_once(
    store: Database, clock: FakeClock
) -> None:
    schedules = Schedules(store)
    hourly, _ = await schedules.add(1, 100, "0 * * * *", "UTC")
    again, _ = await schedules.add(1, 101, "0 * * * *", "UTC")  # the same slots, elsewhere
    lost, _ = await schedules.add(1, 102, "0 * * * *", "UTC")
    posted: list[tuple[int, dt.datetime]] = []

    async def post(schedule: ScheduleRecord, slot: dt.datetime, _: int) -> str | None:
        if schedule.id == lost:
            raise ChannelUnavailable("the channel was deleted (Discord error 10003)")
        posted.append((schedule.id, slot))
        return "pick"

    clock.advance(hours=1)
    assert await schedules.run_due(post) == 2
    nine = dt.datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert sorted(posted) == [(hourly, nine), (again, nine)]
    # Both moved on; put them back as a crash before the move would: the ledger refuses.
    async with store.transaction() as db:
        await db.execute("UPDATE schedules SET next_run_at = ?", (nine.isoformat(),))
    assert await schedules.run_due(post) == 0
    assert len(posted) == 2
    assert await Schedules(store).posted_slots(1) == [nine.isoformat()] * 3
    states = {s.id: (s.enabled, s.disabled_reason) for s in await schedules.all(1)}
    assert states[hourly] == states[again] == (True, None)  # a lost channel stops only its own
    assert not states[lost][0] and "10003" in (states[lost][1] or "")
    clock.advance(hours=1)
    assert await schedules.run_due(post) == 2


async def test_a_schedule_that_no_longer_fits_is_paused_with_the_reason(
    store: Database, clock: FakeClock
) -> None:
    await Schedules(store).add(1, 100, "0 * * * *", "UTC")
    await Schedules(store).add(2, 200, "0 9 * * *", "UTC")
    stricter = Schedules(store, dt.timedelta(hours=2))  # the config was raised since
    assert await stricter.pause_unfit() == [1]
    (paused,) = await stricter.all(1)
    assert not paused.enabled
    assert (paused.disabled_reason or "").startswith("paused: “0 * * * *” runs more than")
    clock.advance(hours=2)
    recorder = Recorder()
    await stricter.run_due(recorder)  # no traceback loop: the paused one is simply not due
    assert [guild for guild, _ in recorder.posts] == [2]
    assert await stricter.pause_unfit() == []  # and it is paused once, not at every pass


async def _posts_across(
    store: Database, clock: FakeClock, cron: str, start: dt.datetime, hours: int
) -> list[dt.datetime]:
    """Run the scheduler every 10 minutes for ``hours`` from ``start`` (Europe/Paris)."""
    clock.now = start
    schedules = Schedules(store)
    await schedules.add(1, 100, cron, "Europe/Paris")
    recorder = Recorder()
    for _ in range(hours * 6):
        clock.advance(minutes=10)
        await schedules.run_due(recorder)
    return [slot for _, slot in recorder.posts]


async def test_spring_forward_adds_no_post(store: Database, clock: FakeClock) -> None:
    """29 March 2026, Paris: 02:00 jumps to 03:00, so 02:30 does not exist that day."""
    daily = await _posts_across(
        store, clock, "30 2 * * *", dt.datetime(2026, 3, 27, 12, tzinfo=UTC), 72
    )
    assert daily == [
        dt.datetime(2026, 3, 28, 1, 30, tzinfo=UTC),  # 02:30 CET
        dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # the missing 02:30 is posted at 03:00 CEST
        dt.datetime(2026, 3, 30, 0, 30, tzinfo=UTC),  # 02:30 CEST
    ]


async def test_spring_forward_hourly_posts_each_hour_once(
    store: Database, clock: FakeClock
) -> None:
    hourly = await _posts_across(
        store, clock, "0 * * * *", dt.datetime(2026, 3, 28, 23, 5, tzinfo=UTC), 4
    )
    assert hourly == [dt.datetime(2026, 3, 29, hour, tzinfo=UTC) for hour in (0, 1, 2, 3)]


@pytest.mark.parametrize("late", [0, 7])  # the scheduler passes on the slot, or 7 min after
async def test_fall_back_posts_no_second_time(store: Database, clock: FakeClock, late: int) -> None:
    """25 October 2026, Paris: 03:00 goes back to 02:00, so 02:30 happens twice; one post."""
    daily = await _posts_across(
        store, clock, "30 2 * * *", dt.datetime(2026, 10, 23, 12, late, tzinfo=UTC), 72
    )
    assert daily == [
        dt.datetime(2026, 10, 24, 0, 30, tzinfo=UTC),  # 02:30 CEST
        dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 02:30 CEST, the first of two
        dt.datetime(2026, 10, 26, 1, 30, tzinfo=UTC),  # 02:30 CET
    ]
    shown = next_runs("30 2 * * *", "Europe/Paris", dt.datetime(2026, 10, 24, 12, tzinfo=UTC))
    assert shown == [*daily[1:], dt.datetime(2026, 10, 27, 1, 30, tzinfo=UTC)]


async def test_fall_back_hourly_posts_the_repeated_hour_once(
    store: Database, clock: FakeClock
) -> None:
    hourly = await _posts_across(
        store, clock, "0 * * * *", dt.datetime(2026, 10, 24, 23, 5, tzinfo=UTC), 4
    )
    # 02:00 CEST; 02:00 CET skipped (that local time was posted); 03:00 CET; 04:00 CET
    assert hourly == [dt.datetime(2026, 10, 25, hour, tzinfo=UTC) for hour in (0, 2, 3)]


@pytest.mark.parametrize(
    ("preset", "time", "weekday", "day", "cron"),
    [
        ("daily", "09:00", "Monday", 1, "0 9 * * *"),
        ("daily", "7:05", "Monday", 1, "5 7 * * *"),
        ("weekly", "18:30", "Thursday", 1, "30 18 * * 4"),
        ("weekly", "10:00", "Sunday", 1, "0 10 * * 0"),
        ("monthly", "08:15", "Monday", 28, "15 8 28 * *"),
    ],
)
def test_presets_are_cron(preset: str, time: str, weekday: str, day: int, cron: str) -> None:
    assert preset_cron(preset, time, weekday, day) == cron


@pytest.mark.parametrize(
    ("preset", "time", "weekday", "day", "message"),
    [
        ("yearly", "09:00", "Monday", 1, "“yearly” is not a preset: use daily, weekly or monthly."),
        ("daily", "24:00", "Monday", 1, "“24:00” is not a time of day: use HH:MM"),
        ("daily", "9h", "Monday", 1, "“9h” is not a time of day"),
        ("weekly", "09:00", "Caturday", 1, "“Caturday” is not a day of the week"),
        ("monthly", "09:00", "Monday", 31, "Day 31 is not in every month"),
    ],
)
def test_presets_refuse_what_cannot_be_a_schedule(
    preset: str, time: str, weekday: str, day: int, message: str
) -> None:
    with pytest.raises(ScheduleError) as caught:
        preset_cron(preset, time, weekday, day)
    assert str(caught.value).startswith(message)
