"""Who may run a command: the moderator check behind moderator groups, and per-user
cooldowns that give a use back when a command found nothing or failed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import discord
from discord import app_commands

from bot.cogs.helpers.options import archive_bot
from bot.render.messages import NOT_A_MODERATOR

log = logging.getLogger(__name__)

T = TypeVar("T")


class NotModerator(app_commands.CheckFailure):
    """Raised by the moderator check; the error handler turns it into a polite refusal."""


def is_moderator(member: discord.abc.User, role_ids: tuple[int, ...]) -> bool:
    if not isinstance(member, discord.Member):
        return False
    if member.guild_permissions.manage_guild:
        return True
    return any(role.id in role_ids for role in member.roles)


async def moderator_check(interaction: discord.Interaction) -> bool:
    """Run-time check behind ``default_member_permissions``: server admins can change who
    sees a command in Integrations, but only moderators may run it."""
    if is_moderator(interaction.user, archive_bot(interaction).settings.discord.moderator_role_ids):
        return True
    command = interaction.command.qualified_name if interaction.command else "?"
    log.warning("refused /%s in guild %s: not a moderator", command, interaction.guild_id)
    log.debug("/%s was refused to user %s", command, interaction.user.id)
    raise NotModerator(NOT_A_MODERATOR)


moderators_only = app_commands.check(moderator_check)


def moderator_group(name: str, description: str) -> app_commands.Group:
    """A group of server-only commands that Discord shows to Manage Server by default (each
    command still checks ``moderators_only`` at run time)."""
    return app_commands.Group(
        name=name,
        description=description,
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(
            guild=True, dm_channel=False, private_channel=False
        ),
        default_permissions=discord.Permissions(manage_guild=True),
    )


#: Where a cooldown check leaves the bucket it used, for ``refund_cooldown``.
_COOLDOWN_USED = "cooldown used"


def per_user_cooldown(
    factory: Callable[[discord.Interaction], app_commands.Cooldown],
) -> Callable[[T], T]:
    """A per-user cooldown check, as ``app_commands.checks.dynamic_cooldown`` with its default
    key, except that ``refund_cooldown`` gives the use back when the command found nothing or
    failed. A refusal raises ``CommandOnCooldown`` as discord.py's does."""
    buckets: dict[int, app_commands.Cooldown] = {}

    async def predicate(interaction: discord.Interaction) -> bool:
        now = interaction.created_at.timestamp()
        for user_id in [u for u, b in buckets.items() if b.get_tokens(now) >= b.rate]:
            del buckets[user_id]  # a full bucket is the same as none
        bucket = buckets.get(interaction.user.id) or factory(interaction)
        buckets[interaction.user.id] = bucket
        retry_after = bucket.update_rate_limit(now)
        if retry_after is not None:
            raise app_commands.CommandOnCooldown(bucket, retry_after)
        interaction.extras[_COOLDOWN_USED] = bucket
        return True

    return app_commands.check(predicate)


def refund_cooldown(interaction: discord.Interaction) -> None:
    """Give back the use a ``per_user_cooldown`` took for this interaction (once)."""
    bucket: app_commands.Cooldown | None = interaction.extras.pop(_COOLDOWN_USED, None)
    now = interaction.created_at.timestamp()
    if bucket is not None and bucket.get_tokens(now) < bucket.rate:
        bucket.update_rate_limit(now, tokens=-1)


def search_cooldown(interaction: discord.Interaction) -> app_commands.Cooldown:
    setting = archive_bot(interaction).settings.discord.search_cooldown
    return app_commands.Cooldown(setting.rate, setting.per)


def random_cooldown(interaction: discord.Interaction) -> app_commands.Cooldown:
    setting = archive_bot(interaction).settings.discord.random_cooldown
    return app_commands.Cooldown(setting.rate, setting.per)
