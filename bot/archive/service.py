"""The archive as the bot and the console use it: content source + database + search."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from bot.archive.picks import pick_from_archives
from bot.archive.records import LoadSummary, ResourceRecord
from bot.archive.search import Searcher
from bot.archive.store import Archive, Clock, utcnow
from bot.content.loader import ContentSource, load_issues
from bot.content.models import Problem


class ArchiveService:
    def __init__(
        self, archive: Archive, source: ContentSource, rng: random.Random | None = None
    ) -> None:
        self.archive = archive
        self.source = source
        self.search = Searcher(archive)
        self.rng = rng or random.Random()
        self.warnings: list[Problem] = []
        self._reload_lock = asyncio.Lock()

    @classmethod
    async def open(
        cls, database: Path, source: ContentSource, clock: Clock = utcnow
    ) -> ArchiveService:
        service = cls(await Archive.open(database, clock), source)
        await service.search.refresh()
        return service

    async def close(self) -> None:
        await self.archive.close()

    async def reload(self) -> LoadSummary:
        """Re-read the content folder and swap it in; raise ``ContentError`` (naming every
        file and line at fault) and keep the previous content if any file fails."""
        async with self._reload_lock:
            result = await asyncio.to_thread(load_issues, self.source)
            summary = await self.archive.replace_content(result.issues)
            self.warnings = result.problems
            await self.search.refresh()
            return summary

    async def pick(self, scope: str) -> ResourceRecord | None:
        return await pick_from_archives(self.archive, scope, self.rng)
