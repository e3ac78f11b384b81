"""The loop that polls the configured RSS and Atom feeds (the work is ``ArchiveService``'s)."""

from __future__ import annotations

import logging

from discord.ext import commands

from bot.client import ArchiveBot
from bot.cogs.helpers.background import BackgroundPass

log = logging.getLogger(__name__)


class FeedPolling(commands.Cog):
    def __init__(self, bot: ArchiveBot) -> None:
        self.bot = bot
        self.poller = BackgroundPass(bot, "feed poll", self.poll)

    async def cog_load(self) -> None:
        self.poller.start()

    async def cog_unload(self) -> None:
        self.poller.cancel()

    async def poll(self) -> None:
        # A feed's own failures are recorded (and backed off) by the service.
        written = await self.bot.service.feeds.poll_due()
        if written:
            log.info("feeds: %d new issue file(s) written and loaded", written)


async def setup(bot: ArchiveBot) -> None:
    await bot.add_cog(FeedPolling(bot))
