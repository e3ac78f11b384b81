"""The one door into the core: what the cogs, the console and the benchmark may ask of the
archive. Nothing here knows Discord; everything heavy runs off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import random
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from bot.archive.ingest import parse_files, plan_changes, scan_folder
from bot.archive.records import IssueRecord, LoadSummary, ResourceRecord, ScheduleRecord, SearchHit
from bot.archive.schedules import DEFAULT_MIN_INTERVAL, Poster, ScheduledPosts
from bot.archive.search import Searcher
from bot.archive.store import ArchiveStore, Clock, utcnow
from bot.config import Settings
from bot.content.loader import ContentSource
from bot.content.models import Problem


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the length of a load.

    A load allocates a few hundred thousand objects (parsed issues, rows); the collections they
    trigger each walk every live object while holding the GIL, and so stall the event loop for
    50–100 ms at 60,000 resources (measured by the benchmark). Nothing a load allocates needs
    the cycle collector meanwhile: reference counting frees it when the load ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class ArchiveService:
    """Open with ``ArchiveService.open`` (it closes what it opened if that fails)."""

    def __init__(
        self,
        store: ArchiveStore,
        source: ContentSource,
        *,
        min_interval: dt.timedelta = DEFAULT_MIN_INTERVAL,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._searcher = Searcher(store)
        self._schedules = ScheduledPosts(store, min_interval)
        self._reload_lock = asyncio.Lock()
        self.source = source
        self.rng = rng or random.Random()
        #: Problems found by the last load (files skipped or kept at their previous version).
        self.problems: list[Problem] = []

    @classmethod
    async def open(
        cls,
        database: Path,
        source: ContentSource,
        clock: Clock = utcnow,
        *,
        min_interval: dt.timedelta = DEFAULT_MIN_INTERVAL,
    ) -> ArchiveService:
        """Open the database (``DatabaseError`` if it can't be used) and serve what it holds;
        ``reload`` reads the content folder."""
        store = await ArchiveStore.open(database, clock)
        try:
            service = cls(store, source, min_interval=min_interval)
            await service._searcher.refresh()
            await service._schedules.pause_unfit()
        except BaseException:
            await store.close()
            raise
        return service

    @classmethod
    async def from_settings(
        cls,
        settings: Settings,
        *,
        folder: Path | None = None,
        database: Path | None = None,
        clock: Clock = utcnow,
    ) -> tuple[ArchiveService, LoadSummary]:
        """Open the configured database (or ``database``) and load the configured content
        folder (or ``folder``) into it: every check that comes before Discord.

        Raise an ``ArchiveBotError`` subclass, with nothing left open, when the database can't
        be used or the folder is missing.
        """
        service = await cls.open(
            database or settings.database_path,
            ContentSource.from_settings(settings, folder),
            clock,
            min_interval=dt.timedelta(minutes=settings.discord.schedule_min_interval_minutes),
        )
        try:
            summary = await service.reload()
        except BaseException:
            await service.close()
            raise
        return service, summary

    async def close(self) -> None:
        await self._store.close()

    @property
    def clock(self) -> Clock:
        return self._store.clock

    # -- loading -------------------------------------------------------------------------

    async def reload(self) -> LoadSummary:
        """Bring the archive up to date with the content folder, reading only what changed.

        Every file that parses is served; one that fails keeps its previous version (named
        in ``LoadSummary.kept``) and every problem is in ``LoadSummary.problems``. A missing
        folder raises ``ContentError`` and changes nothing.
        """
        async with self._reload_lock:
            with _collector_paused():
                return await self._reload()

    async def _reload(self) -> LoadSummary:
        known = await self._store.file_states()
        scan = await asyncio.to_thread(scan_folder, self.source.folder, known)
        parsed = await asyncio.to_thread(parse_files, scan.changed, self.source)
        stored = await self._store.stored_issues()
        plan = await asyncio.to_thread(plan_changes, scan, parsed, stored, self.source)
        summary = await self._store.apply(plan.changes)
        if not summary.unchanged:
            await self._searcher.refresh()
        self.problems = plan.problems
        return replace(summary, problems=tuple(plan.problems), kept=tuple(plan.kept))

    # -- issues --------------------------------------------------------------------------

    async def latest_issue(self) -> IssueRecord | None:
        return await self._store.latest_issue()

    async def issue(self, number: int) -> IssueRecord | None:
        return await self._store.issue(number)

    async def issue_numbers(self) -> list[int]:
        """Every issue number, oldest first."""
        return await self._store.numbers()

    async def counts(self) -> tuple[int, int]:
        """(issues, resources) served now."""
        return await self._store.counts()

    async def loaded_at(self) -> dt.datetime | None:
        return await self._store.loaded_at()

    # -- search --------------------------------------------------------------------------

    async def search(self, query: str, limit: int = 10) -> list[SearchHit]:
        return await self._searcher.search(query, limit)

    async def suggest(self, query: str) -> list[str]:
        """Titles close to a query that found nothing ("did you mean …")."""
        return await self._searcher.suggest(query)

    async def autocomplete_titles(self, partial: str) -> list[tuple[str, int]]:
        return await self._searcher.autocomplete_titles(partial)

    def autocomplete_issues(self, partial: str) -> list[tuple[int, str]]:
        return self._searcher.autocomplete_issues(partial)

    # -- picks ---------------------------------------------------------------------------

    async def pick(self, scope: str) -> ResourceRecord | None:
        """A "from the archives" pick for ``scope`` (a channel id, or any name): a resource
        from before the latest issue, no repeats until every one has had its turn. None
        when only the latest issue exists."""
        choice = await self._store.next_pick(scope, self.rng)
        if choice is None:
            if not await self._store.has_archive():
                return None
            await self._store.forget_picks(scope)  # every candidate had its turn: new round
            choice = await self._store.next_pick(scope, self.rng)
            if choice is None:
                return None
        await self._store.record_pick(scope, choice.key)
        return choice

    # -- schedules -----------------------------------------------------------------------

    async def set_schedule(
        self, guild_id: int, channel_id: int, cron: str, timezone: str
    ) -> list[dt.datetime]:
        """Save a server's schedule (``ScheduleError`` if it can't be used); the next runs."""
        return await self._schedules.set(guild_id, channel_id, cron, timezone)

    async def schedule(self, guild_id: int) -> ScheduleRecord | None:
        return await self._schedules.get(guild_id)

    async def stop_schedule(self, guild_id: int) -> bool:
        """Delete a server's schedule; False if it had none."""
        return await self._schedules.stop(guild_id)

    async def disable_schedule(self, guild_id: int, reason: str) -> None:
        await self._schedules.disable(guild_id, reason)

    async def record_schedule_post(self, guild_id: int, title: str) -> None:
        await self._schedules.record_post(guild_id, title)

    async def run_due_schedules(self, post: Poster) -> int:
        """Post every due schedule once (see ``ScheduledPosts.run_due``); how many posted."""
        return await self._schedules.run_due(post)

    # -- settings kept in the database -----------------------------------------------------

    async def setting(self, key: str) -> str | None:
        return await self._store.meta(key)

    async def save_setting(self, key: str, value: str) -> None:
        await self._store.set_meta(key, value)
