"""The bot: its extensions, command sync, a log line per command, and a clean shutdown."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.archive.service import ArchiveService
from bot.config import Settings
from bot.errors import ConfigError, DiscordUnavailable
from bot.permissions import INTENTS, invite_url, needed, permission_value
from bot.render.startup import guild_sync_refused, invite_logged, sync_failed, sync_kept

log = logging.getLogger(__name__)


#: The bot's features, one extension each; the error handler is one of them.
EXTENSIONS = (
    "bot.cogs.errors",
    "bot.cogs.issues",
    "bot.cogs.search",
    "bot.cogs.schedules",
    "bot.cogs.announcements",
    "bot.cogs.feeds",
    "bot.cogs.imports",
    "bot.cogs.links",
    "bot.cogs.admin",
    "bot.cogs.saved",
)


class ArchiveBot(commands.Bot):
    """The Discord client around an opened ``ArchiveService`` (opened and loaded before the bot
    connects, so that a bad database or folder stops the start before Discord is involved)."""

    def __init__(
        self, settings: Settings, service: ArchiveService, *, sync_only: bool = False
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=discord.Intents(INTENTS),  # Guilds alone: see bot.permissions
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.settings = settings
        self.service = service
        self.sync_only = sync_only
        self.started_at = service.clock()
        self._shutdown: asyncio.Future[None] | None = None

    async def setup_hook(self) -> None:
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.sync_commands(force=self.sync_only)
        if self.application_id is not None:  # known once logged in, which runs this hook
            needs = needed(self.settings.discord.role_subscriptions)
            log.info(invite_logged(invite_url(self.application_id, permission_value(needs))))

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
        synced_before = await self.service.meta.get(key)
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
        await self.service.meta.set(key, digest)
        log.info("slash commands synced (%s)", scope)
        return True

    async def on_ready(self) -> None:
        issues, resources = await self.service.issues.counts()
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

    async def close(self) -> None:
        """Close the Discord session (the archive is the runner's to close); every caller (a
        signal, the context manager) waits for the same single shutdown."""
        if self._shutdown is None:
            self._shutdown = asyncio.ensure_future(self._close_all())
        await self._shutdown

    async def _close_all(self) -> None:
        await super().close()
