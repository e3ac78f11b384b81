"""Whether a role may be the announcement role: one members take with /subscribe must grant
nothing beyond chatting, be one the bot can give (below its highest role, with Manage Roles)
and one an announcement can ping."""

from __future__ import annotations

import discord

from bot.permissions import beyond_subscription
from bot.render.messages import (
    EVERYONE_REFUSED,
    managed_role_refused,
    no_manage_roles,
    powerful_role_refused,
    role_above_me,
    role_now_powerful,
    unpingable_role,
)


def can_manage(guild: discord.Guild, role: discord.Role) -> bool:
    """Whether the bot may give and take ``role``: Manage Roles, and a role above it."""
    return guild.me.guild_permissions.manage_roles and role.is_assignable()


def announcement_role_refusal(
    role: discord.Role, channel: discord.abc.GuildChannel, me: discord.Member, subscriptions: bool
) -> str | None:
    """Why ``role`` can't be pinged by announcements in ``channel`` (and, with
    ``subscriptions``, handed out with /subscribe); None when it can.

    A role that grants more than chatting is refused even when members can't take it
    themselves: the setting may be turned on later, and pinging a moderators' role with every
    issue is a slip."""
    if role.is_default():
        return EVERYONE_REFUSED
    if role.managed:
        return managed_role_refused(role.mention)
    powers = beyond_subscription(role.permissions.value)
    if powers:
        return powerful_role_refused(role.mention, powers)
    if subscriptions and not me.guild_permissions.manage_roles:
        return no_manage_roles(role.mention)
    if subscriptions and not role.is_assignable():
        return role_above_me(role.mention)
    if not role.mentionable and not channel.permissions_for(me).mention_everyone:
        return unpingable_role(role.mention)
    return None


def subscription_refusal(role: discord.Role) -> str | None:
    """Why /subscribe must not hand out ``role`` now (its permissions may have grown since it
    was set); None when it may."""
    powers = beyond_subscription(role.permissions.value)
    return role_now_powerful(role.mention, powers) if powers else None
