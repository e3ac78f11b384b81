"""Run the Discord bot: token from the environment or ``.env``, logging, start and stop, and
every way Discord can refuse or fail the bot turned into one line and an exit code."""

from __future__ import annotations

import asyncio
import logging
import math
import os
import signal
import sys
from pathlib import Path

import aiohttp
import discord

from bot.archive.db import DatabaseLock
from bot.archive.service import ArchiveService
from bot.client import ArchiveBot
from bot.config import Settings
from bot.errors import ArchiveBotError, ConfigError, DiscordUnavailable
from bot.health import health_endpoint
from bot.heartbeat import HEARTBEAT_SECONDS, heartbeat_path, write_heartbeat
from bot.render.startup import (
    NO_TOKEN,
    PRIVILEGED_INTENTS,
    TOKEN_REJECTED,
    bad_log_level,
    connect_retry,
    describe_network_error,
    discord_unreachable,
    gateway_closed,
    intents_refused,
)

log = logging.getLogger("bot")

#: What a failed try to reach Discord raises: worth another try after a pause.
NETWORK_ERRORS = (OSError, aiohttp.ClientError, asyncio.TimeoutError, discord.DiscordServerError)
TOKEN_REJECTED_CODE = 4004


def _configure_logging() -> None:
    level = os.environ.get("LOG_LEVEL", "INFO").strip().upper()
    if not isinstance(logging.getLevelName(level), int):
        raise ConfigError(bad_log_level(os.environ["LOG_LEVEL"]))
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("discord").setLevel(logging.WARNING)
    logging.getLogger("discord.gateway").setLevel(logging.INFO)  # connects, resumes
    # The bot never joins voice: the warning that voice libraries are missing is noise.
    logging.getLogger("discord.client").addFilter(
        lambda record: "voice will NOT" not in record.getMessage()
    )
    logging.getLogger("discord.client").addFilter(_reconnect_in_one_line)


def _reconnect_in_one_line(record: logging.LogRecord) -> bool:
    """discord.py logs each reconnect after a lost connection with a traceback: keep one line,
    the error's type and message, and say it as a warning (it is retried)."""
    if record.exc_info and str(record.msg).startswith("Attempting a reconnect"):
        error = record.exc_info[1]
        record.msg = "lost the connection to Discord (%s): reconnecting in %.1f s"
        record.args = (describe_network_error(error) if error else "?", *(record.args or ()))
        record.exc_info = record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
    return True


async def _heartbeat(bot: ArchiveBot, path: Path) -> None:
    """Rewrite the heartbeat while the gateway is connected (``python -m bot status`` reads it)."""
    await bot.wait_until_ready()
    failed = False
    while not bot.is_closed():
        if not math.isfinite(bot.latency):  # no gateway heartbeat acknowledged (yet)
            await asyncio.sleep(1)
            continue
        try:
            write_heartbeat(path, len(bot.guilds), bot.latency * 1000)
        except OSError as error:
            if not failed:  # once, not every beat
                log.warning("cannot write the heartbeat %s: %s", path, error)
            failed = True
        await asyncio.sleep(HEARTBEAT_SECONDS)


class _Unreachable(Exception):
    """Discord could not be reached before the bot was first connected: worth another try."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


async def _login(bot: ArchiveBot, token: str) -> None:
    """Log in, which runs ``setup_hook`` (content, cogs, command sync)."""
    try:
        await bot.login(token)
    except NETWORK_ERRORS as error:
        if bot.application is not None:  # Discord answered: this came from setup_hook
            raise
        raise _Unreachable(error) from error


async def _connect(bot: ArchiveBot) -> None:
    """Stay connected to the gateway until closed; discord.py reconnects after a first READY."""
    try:
        await bot.connect()
    except AttributeError as error:
        # discord.py 2.7 fails this way when the very first gateway connection fails (it
        # reads the sequence of a connection it never had): the network error is the context.
        if bot.ws is None and isinstance(error.__context__, NETWORK_ERRORS):
            raise _Unreachable(error.__context__) from error.__context__
        raise


async def _serve(bot: ArchiveBot, token: str, sync_only: bool) -> None:
    """Log in, then stay connected until closed; Discord's refusals become ``ArchiveBotError``."""
    try:
        await _login(bot, token)
        if sync_only:
            return
        beat = heartbeat_path(bot.settings.database_path)
        heartbeat = asyncio.create_task(_heartbeat(bot, beat))
        try:
            await _connect(bot)
        finally:
            heartbeat.cancel()
            beat.unlink(missing_ok=True)
    except discord.LoginFailure:
        raise ConfigError(TOKEN_REJECTED) from None
    except discord.PrivilegedIntentsRequired:
        requested = [name for name in PRIVILEGED_INTENTS if getattr(bot.intents, name)]
        raise ConfigError(intents_refused(requested)) from None
    except discord.ConnectionClosed as error:
        if error.code == TOKEN_REJECTED_CODE:
            raise ConfigError(TOKEN_REJECTED) from None
        raise DiscordUnavailable(gateway_closed(error.code)) from None


