"""The command tree's one error handler: a short ephemeral answer for the user, the details
(with an error id the user can quote) in the log."""

from __future__ import annotations

import datetime as dt
import logging
import secrets

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ArchiveBot
from bot.cogs.helpers.checks import NotModerator, refund_cooldown
from bot.cogs.helpers.replies import reply
from bot.errors import ArchiveBotError, DatabaseError
from bot.render.echo import echoed
from bot.render.messages import (
    NOT_HERE,
    SERVERS_ONLY,
    apology,
    cooldown_message,
    invalid_option_message,
)

log = logging.getLogger(__name__)


def log_with_error_id(where: str, error: BaseException) -> str:
    """Log ``error`` with a fresh id; return the apology that quotes the id."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    error_id = secrets.token_hex(4)
    log.error("error %s in %s", error_id, where, exc_info=original)
    return apology(error_id)


def user_message(interaction: discord.Interaction, error: app_commands.AppCommandError) -> str:
    """What the user is told about ``error``; refusals are logged (who, only at DEBUG)."""
    name = interaction.command.qualified_name if interaction.command else "?"
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(error, app_commands.CommandOnCooldown):
        again = discord.utils.utcnow() + dt.timedelta(seconds=error.retry_after)
        return cooldown_message(name, discord.utils.format_dt(again, "R"))
    if isinstance(error, NotModerator):
        return str(error)
    if isinstance(error, app_commands.NoPrivateMessage):
        return SERVERS_ONLY
    if isinstance(error, app_commands.CheckFailure):
        log.warning("/%s refused in guild %s: %s", name, interaction.guild_id, error)
        log.debug("/%s was refused to user %s", name, interaction.user.id)
        return NOT_HERE
    if isinstance(error, app_commands.TransformerError):
        return invalid_option_message(error.value)
    if isinstance(original, DatabaseError):  # for the operator (db recover), not members
        return log_with_error_id(f"/{name}", error)
    if isinstance(original, ArchiveBotError):
        log.warning("/%s: %s", name, original)
        return echoed(str(original))
    return log_with_error_id(f"/{name}", error)


class ErrorHandler(commands.Cog):
    def __init__(self, bot: ArchiveBot) -> None:
        self.bot = bot
        self._previous = bot.tree.on_error

    async def cog_load(self) -> None:
        self.bot.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    async def cog_unload(self) -> None:
        self.bot.tree.on_error = self._previous  # type: ignore[method-assign]

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        refund_cooldown(interaction)  # a command that failed does not count against the user
        message = user_message(interaction, error)
        try:
            await reply(interaction, message, ephemeral=True)
        except discord.HTTPException:
            log.warning(
                "could not answer an error in /%s",
                interaction.command and interaction.command.qualified_name,
            )


async def setup(bot: ArchiveBot) -> None:
    await bot.add_cog(ErrorHandler(bot))
