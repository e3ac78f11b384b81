"""The bot: start-up (content, cogs, command sync), the command tree's one error handler,
and a log line per command."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import secrets

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.archive.service import ArchiveService
from bot.archive.store import Clock, utcnow
from bot.cogs import EXTENSIONS
from bot.cogs.common import NotModerator, reply
from bot.config import Settings
from bot.content.loader import ContentSource
from bot.errors import ConfigError, ContentError, DiscordUnavailable, StartupError
from bot.render.startup import guild_sync_refused, sync_failed, sync_kept

log = logging.getLogger(__name__)


class ArchiveBot(commands.Bot):
    def __init__(
        self, settings: Settings, *, clock: Clock = utcnow, sync_only: bool = False
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.settings = settings
        self.clock = clock
        self.sync_only = sync_only
        self.started_at = clock()
        self._service: ArchiveService | None = None
        self._shutdown: asyncio.Future[None] | None = None
        self.tree.error(self.on_tree_error)

    @property
    def service(self) -> ArchiveService:
        if self._service is None:
            raise RuntimeError("the archive is opened in setup_hook")
        return self._service

    async def setup_hook(self) -> None:
        self._service = await ArchiveService.open(
            self.settings.database_path, ContentSource.from_settings(self.settings), self.clock
        )
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.sync_only:
            await self.sync_commands(force=True)
            return
        await self._load_content()
        await self.sync_commands()

    async def _load_content(self) -> None:
        try:
            summary = await self.service.reload()
        except ContentError as error:
            issues, _ = await self.service.archive.counts()
            for problem in error.problems:
                log.error("content: %s", problem)
            if not issues:
                raise StartupError(
                    "the content did not load and the database holds none from before: "
                    "fix the files listed above (python -m bot check)"
                ) from None
            log.warning("content did not load; serving the %d issues loaded before", issues)
            return
        for warning in self.service.warnings:
            log.warning("content: %s", warning)
        log.info("content loaded: %d issues, %d resources", summary.issues, summary.resources)

    def _command_payload(self) -> str:
        commands_ = sorted(
            (c.to_dict(self.tree) for c in self.tree.get_commands()), key=lambda c: c["name"]
        )
        return json.dumps(commands_, sort_keys=True)

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Sync the slash commands when their definitions changed since the last sync (or when
        forced): to the development guilds from the config, else globally. True if synced.

        When Discord fails the sync, a bot whose commands were synced before keeps running
        with them (a warning); a first sync or a forced one raises ``DiscordUnavailable``."""
        digest = hashlib.sha256(self._command_payload().encode()).hexdigest()
        guilds = self.settings.discord.dev_guild_ids
        scope = "guilds:" + ",".join(map(str, guilds)) if guilds else "global"
        key = f"command_sync:{scope}"
        synced_before = await self.service.archive.meta(key)
        if not force and synced_before == digest:
            log.info("slash commands unchanged since the last sync (%s): not syncing", scope)
            return False
        try:
            if guilds:
                for guild_id in guilds:
                    guild = discord.Object(guild_id)
                    self.tree.copy_global_to(guild=guild)
                    try:
                        await self.tree.sync(guild=guild)
                    except discord.Forbidden:
                        raise ConfigError(guild_sync_refused(guild_id)) from None
            else:
                await self.tree.sync()
        except (TimeoutError, discord.DiscordServerError, aiohttp.ClientError) as error:
            # Commands synced before still work: run with them rather than not at all.
            if force or synced_before is None:
                raise DiscordUnavailable(sync_failed(error)) from None
            log.warning(sync_kept(error))
            return False
        await self.service.archive.set_meta(key, digest)
        log.info("slash commands synced (%s)", scope)
        return True

    async def on_ready(self) -> None:
        issues, resources = await self.service.archive.counts()
        log.info(
            "ready as %s: %d issues, %d resources, %d guilds",
            self.user,
            issues,
            resources,
            len(self.guilds),
        )

    async def on_app_command_completion(
        self,
        interaction: discord.Interaction,
        command: app_commands.Command | app_commands.ContextMenu,  # type: ignore[type-arg]
    ) -> None:
        """One line per command: name, guild and latency; who used it only at DEBUG."""
        latency = (dt.datetime.now(dt.UTC) - interaction.created_at).total_seconds() * 1000
        name = command.qualified_name
        log.info("/%s in guild %s: %.0f ms", name, interaction.guild_id, latency)
        log.debug("/%s was used by user %s", name, interaction.user.id)

    async def on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """The one error handler: a short ephemeral answer for the user, the details in the log."""
        name = interaction.command.qualified_name if interaction.command else "?"
        if isinstance(error, app_commands.CommandOnCooldown):
            again = discord.utils.format_dt(
                discord.utils.utcnow() + dt.timedelta(seconds=error.retry_after), "R"
            )
            message = f"Easy there: you can use /{name} again {again}."
        elif isinstance(error, NotModerator):
            message = str(error)
        elif isinstance(error, app_commands.NoPrivateMessage):
            message = "This command works in servers only."
        elif isinstance(error, app_commands.CheckFailure):
            message = "You can't use this command here."
            log.warning("/%s refused in guild %s: %s", name, interaction.guild_id, error)
            log.debug("/%s was refused to user %s", name, interaction.user.id)
        elif isinstance(error, app_commands.TransformerError):
            message = f"“{error.value}” is not a valid value for that option."
        else:
            message = self.log_error_with_id(f"/{name}", error)
        try:
            await reply(interaction, message, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not tell the user about the error in /%s", name)

    @staticmethod
    def log_error_with_id(where: str, error: BaseException) -> str:
        """Log ``error`` with a fresh id; return the apology that quotes the id."""
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        error_id = secrets.token_hex(4)
        log.error("error %s in %s", error_id, where, exc_info=original)
        return f"Sorry, something went wrong on our side. If it keeps happening, tell a moderator the error id `{error_id}`."

    async def close(self) -> None:
        """Close Discord, then the database; every caller (a signal, the context manager)
        waits for the same single shutdown."""
        if self._shutdown is None:
            self._shutdown = asyncio.ensure_future(self._close_all())
        await self._shutdown

    async def _close_all(self) -> None:
        await super().close()
        if self._service is not None:
            await self._service.close()
            self._service = None
