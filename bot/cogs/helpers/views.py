"""Views of buttons that answer for a while: when one times out its buttons are disabled (but
those that keep working), and a failure in one is an apology with an error id."""

from __future__ import annotations

import contextlib
from typing import Any

import discord

from bot.cogs.errors import log_with_error_id
from bot.cogs.helpers.replies import reply


class ExpiringView(discord.ui.View):
    """A view on one message (``message``, set once it is sent); ``where`` names it in the
    log of a failure."""

    where = "buttons"

    def __init__(self, *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.message: discord.InteractionMessage | None = None

    def keeps_working(self, item: discord.ui.Button[Any]) -> bool:
        """Whether ``item`` still answers once the view has timed out (the bot answers it
        anyway); none does, unless a view says so."""
        return False

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button) and not self.keeps_working(item):
                item.disabled = True
        if self.message is not None:
            # The message may be gone or too old to edit: then there is nothing to disable.
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await reply(interaction, log_with_error_id(self.where, error), ephemeral=True)
