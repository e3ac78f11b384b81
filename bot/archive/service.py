"""The one door into the core: what the cogs, the console and the benchmark may ask of the
archive. Nothing here knows Discord; everything heavy runs off the event loop.

It serves one newsletter or several. A ``newsletter`` argument (an id) narrows a question to
one of them; None asks about every one.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import random
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from bot.archive.announcements import Announcements, Announcer
from bot.archive.feeds import FeedPoller
from bot.archive.imports import (
    ImportFile,
    ImportPreview,
    ImportRefused,
    SavedImport,
    check_name,
    check_size,
    download,
    parse_import,
    safe_name,
    write_import,
)
from bot.archive.ingest import Scan, parse_files, plan_changes, scan_folder
from bot.archive.records import (
    NO_FILTERS,
    AnnouncementRecord,
    FeedState,
    IssueRecord,
    LoadReport,
    LoadSummary,
    ResourceRecord,
    ScheduleRecord,
    SearchFilters,
    SearchHit,
)
from bot.archive.rows import FileState, ParsedFile
from bot.archive.schedules import DEFAULT_MIN_INTERVAL, Poster, ScheduledPosts
from bot.archive.search import Searcher
from bot.archive.store import ArchiveStore, Clock, ContentWrite, release, utcnow
from bot.config import Settings
from bot.content.links import issue_url
from bot.content.loader import ContentSource
from bot.content.models import DEFAULT_NEWSLETTER_ID, Problem
from bot.errors import ContentError


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
        if not gc.get_freeze_count():
            # The process's first load: what is alive now (every module, the archive's
            # caches) is left out of later collections. A full one walked it all while holding
            # the GIL, 20-40 ms, and came as soon as the collector was back on.
            gc.freeze()
        if was_enabled:
            gc.enable()


class ArchiveService:
    """Open with ``ArchiveService.open`` (it closes what it opened if that fails)."""

    def __init__(
        self,
        store: ArchiveStore,
        sources: ContentSource | Sequence[ContentSource],
        *,
        min_interval: dt.timedelta = DEFAULT_MIN_INTERVAL,
        rng: random.Random | None = None,
    ) -> None:
        self.sources = [sources] if isinstance(sources, ContentSource) else list(sources)
        if not self.sources:
            raise ValueError("an archive serves at least one newsletter")
        self._store = store
        self._searcher = Searcher(store, self.newsletters)
        self._schedules = ScheduledPosts(store, min_interval)
        self._announcements = Announcements(store, self.issue)
        self._feeds = FeedPoller(store, self.sources, self.issue_numbers, self.reload)
        self._reload_lock = asyncio.Lock()
        self.rng = rng or random.Random()
        #: Problems found by the last load (files skipped or kept at their previous version).
        self.problems: list[Problem] = []

    @classmethod
    async def open(
        cls,
        database: Path,
        sources: ContentSource | Sequence[ContentSource],
        clock: Clock = utcnow,
        *,
        min_interval: dt.timedelta = DEFAULT_MIN_INTERVAL,
    ) -> ArchiveService:
        """Open the database (``DatabaseError`` if it can't be used) and serve what it holds;
        ``reload`` reads the content folder."""
        store = await ArchiveStore.open(database, clock)
        try:
            service = cls(store, sources, min_interval=min_interval)
            await store.adopt(service.sources[0].newsletter)
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
        newsletter: str | None = None,
    ) -> tuple[ArchiveService, LoadReport]:
        """Open the configured database (or ``database``) and load every configured
        newsletter into it, or only ``folder``, read as ``newsletter`` (default: the first):
        every check that comes before Discord.

        Raise an ``ArchiveBotError`` subclass, with nothing left open, when the database can't
        be used or a folder is missing.
        """
        sources = (
            [ContentSource.from_settings(settings, folder, newsletter)]
            if folder
            else ContentSource.every(settings)
        )
        service = await cls.open(
            database or settings.database_path,
            sources,
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

    @property
    def source(self) -> ContentSource:
        """The first newsletter's content."""
        return self.sources[0]

    @property
    def newsletters(self) -> dict[str, str]:
        """Each newsletter's name by id, in config order."""
        return {source.newsletter: source.newsletter_name for source in self.sources}

    # -- loading -------------------------------------------------------------------------

    async def reload(self) -> LoadReport:
        """Bring every newsletter up to date with its content folder, reading only what
        changed; a summary per newsletter.

        Every file that parses is served; one that fails keeps its previous version (named
        in ``LoadSummary.kept``) and every problem is in ``LoadSummary.problems``. A missing
        folder raises ``ContentError`` and changes nothing, in any newsletter. The content of
        a newsletter no longer served leaves the archive.
        """
        async with self._reload_lock:
            with _collector_paused():
                return await self._reload()

    async def _reload(self) -> LoadReport:
        scans = []
        for source in self.sources:
            known = await self._store.file_states(source.newsletter)
            scans.append(await asyncio.to_thread(_scan, source, known))
        gone = await self._store.forget_newsletters(list(self.newsletters))
        summaries = [
            await self._load(source, scan) for source, scan in zip(self.sources, scans, strict=True)
        ]
        report = LoadReport(tuple(summaries))
        if gone or not report.unchanged:
            await self._searcher.refresh()
        self.problems = list(report.problems)
        return report

    async def _load(self, source: ContentSource, scan: Scan) -> LoadSummary:
        """Apply what one newsletter's scan found."""
        stored = await self._store.stored_issues(source.newsletter)
        if stored or not scan.changed:
            parsed = await asyncio.to_thread(parse_files, scan.changed, source)
            plan = await asyncio.to_thread(plan_changes, scan, parsed, stored, source)
            summary = await self._store.apply(source.newsletter, plan.changes)
        else:  # a first load: each issue is written as soon as it is parsed
            async with self._store.content_write(source.newsletter) as write:
                parsed = await self._parse_writing(scan, source, write)
                plan = await asyncio.to_thread(plan_changes, scan, parsed, stored, source)
                summary = await write.finish(plan.changes)
        await asyncio.to_thread(release, parsed, plan.changes.upserts)
        return replace(summary, problems=tuple(plan.problems), kept=tuple(plan.kept))

    @staticmethod
    async def _parse_writing(
        scan: Scan, source: ContentSource, write: ContentWrite
    ) -> list[ParsedFile]:
        """Parse the scan's files, handing each run of them to ``write`` as it comes: the
        database takes in one run while the next is parsed."""
        loop = asyncio.get_running_loop()
        arrived: asyncio.Queue[list[ParsedFile] | None] = asyncio.Queue()
        stop = threading.Event()

        def heard(run: list[ParsedFile]) -> None:  # in the parsing thread
            if stop.is_set():  # the write failed: stop parsing (the workers are killed)
                raise _WriteFailed
            loop.call_soon_threadsafe(arrived.put_nowait, run)

        def parse() -> list[ParsedFile]:
            try:
                return parse_files(scan.changed, source, heard)
            finally:
                loop.call_soon_threadsafe(arrived.put_nowait, None)

        parsing = asyncio.ensure_future(asyncio.to_thread(parse))
        try:
            while (run := await arrived.get()) is not None:
                await write.early([item.content for item in run if item.content])
        except BaseException:
            stop.set()
            with contextlib.suppress(Exception):
                await parsing
            raise
        return await parsing

    # -- imports -------------------------------------------------------------------------

    def _source(self, newsletter: str | None) -> ContentSource:
        return next((s for s in self.sources if s.newsletter == newsletter), self.sources[0])

    def check_import(self, name: str, size: int) -> None:
        """``ImportRefused`` for a file an import does not take, by its name and size (before
        it is downloaded)."""
        check_name(name)
        check_size(size)

    async def download_import(self, url: str) -> ImportFile:
        """The issue file at ``url`` (http or https), within the import limits;
        ``ImportRefused`` says why not."""
        return await download(url)

    async def preview_import(
        self, name: str, data: bytes, newsletter: str | None = None
    ) -> ImportPreview:
        """``data`` (a file called ``name``) read as an issue of ``newsletter`` (default: the
        first), as a load would read it, without saving anything; ``ImportRefused`` for a
        type an import does not take."""
        source = self._source(newsletter)
        file_name = safe_name(name)
        issue, problems = await asyncio.to_thread(parse_import, file_name, data, source)
        existing = None
        if issue is not None:
            found = await self._store.issue(source.newsletter, issue.number)
            existing = found.source if found is not None else None
        return ImportPreview(source.newsletter, file_name, data, issue, tuple(problems), existing)

    async def save_import(self, preview: ImportPreview) -> tuple[SavedImport, LoadReport]:
        """Write a previewed issue into its newsletter's content folder (under a free name:
        never over a file), then reload (which queues its announcement); where it went and
        what the reload changed. ``ImportRefused`` when its number was loaded since the
        preview, ``ValueError`` for a preview that can't be saved."""
        issue = preview.issue
        if issue is None or not preview.can_save:
            raise ValueError("this preview cannot be saved")
        source = self._source(preview.newsletter)
        found = await self._store.issue(source.newsletter, issue.number)
        if found is not None:  # loaded since the preview
            raise ImportRefused("exists", found.source)
        async with self._reload_lock:
            name = await asyncio.to_thread(
                write_import, source.folder, preview.file_name, preview.data
            )
        report = await self.reload()
        return SavedImport(source.newsletter, name, issue.number), report

    # -- issues --------------------------------------------------------------------------

    def _ids(self, newsletter: str | None) -> list[str]:
        return [newsletter] if newsletter is not None else list(self.newsletters)

    def _linked(self, issue: IssueRecord | None) -> IssueRecord | None:
        """``issue`` with the address its newsletter's ``issue_url`` gives it, when its file
        states none (worked out when read, so dates inferred later and a changed template count)."""
        if issue is None or issue.url is not None:
            return issue
        template = next(
            (s.issue_url for s in self.sources if s.newsletter == issue.newsletter), None
        )
        if template is None:
            return issue
        url = issue_url(template, issue.number, issue.year, issue.month, issue.title)
        return replace(issue, url=url)

    async def latest_issue(self, newsletter: str | None = None) -> IssueRecord | None:
        """The latest issue of ``newsletter`` (default: the first newsletter)."""
        return self._linked(
            await self._store.latest_issue(newsletter or self.sources[0].newsletter)
        )

    async def latest_issues(self, newsletter: str | None = None) -> list[IssueRecord]:
        """The latest issue of each newsletter (or of ``newsletter``), in config order."""
        found = [await self.latest_issue(letter) for letter in self._ids(newsletter)]
        return [issue for issue in found if issue is not None]

    async def issue(self, number: int, newsletter: str | None = None) -> IssueRecord | None:
        """Issue ``number`` of ``newsletter``, or of the first newsletter (in config order)
        that has one."""
        for letter in self._ids(newsletter):
            found = await self._store.issue(letter, number)
            if found is not None:
                return self._linked(found)
        return None

    async def issue_numbers(self, newsletter: str | None = None) -> list[int]:
        """Every issue number (of ``newsletter``, or of any), oldest first."""
        numbers = set()
        for letter in self._ids(newsletter):
            numbers.update(await self._store.numbers(letter))
        return sorted(numbers)

    async def counts(self, newsletter: str | None = None) -> tuple[int, int]:
        """(issues, resources) served now."""
        return await self._store.counts(newsletter)

    async def loaded_at(self) -> dt.datetime | None:
        return await self._store.loaded_at()

    # -- search --------------------------------------------------------------------------

    async def search(
        self,
        query: str,
        limit: int = 10,
        newsletter: str | None = None,
        filters: SearchFilters = NO_FILTERS,
    ) -> list[SearchHit]:
        """Best matches for ``query`` (in ``newsletter``, or in all; within ``filters``)."""
        return await self._searcher.search(query, limit, newsletter, filters)

    async def autocomplete_sections(
        self, partial: str, newsletter: str | None = None, limit: int = 25
    ) -> list[str]:
        """Section names (of ``newsletter``, or of any) holding what was typed, most used first."""
        wanted = partial.strip().casefold()
        found = [s for s in await self._store.sections(newsletter) if wanted in s.casefold()]
        return found[:limit]

    async def autocomplete_years(self, partial: str, newsletter: str | None = None) -> list[int]:
        """Years issues (of ``newsletter``, or of any) are dated that begin with what was
        typed, newest first."""
        wanted = partial.strip()
        return [y for y in await self._store.years(newsletter) if str(y).startswith(wanted)]

    async def suggest(self, query: str, newsletter: str | None = None) -> list[str]:
        """Titles close to a query that found nothing ("did you mean …")."""
        return await self._searcher.suggest(query, newsletter=newsletter)

    async def autocomplete_titles(
        self, partial: str, newsletter: str | None = None
    ) -> list[tuple[str, int]]:
        return await self._searcher.autocomplete_titles(partial, newsletter=newsletter)

    def autocomplete_issues(
        self, partial: str, newsletter: str | None = None
    ) -> list[tuple[int, str]]:
        return self._searcher.autocomplete_issues(partial, newsletter=newsletter)

    def find_newsletter(self, value: str) -> str | None:
        """The id of the newsletter that ``value`` names (its id or its name), or None."""
        wanted = value.strip().casefold()
        for letter, name in self.newsletters.items():
            if wanted in (letter, name.casefold()):
                return letter
        return None

    def autocomplete_newsletters(self, partial: str) -> list[tuple[str, str]]:
        """Newsletters whose id or name holds what was typed: (id, name), config order."""
        wanted = partial.strip().casefold()
        return [
            (letter, name)
            for letter, name in self.newsletters.items()
            if wanted in letter or wanted in name.casefold()
        ]

    # -- picks ---------------------------------------------------------------------------

    async def pick(self, scope: str, newsletter: str | None = None) -> ResourceRecord | None:
        """A "from the archives" pick for ``scope`` (a channel id, or any name): a resource
        (of ``newsletter``, or of any) from before its newsletter's latest issue, no repeats
        until every one has had its turn. None when only latest issues exist."""
        choice = await self._store.next_pick(scope, self.rng, newsletter)
        if choice is None:
            if not await self._store.has_archive(newsletter):
                return None
            await self._store.forget_picks(scope)  # every candidate had its turn: new round
            choice = await self._store.next_pick(scope, self.rng, newsletter)
            if choice is None:
                return None
        await self._store.record_pick(scope, choice.key)
        return choice

    async def preview_pick(
        self, scope: str, newsletter: str | None = None
    ) -> ResourceRecord | None:
        """A pick drawn as ``pick`` would draw it for ``scope`` (no repeats this round; a new
        round when every candidate had its turn), without using it up: nothing is recorded."""
        rng = random.Random()
        choice = await self._store.next_pick(scope, rng, newsletter)
        if choice is None and await self._store.has_archive(newsletter):
            # Every candidate had its turn: the next pick starts a new round, as a scope
            # with no history would. Previews are never recorded, so this one has none.
            choice = await self._store.next_pick(f"preview:{scope}", rng, newsletter)
        return choice

    # -- schedules -----------------------------------------------------------------------

    async def set_schedule(
        self,
        guild_id: int,
        channel_id: int,
        cron: str,
        timezone: str,
        newsletter: str | None = None,
    ) -> tuple[int, list[dt.datetime]]:
        """Add a schedule to a server's, posting from ``newsletter`` or from all
        (``ScheduleError`` if it can't be used); its id and the next runs."""
        return await self._schedules.set(guild_id, channel_id, cron, timezone, newsletter)

    async def schedules(self, guild_id: int) -> list[ScheduleRecord]:
        """A server's schedules, oldest first."""
        return await self._schedules.all(guild_id)

    async def schedule(
        self, guild_id: int, schedule_id: int | None = None
    ) -> ScheduleRecord | None:
        """The server's schedule with ``schedule_id``, or, without one, the server's only
        schedule; None when there is no such schedule (or, without an id, several)."""
        found = await self._schedules.all(guild_id)
        if schedule_id is None:
            return found[0] if len(found) == 1 else None
        return next((schedule for schedule in found if schedule.id == schedule_id), None)

    async def stop_schedule(self, guild_id: int, schedule_id: int) -> bool:
        """Delete one of a server's schedules; False if it had none with that id."""
        return await self._schedules.stop(guild_id, schedule_id)

    async def disable_schedule(self, schedule: ScheduleRecord, reason: str) -> None:
        await self._schedules.disable(schedule, reason)

    async def record_schedule_post(self, schedule_id: int, title: str) -> None:
        await self._schedules.record_post(schedule_id, title)

    async def run_due_schedules(self, post: Poster) -> int:
        """Post every due schedule once (see ``ScheduledPosts.run_due``); how many posted."""
        return await self._schedules.run_due(post)

    # -- announcements -------------------------------------------------------------------

    async def set_announcement(
        self, guild_id: int, channel_id: int, role_id: int | None, newsletter: str | None = None
    ) -> None:
        """Announce a server's new issues (of ``newsletter``, or of all) in a channel, pinging
        ``role_id`` or nobody; issues added before it was first set are not announced."""
        await self._announcements.set(guild_id, channel_id, role_id, newsletter)

    async def announcement(self, guild_id: int) -> AnnouncementRecord | None:
        return await self._announcements.get(guild_id)

    async def stop_announcement(self, guild_id: int) -> bool:
        """Delete a server's announcement; False if it had none."""
        return await self._announcements.stop(guild_id)

    async def disable_announcement(self, guild_id: int, reason: str) -> None:
        await self._announcements.disable(guild_id, reason)

    async def announced(self, guild_id: int) -> list[tuple[str, int]]:
        """The issues a server has announced, (newsletter, number), oldest first."""
        return await self._store.announced(guild_id)

    async def run_announcements(self, post: Announcer) -> int:
        """Announce every new issue due in every server once; how many were posted."""
        return await self._announcements.run_due(post)

    # -- feeds ---------------------------------------------------------------------------

    async def poll_feeds(self) -> int:
        """Poll every configured feed that is due; its new entries become issue files in
        their newsletter's folder, then one reload serves (and queues to announce) them. How
        many issue files were written."""
        return await self._feeds.poll_due()

    async def feed_state(self, newsletter: str, url: str) -> FeedState:
        """What a feed's last poll left (validators, failures, next poll)."""
        return await self._store.feed_state(newsletter, url)

    # -- settings kept in the database -----------------------------------------------------

    async def setting(self, key: str) -> str | None:
        return await self._store.meta(key)

    async def save_setting(self, key: str, value: str) -> None:
        await self._store.set_meta(key, value)


class _WriteFailed(Exception):
    """Raised in the parsing thread to stop a first load whose writing failed."""


def _scan(source: ContentSource, known: dict[str, FileState]) -> Scan:
    """``scan_folder`` for one newsletter; a missing folder's problem names the newsletter."""
    try:
        return scan_folder(source.folder, known)
    except ContentError:
        if source.newsletter == DEFAULT_NEWSLETTER_ID:
            raise
        problem = Problem(
            str(source.folder),
            None,
            f"content folder of newsletter {source.newsletter} not found "
            f"(check newsletters[{source.newsletter}].folder in the config)",
        )
        raise ContentError([problem]) from None
