"""Run the Discord bot: token from the environment or ``.env``, logging, start and stop."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

import discord

from bot.client import ArchiveBot
from bot.config import Settings
from bot.errors import StartupError

log = logging.getLogger("bot")

NO_TOKEN = """\
No Discord token: set DISCORD_TOKEN in the environment or in a .env file in the folder you start the bot from
(DISCORD_TOKEN=...); README.md explains how to create the bot and get its token.
To try the archive without Discord, use the console: python -m bot latest | search QUERY | random"""


def _configure_logging() -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("discord").setLevel(logging.WARNING)
    logging.getLogger("discord.gateway").setLevel(logging.INFO)  # connects, resumes
    # The bot never joins voice: the warning that voice libraries are missing is noise.
    logging.getLogger("discord.client").addFilter(
        lambda record: "voice will NOT" not in record.getMessage()
    )


async def _run(settings: Settings, token: str, sync_only: bool) -> None:
    async with ArchiveBot(settings, sync_only=sync_only) as bot:
        # Hosts stop a worker with SIGTERM: close the gateway session and the database cleanly.
        if sys.platform != "win32":  # asyncio has no signal handlers there
            asyncio.get_running_loop().add_signal_handler(
                signal.SIGTERM, lambda: asyncio.ensure_future(bot.close())
            )
        await bot.login(token)  # runs setup_hook: content, cogs, command sync
        if not sync_only:
            await bot.connect()
        await bot.close()  # joins a shutdown a signal started, so the database closes too
    log.info("stopped")


def run_bot(settings: Settings, *, sync_only: bool = False) -> int:
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    _configure_logging()
    try:
        asyncio.run(_run(settings, token, sync_only))
    except discord.LoginFailure:
        log.error(
            "Discord refused the token: check DISCORD_TOKEN (Developer Portal → your app → Bot → Reset Token)"
        )
        return 1
    except StartupError as error:
        log.error("cannot start: %s", error)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
