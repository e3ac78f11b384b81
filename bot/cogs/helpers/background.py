"""Background loops (the scheduler, the announcer, the feed poller, the link checker), wired
one way."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from discord.ext import tasks

if TYPE_CHECKING:
    from bot.client import ArchiveBot

log = logging.getLogger(__name__)


class BackgroundPass:
    """A pass the bot runs every ``discord.background_poll_seconds`` once it is connected (the
    scheduler, the announcer, the feed poller), from its cog's load to its unload. A pass that
    fails is logged and the next one runs: an exception escaping a ``tasks.loop`` body would
    end the loop for good."""

    def __init__(self, bot: ArchiveBot, name: str, run: Callable[[], Awaitable[object]]) -> None:
        self._bot = bot
        self._name = name
        self._run = run
        self._loop = tasks.loop(seconds=bot.settings.discord.background_poll_seconds)(self.run_once)
        self._loop.before_loop(bot.wait_until_ready)
        #: Passes take turns: a wake-up never runs beside the loop's own pass.
        self._turn = asyncio.Lock()
        self._woken: set[asyncio.Task[None]] = set()

    async def run_once(self) -> None:
        async with self._turn:
            try:
                await self._run()
            except Exception:
                log.exception("%s failed", self._name)

    def wake(self) -> None:
        """Run a pass now (after the loop's, if one is under way), not at the next tick."""
        if not self._loop.is_running() or not self._bot.is_ready():
            return
        task = asyncio.get_running_loop().create_task(self.run_once())
        self._woken.add(task)
        task.add_done_callback(self._woken.discard)

    def start(self) -> None:
        self._loop.start()

    def cancel(self) -> None:
        self._loop.cancel()
        for task in self._woken:
            task.cancel()
