"""The loop that polls the configured RSS and Atom feeds (the work is ``ArchiveService``'s)."""

from __future__ import annotations

import logging

from discord.ext import commands, tasks

from bot.client import ArchiveBot

log = logging.getLogger(__name__)


class FeedPolling(commands.Cog):
    def __init__(self, bot: ArchiveBot) -> None:
        self.bot = bot
        self.poller.change_interval(seconds=bot.settings.discord.schedule_poll_seconds)

    async def cog_load(self) -> None:
        self.poller.start()

    async def cog_unload(self) -> None:
        self.poller.cancel()

    @tasks.loop(seconds=30)
    async def poller(self) -> None:
        # An exception escaping a tasks.loop body ends the loop for good; a feed's own
        # failures are already recorded (and backed off) by the service.
        try:
            written = await self.bot.service.poll_feeds()
        except Exception:
            log.exception("feed poll failed")
            return
        if written:
            log.info("feeds: %d new issue file(s) written and loaded", written)

    @poller.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()


async def setup(bot: ArchiveBot) -> None:
    await bot.add_cog(FeedPolling(bot))
