"""The one door into the core: it opens the database, builds each feature on it and hands
the features out (``archive.schedules.stop(...)``, ``archive.search.find(...)``). Cogs, the
console and the benchmark reach the core only through it. Nothing here knows Discord;
everything heavy runs off the event loop.

A ``newsletter`` argument (an id) narrows a feature's question to one newsletter; None asks
about every one.
"""

from __future__ import annotations

__all__ = ["ArchiveService"]

import datetime as dt
import random
from collections.abc import Sequence
from pathlib import Path

from bot.archive.announcements import Announcements
from bot.archive.content import ContentStore
from bot.archive.db import Clock, Database, utcnow
from bot.archive.feeds import Feeds
from bot.archive.imports import Imports
from bot.archive.issues import Issues
from bot.archive.loader import Loader
from bot.archive.meta import Meta
from bot.archive.picks import Picks
from bot.archive.records import LoadReport
from bot.archive.saved import Saved
from bot.archive.schedules import DEFAULT_MIN_INTERVAL, Schedules
from bot.archive.search import Search
from bot.config import Network, Newsletter, Settings


class ArchiveService:
    """Open with ``ArchiveService.open`` (it closes what it opened if that fails)."""

    def __init__(
        self,
        db: Database,
        newsletters: Newsletter | Sequence[Newsletter],
        *,
        min_interval: dt.timedelta = DEFAULT_MIN_INTERVAL,
        rng: random.Random | None = None,
        network: Network | None = None,
    ) -> None:
        served = [newsletters] if isinstance(newsletters, Newsletter) else list(newsletters)
        if not served:
            raise ValueError("an archive serves at least one newsletter")
        #: The newsletters served, in config order.
        self.newsletters: tuple[Newsletter, ...] = tuple(served)
        self.db = db
        #: What may be fetched (imports, feeds): bot/fetch.py's guard takes it from here.
        self.network = network or Network()
        self.content = ContentStore(db)
        self.loader = Loader(self.content, served)
        self.issues = Issues(db, served)
        self.search = Search(db, self.issues, self.names)
        self.picks = Picks(db, rng)
        self.schedules = Schedules(db, min_interval)
        self.announcements = Announcements(db, self.issues)
        self.feeds = Feeds(db, served, self.issues, self.loader, self.network)
        self.imports = Imports(
            served, self.issues, self.loader, allow_private_hosts=self.network.allow_private_hosts
        )
        self.meta = Meta(db)
        self.saved = Saved(db, self.issues)
        self.loader.listen(lambda report: self.search.refresh())

    @classmethod
    async def open(
        cls,
        database: Path,
        newsletters: Newsletter | Sequence[Newsletter],
        clock: Clock = utcnow,
        *,
        min_interval: dt.timedelta = DEFAULT_MIN_INTERVAL,
        network: Network | None = None,
    ) -> ArchiveService:
        """Open the database (``DatabaseError`` if it can't be used) and serve what it holds;
        ``loader.reload`` reads the content folders."""
        db = await Database.open(database, clock)
        try:
            service = cls(db, newsletters, min_interval=min_interval, network=network)
            await service.picks.adopt(service.newsletters[0].id)
            await service.search.refresh()
            await service.schedules.pause_unfit()
        except BaseException:
            await db.close()
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
        served = (
            [settings.served_newsletter(newsletter, folder)] if folder else list(settings.served)
        )
        service = await cls.open(
            database or settings.database_path,
            served,
            clock,
            min_interval=dt.timedelta(minutes=settings.discord.schedule_min_interval_minutes),
            network=settings.network,
        )
        try:
            report = await service.loader.reload()
        except BaseException:
            await service.close()
            raise
        return service, report

    async def close(self) -> None:
        await self.db.close()

    @property
    def clock(self) -> Clock:
        return self.db.clock

    @property
    def names(self) -> dict[str, str]:
        """Each newsletter's name by id, in config order."""
        return {newsletter.id: newsletter.name for newsletter in self.newsletters}

    def find_newsletter(self, value: str) -> str | None:
        """The id of the newsletter that ``value`` names (its id or its name), or None."""
        wanted = value.strip().casefold()
        for letter, name in self.names.items():
            if wanted in (letter, name.casefold()):
                return letter
        return None

    def autocomplete_newsletters(self, partial: str) -> list[tuple[str, str]]:
        """Newsletters whose id or name holds what was typed: (id, name), config order."""
        wanted = partial.strip().casefold()
        return [
            (letter, name)
            for letter, name in self.names.items()
            if wanted in letter or wanted in name.casefold()
        ]
