"""One write discipline: picks, schedule changes, ledger writes and settings hammer the service
while a reload fails midway and another succeeds. Readers only ever see the old or the new
content whole, the failed load leaves the previous content complete, every user write lands."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.archive.content import ContentStore
from bot.archive.records import ScheduleRecord
from bot.archive.service import ArchiveService
from tests.conftest import FakeClock

NEW_ISSUE = "---\nnumber: 29\ndate: 2022-05\n---\n# Machine Learning Monthly May 2022\n\n## Brand new tool\n\nIt does things.\n"
OLD, NEW = (5, 49), (4, 28)  # two seeds (9 + 13 resources) out, one issue in
LEDGER_GUILDS = range(100, 105)  # schedules due when the hammering starts
SCHEDULE_GUILDS = range(200, 203)  # set and stopped over and over
PICKERS, SETTERS, READERS = 3, 3, 3
PICKS_PER_SCOPE = 8  # far fewer than the candidates: no scope starts a new round


async def _snapshot(service: ArchiveService) -> list[tuple[int, int]]:
    """Every issue with its resource count, as the issue command reads them."""
    issues = [await service.issues.get(n) for n in await service.issues.numbers()]
    return [(i.number, len(i.resources)) for i in issues if i is not None]


class Worker:
    """One hammering task's state: whether an operation of it is under way, and whether it
    has tried one while the load held the writer."""

    def __init__(self) -> None:
        self.busy = False
        self.tried_during_load = asyncio.Event()


class Hammer:
    """Writers and readers that run until ``finished``; what each writer did is recorded."""

    def __init__(self, service: ArchiveService, load_paused: asyncio.Event) -> None:
        self.service = service
        self.load_paused = load_paused
        self.finished = asyncio.Event()
        self.workers: list[Worker] = []
        self.picks: Counter[str] = Counter()
        self.settings: dict[str, str] = {}
        self.schedules: dict[int, bool] = {}
        self.seen: set[tuple[int, int]] = set()
        self.ledger_posts = 0

    def _attempt(self, worker: Worker) -> None:
        worker.busy = True
        if self.load_paused.is_set():
            worker.tried_during_load.set()

    def load_paused_now(self) -> None:
        """The load holds the writer: a worker already under way tries during it."""
        self.load_paused.set()
        for worker in self.workers:
            if worker.busy:
                worker.tried_during_load.set()

    def tasks(self) -> list[Any]:
        loops = (
            [self._picker(n) for n in range(PICKERS)]
            + [self._setter(n) for n in range(SETTERS)]
            + [self._reader() for _ in range(READERS)]
            + [self._scheduler(guild) for guild in SCHEDULE_GUILDS]
            + [self._ledger()]
        )
        return loops

    def _worker(self) -> Worker:
        worker = Worker()
        self.workers.append(worker)
        return worker

    async def _picker(self, number: int) -> None:
        worker, made = self._worker(), 0
        while not self.finished.is_set():
            scope = f"picker{number}-{made // PICKS_PER_SCOPE}"
            self._attempt(worker)
            assert await self.service.picks.pick(scope) is not None
            self.picks[scope] += 1
            made += 1
            worker.busy = False

    async def _setter(self, number: int) -> None:
        worker, value = self._worker(), 0
        while not self.finished.is_set():
            self._attempt(worker)
            await self.service.meta.set(f"setting-{number}", str(value))
            self.settings[f"setting-{number}"] = str(value)
            value += 1
            worker.busy = False

    async def _scheduler(self, guild: int) -> None:
        worker = self._worker()
        while not self.finished.is_set():
            self._attempt(worker)
            schedule_id, _ = await self.service.schedules.add(guild, guild * 10, "0 9 * * *", "UTC")
            self.schedules[guild] = True
            self._attempt(worker)
            assert await self.service.schedules.stop(guild, schedule_id)
            self.schedules[guild] = False
            worker.busy = False

    async def _ledger(self) -> None:
        worker = self._worker()

        async def post(schedule: ScheduleRecord, _: dt.datetime, __: int) -> str | None:
            pick = await self.service.picks.pick(str(schedule.channel_id))
            return pick.title if pick else None

        while not self.finished.is_set():
            self._attempt(worker)
            self.ledger_posts += await self.service.schedules.run_due(post)
            worker.busy = False

    async def _reader(self) -> None:
        worker = self._worker()
        while not self.finished.is_set():
            self._attempt(worker)
            counts = await self.service.issues.counts()
            assert counts in (OLD, NEW), counts
            self.seen.add(counts)
            await self.service.search.find("resnet")
            worker.busy = False


async def test_writes_hammering_a_failing_then_succeeding_reload(
    service: ArchiveService,
    monkeypatch: pytest.MonkeyPatch,
    content_dir: Path,
    clock: FakeClock,
) -> None:
    for guild in LEDGER_GUILDS:
        await service.schedules.add(guild, guild * 10, "0 9 * * *", "UTC")
    clock.advance(hours=2)  # 10:00: every ledger schedule's 09:00 slot is due
    before = await _snapshot(service)
    (content_dir / "029.md").write_text(NEW_ISSUE)
    for path in list(content_dir.glob("00[01]_*.txt")):
        path.unlink()

    load_paused = asyncio.Event()
    hammer = Hammer(service, load_paused)
    # A pause inside the load's transaction (rows written, not committed): no public seam
    # sits there.
    original = ContentStore._insert_issues

    async def fail_midway(*args: Any) -> None:
        await original(*args)  # the new rows are written, not committed
        hammer.load_paused_now()
        await asyncio.gather(*(w.tried_during_load.wait() for w in hammer.workers))
        raise RuntimeError("disk full")

    async def loads() -> None:
        with monkeypatch.context() as patch:
            patch.setattr(ContentStore, "_insert_issues", staticmethod(fail_midway))
            with pytest.raises(RuntimeError, match="disk full"):
                await service.loader.reload()
        assert await _snapshot(service) == before  # the previous content, complete
        assert (await service.loader.reload()).issues == NEW[0]
        hammer.finished.set()

    await asyncio.gather(loads(), *hammer.tasks())

    assert hammer.seen <= {OLD, NEW} and OLD in hammer.seen
    assert await service.issues.counts() == NEW
    # Every user write landed: each pick in its scope's history (so none repeated: a read
    # snapshot held open by another task's query once let a pick miss the one before it), the last value of each
    # setting, each schedule as its last change left it, each due slot claimed once.
    for scope, made in hammer.picks.items():
        assert len(await service.picks.picked(scope)) == made, scope
    for key, value in hammer.settings.items():
        assert await service.meta.get(key) == value
    for guild, active in hammer.schedules.items():
        assert (await service.schedules.get(guild) is not None) == active
    assert hammer.ledger_posts == len(LEDGER_GUILDS)
    for guild in LEDGER_GUILDS:
        assert await service.schedules.posted_slots(guild) == ["2026-01-05T09:00:00+00:00"]
        schedule = await service.schedules.get(guild)
        assert schedule is not None and schedule.last_post_title
