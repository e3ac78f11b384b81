"""/import: an issue file from Discord (an attachment or a link) previewed, then saved into the
content folder and reloaded, or cancelled, by the moderator who asked."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.archive.imports import (
    IMPORT_SUFFIXES,
    IMPORT_TIMEOUT,
    MAX_IMPORT_BYTES,
    ImportFile,
    ImportPreview,
    ImportRefused,
)
from bot.client import ArchiveBot
from bot.cogs.errors import log_with_error_id
from bot.cogs.helpers.checks import moderators_only
from bot.cogs.helpers.options import newsletter_autocomplete, newsletter_option, several
from bot.cogs.helpers.replies import embed, reply
from bot.errors import ContentError
from bot.render.cards import import_preview_card
from bot.render.messages import (
    IMPORT_CANCELLED,
    IMPORT_EXPIRED,
    IMPORT_FILE_OR_URL,
    IMPORT_FOR_REQUESTER,
    import_refused_message,
    import_saved_message,
    reload_failed_message,
)

log = logging.getLogger(__name__)

#: How long Save and Cancel wait for the moderator, in seconds.
PREVIEW_TIMEOUT = 600.0


def refusal(error: ImportRefused) -> str:
    return import_refused_message(error.kind, error.detail, MAX_IMPORT_BYTES, IMPORT_SUFFIXES)


class ImportPreviewView(discord.ui.View):
    """Save / Cancel under an import's preview; only the moderator who asked can press them,
    and either ends the preview."""

    def __init__(self, bot: ArchiveBot, owner_id: int, preview: ImportPreview) -> None:
        super().__init__(timeout=PREVIEW_TIMEOUT)
        self.bot = bot
        self.owner_id = owner_id
        self.preview = preview
        self.message: discord.InteractionMessage | None = None
        self.save.disabled = not preview.can_save

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(IMPORT_FOR_REQUESTER, ephemeral=True)
        return False

    def _close(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        self.stop()

    @discord.ui.button(label="Save", style=discord.ButtonStyle.success)
    async def save(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        """Write the file into the content folder and reload; report what changed."""
        self._close()
        await interaction.response.edit_message(view=self)
        service = self.bot.service
        try:
            saved, report = await service.imports.save(self.preview)
        except ImportRefused as error:
            await reply(interaction, refusal(error), ephemeral=True)
            return
        except ContentError as error:
            await reply(interaction, reload_failed_message(error.problems), ephemeral=True)
            return
        log.info(
            "import saved %s as %s in guild %s: %s",
            saved.newsletter,
            saved.file_name,
            interaction.guild_id,
            report,
        )
        message = import_saved_message(saved.file_name, saved.number, report, several(self.bot))
        await reply(interaction, message, ephemeral=True)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        self._close()
        await interaction.response.edit_message(content=IMPORT_CANCELLED, view=self)

    async def on_timeout(self) -> None:
        self._close()
        if self.message is not None:
            # The message may be gone or too old to edit: then there is nothing to disable.
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(content=IMPORT_EXPIRED, view=self)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await reply(interaction, log_with_error_id("import preview", error), ephemeral=True)


class ImportCommands(commands.Cog):
    def __init__(self, bot: ArchiveBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="import", description="Preview an issue file, then add it to the archive."
    )
    @app_commands.describe(
        file="The issue file (.md, .markdown, .txt, .html, .htm, .rst)",
        url="A link to the issue file (http or https)",
        newsletter="Which newsletter it is an issue of (default: the first)",
    )
    @app_commands.autocomplete(newsletter=newsletter_autocomplete)
    @app_commands.guild_only()
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    @app_commands.default_permissions(manage_guild=True)
    @moderators_only
    async def import_command(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment | None = None,
        url: str | None = None,
        newsletter: str | None = None,
    ) -> None:
        if (file is None) == (url is None):
            await reply(interaction, IMPORT_FILE_OR_URL, ephemeral=True)
            return
        letter = newsletter_option(self.bot, newsletter)
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            fetched = await (self._attachment(file) if file else self._link(url or ""))
            preview = await self.bot.service.imports.preview(fetched.name, fetched.data, letter)
        except ImportRefused as error:
            log.info("/import refused in guild %s: %s", interaction.guild_id, error)
            await reply(interaction, refusal(error), ephemeral=True)
            return
        names = several(self.bot)
        card = import_preview_card(
            preview, names.get(preview.newsletter) if names is not None else None
        )
        view = ImportPreviewView(self.bot, interaction.user.id, preview)
        await reply(
            interaction, embed=embed(card, self.bot, preview.newsletter), view=view, ephemeral=True
        )
        view.message = await interaction.original_response()

    async def _attachment(self, file: discord.Attachment) -> ImportFile:
        """An attached file, refused by its name and size before it is downloaded."""
        self.bot.service.imports.check(file.filename, file.size)
        try:
            data = await asyncio.wait_for(file.read(), IMPORT_TIMEOUT)
        except TimeoutError:
            raise ImportRefused("timeout", f"{IMPORT_TIMEOUT:g}") from None
        except discord.HTTPException as error:
            raise ImportRefused("unreachable", f"HTTP {error.status}") from None
        return ImportFile(file.filename, data)

    async def _link(self, url: str) -> ImportFile:
        return await self.bot.service.imports.download(url.strip())


async def setup(bot: ArchiveBot) -> None:
    await bot.add_cog(ImportCommands(bot))
