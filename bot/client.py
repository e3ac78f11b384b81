"""The bot: its extensions, command sync, a log line per command, and a clean shutdown."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.archive.service import ArchiveService
from bot.config import Settings

log = logging.getLogger(__name__)


#: The bot's features, one extension each; the error handler is one of them.
EXTENSIONS = (
    "bot.cogs.errors",
    "bot.cogs.issues",
    "bot.cogs.search",
    "bot.cogs.schedule",
    "bot.cogs.admin",
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
            intents=discord.Intents.default(),
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

    def _command_payload(self) -> str:
        commands_ = sorted(
            (c.to_dict(self.tree) for c in self.tree.get_commands()), key=lambda c: c["name"]
        )
        return json.dumps(commands_, sort_keys=True)

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Sync the slash commands when their definitions changed since the last sync (or when
        forced): to the development guilds from the config, else globally. True if synced."""
        digest = hashlib.sha256(self._command_payload().encode()).hexdigest()
        guilds = self.settings.discord.dev_guild_ids
        scope = "guilds:" + ",".join(map(str, guilds)) if guilds else "global"
        key = f"command_sync:{scope}"
        if not force and await self.service.setting(key) == digest:
            log.info("slash commands unchanged since the last sync (%s): not syncing", scope)
            return False
        if guilds:
            for guild_id in guilds:
                guild = discord.Object(guild_id)
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()
        await self.service.save_setting(key, digest)
        log.info("slash commands synced (%s)", scope)
        return True

    async def on_ready(self) -> None:
        issues, resources = await self.service.counts()
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
        latency = (dt.datetime.now(dt.UTC) - interaction.created_at).total_seconds() * 1000
        log.info(
            "/%s by %s in guild %s: %.0f ms",
            command.qualified_name,
            interaction.user.id,
            interaction.guild_id,
            latency,
        )

    async def close(self) -> None:
        """Close Discord, then the database; every caller (a signal, the context manager)
        waits for the same single shutdown."""
        if self._shutdown is None:
            self._shutdown = asyncio.ensure_future(self._close_all())
        await self._shutdown

    async def _close_all(self) -> None:
        await super().close()
        await self.service.close()