async def _run(settings: Settings, token: str, sync_only: bool) -> None:
    """Open the archive, then start the bot, trying again with a growing pause while Discord
    cannot be reached."""
    # Database and content first: a fault there stops the start before Discord is involved.
    if sync_only:  # a sync beside the running bot posts nothing: no lock needed
        await _serve_archive(settings, token, sync_only)
        return
    lock = DatabaseLock(settings.database_path)
    lock.acquire()  # held while the bot runs: db recover and restore wait for it
    try:
        await _serve_archive(settings, token, sync_only)
    finally:
        lock.release()


async def _serve_archive(settings: Settings, token: str, sync_only: bool) -> None:
    if sync_only:
        await _load_and_start(settings, token, sync_only)
        return
    # Up before Discord is reached: it answers 503 until the first heartbeat.
    async with health_endpoint(settings.health, heartbeat_path(settings.database_path)):
        await _load_and_start(settings, token, sync_only)


async def _load_and_start(settings: Settings, token: str, sync_only: bool) -> None:
    service, summary = await ArchiveService.from_settings(settings)
    try:
        for problem in summary.problems:
            log.warning("content: %s", problem)
        log.info("content loaded: %d issues, %d resources", summary.issues, summary.resources)
        if len(summary.summaries) > 1:
            for each in summary.summaries:
                log.info(
                    "content loaded for %s: %d issues, %d resources",
                    each.newsletter,
                    each.issues,
                    each.resources,
                )
        await _start_bot(settings, service, token, sync_only)
    finally:
        await service.close()


async def _start_bot(
    settings: Settings, service: ArchiveService, token: str, sync_only: bool
) -> None:
    stopping = asyncio.Event()
    current: ArchiveBot | None = None
    closing: list[asyncio.Future[None]] = []  # keeps the shutdown task referenced

    def stop() -> None:
        stopping.set()
        if current is not None:
            closing.append(asyncio.ensure_future(current.close()))

    # Hosts stop a worker with SIGTERM: close the gateway session and the database cleanly.
    if sys.platform != "win32":  # asyncio has no signal handlers there
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop)
    attempts = settings.discord.connect_attempts
    delay = settings.discord.connect_backoff_seconds
    for attempt in range(1, attempts + 1):
        current = ArchiveBot(settings, service, sync_only=sync_only)
        try:
            async with current:
                await _serve(current, token, sync_only)
                await current.close()  # joins a shutdown a signal started
            log.info("stopped")
            return
        except _Unreachable as unreachable:
            if attempt == attempts:
                raise DiscordUnavailable(discord_unreachable(attempts, unreachable.error)) from None
            log.warning(connect_retry(unreachable.error, delay, attempt, attempts))
        try:
            await asyncio.wait_for(stopping.wait(), delay)
            return  # stopped while waiting
        except TimeoutError:
            delay *= 2


def run_bot(settings: Settings, *, sync_only: bool = False) -> int:
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    try:
        _configure_logging()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return error.exit_code
    try:
        asyncio.run(_run(settings, token, sync_only))
    except ArchiveBotError as error:
        log.error("%s", error)
        return error.exit_code
    except KeyboardInterrupt:
        pass
    return 0
