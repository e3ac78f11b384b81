"""/announce set|show|stop, /subscribe and /unsubscribe, and the loop that announces new issues."""

from __future__ import annotations

import logging

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.archive.records import AnnouncementRecord, IssueRecord, LoadReport, PostMode
from bot.archive.saved import issue_key
from bot.client import ArchiveBot
from bot.cogs.helpers.background import BackgroundPass
from bot.cogs.helpers.checks import moderator_group, moderators_only
from bot.cogs.helpers.options import newsletter_autocomplete, newsletter_option, several
from bot.cogs.helpers.posting import (
    channel_refusal,
    destination,
    needed_names,
    post_card,
    posting,
    unconfirmed,
)
from bot.cogs.helpers.replies import embed, in_time, reply
from bot.cogs.helpers.roles import announcement_role_refusal, can_manage, subscription_refusal
from bot.cogs.helpers.saving import card_view
from bot.render.cards import announcement_card, issue_card
from bot.render.conversations import issue_post_name, mode_sentence
from bot.render.messages import (
    ANNOUNCEMENT_STOPPED,
    NO_ANNOUNCEMENT,
    NO_ANNOUNCEMENT_TO_STOP,
    NO_ROLE_TO_SUBSCRIBE,
    ROLE_GONE,
    SUBSCRIPTIONS_OFF,
    already_subscribed_message,
    announce_set_message,
    cannot_manage_role,
    new_issue_message,
    not_subscribed_message,
    subscribed_message,
    unsubscribed_message,
)

log = logging.getLogger(__name__)

#: The command that chooses another channel, named when a channel stops taking posts.
SET_COMMAND = "/announce set"


class AnnounceCommands(commands.Cog):
    announce_group = moderator_group("announce", "Announcements of new issues in this server.")

    def __init__(self, bot: ArchiveBot) -> None:
        self.bot = bot
        self.announcer = BackgroundPass(
            bot,
            "announcement pass",
            lambda: bot.service.announcements.run_due(self.post_announcement),
        )

    async def cog_load(self) -> None:
        self.announcer.start()
        self._unlisten = self.bot.service.loader.listen(self._loaded)

    async def cog_unload(self) -> None:
        self._unlisten()
        self.announcer.cancel()

    async def _loaded(self, report: LoadReport) -> None:
        """A load that added issues wakes the announcer: the poll is only a safety net."""
        if any(summary.added for summary in report.summaries):
            self.announcer.wake()

    # -- the announcer -----------------------------------------------------------------

    def _role(self, announcement: AnnouncementRecord) -> discord.Role | None:
        """The role an announcement pings, if it still exists."""
        guild = self.bot.get_guild(announcement.guild_id)
        if announcement.role_id is None or guild is None:
            return None
        return guild.get_role(announcement.role_id)

    async def post_announcement(
        self, announcement: AnnouncementRecord, issue: IssueRecord, nonce: int
    ) -> None:
        """Post an issue's card in a server's announcement channel, pinging its role (only
        that role), and publish it in a news channel; ``nonce`` is the same for every try.

        ``ChannelUnavailable`` when the channel can no longer take posts; ``PostUncertain``
        when the post may or may not have been made.
        """
        role = self._role(announcement)
        if announcement.role_id is not None and role is None:
            log.warning(
                "announcement role %s of guild %s is gone: announcing without a ping",
                announcement.role_id,
                announcement.guild_id,
            )
        name = self.bot.service.names.get(issue.newsletter, issue.newsletter)
        card = issue_card(issue)
        shown = embed(card, self.bot, issue.newsletter)
        view = card_view(card, issue_key(issue.newsletter, issue.number))
        mentions = (
            discord.AllowedMentions(everyone=False, users=False, roles=[role], replied_user=False)
            if role is not None
            else discord.AllowedMentions.none()
        )
        content = new_issue_message(name, issue.number, role.mention if role else None)
        mode = announcement.mode
        needed = needed_names(forum=mode == "forum", thread=mode == "thread")
        with posting(SET_COMMAND, needed), unconfirmed():
            channel = await destination(self.bot, announcement.channel_id, SET_COMMAND)
            message = await post_card(
                channel,
                shown,
                view,
                name=issue_post_name(issue.number, issue.title),
                tag=(name, issue.newsletter),
                thread=mode == "thread",
                content=content,
                mentions=mentions,
                nonce=nonce,
            )
        log.info(
            "announced %s #%s in guild %s", issue.newsletter, issue.number, announcement.guild_id
        )
        if message is not None and isinstance(channel, discord.TextChannel) and channel.is_news():
            try:
                await message.publish()
            except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as error:
                # Posted all the same (and counted): not worth stopping or sending again.
                log.warning(
                    "could not publish the announcement in guild %s: %s",
                    announcement.guild_id,
                    error,
                )

    # -- moderators --------------------------------------------------------------------

    @announce_group.command(name="set", description="Announce new issues in a channel.")
    @app_commands.describe(
        channel="Where new issues are announced: a channel (published there if it is an "
        "announcement channel) or a forum (a post per issue)",
        role="The role to ping with each announcement (default: ping nobody)",
        newsletter="The newsletter announced (default: every one)",
        thread="Open a thread on each announcement, for talking about that issue (default: no)",
    )
    @app_commands.autocomplete(newsletter=newsletter_autocomplete)
    @moderators_only
    async def set_command(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | discord.ForumChannel,
        role: discord.Role | None = None,
        newsletter: str | None = None,
        thread: bool = False,
    ) -> None:
        assert interaction.guild is not None
        chosen = newsletter_option(self.bot, newsletter)
        subscriptions = self.bot.settings.discord.role_subscriptions
        refusal = (
            announcement_role_refusal(role, channel, interaction.guild.me, subscriptions)
            if role is not None
            else None
        )
        if refusal is not None:
            await reply(interaction, refusal, ephemeral=True)
            return
        mode: PostMode = (
            "forum"
            if isinstance(channel, discord.ForumChannel)
            else ("thread" if thread else "channel")
        )
        served = self.bot.service.names
        wanted = {n: served[n] for n in ([chosen] if chosen else served)}
        refused = channel_refusal(channel, interaction.guild.me, wanted, thread=thread)
        if refused is not None:
            await reply(interaction, refused, ephemeral=True)
            return
        await in_time(
            interaction,
            self.bot.service.announcements.set(
                interaction.guild.id, channel.id, role.id if role else None, chosen, mode
            ),
        )
        names = several(self.bot)
        source = (names.get(chosen, chosen) if chosen else "every newsletter") if names else None
        await reply(
            interaction,
            announce_set_message(
                channel.mention, role.mention if role else None, source, subscriptions
            )
            + mode_sentence(mode),
        )

    @announce_group.command(name="show", description="This server's announcements of new issues.")
    @moderators_only
    async def show_command(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        announcement = await self.bot.service.announcements.get(interaction.guild_id)
        if announcement is None:
            await reply(interaction, NO_ANNOUNCEMENT, ephemeral=True)
            return
        role = self._role(announcement)
        announced = await self.bot.service.announcements.announced(interaction.guild_id)
        card = announcement_card(
            announcement, role.mention if role else None, announced, several(self.bot)
        )
        await reply(
            interaction, embed=embed(card, self.bot, announcement.newsletter), ephemeral=True
        )

    @announce_group.command(name="stop", description="Stop announcing new issues here.")
    @moderators_only
    async def stop_command(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        stopped = await in_time(
            interaction, self.bot.service.announcements.stop(interaction.guild_id), ephemeral=True
        )
        await reply(
            interaction,
            ANNOUNCEMENT_STOPPED if stopped else NO_ANNOUNCEMENT_TO_STOP,
            ephemeral=True,
        )

    # -- members -----------------------------------------------------------------------

    async def _announcement_role(
        self, interaction: discord.Interaction, subscribing: bool
    ) -> discord.Role | None:
        """The role members may take (``subscribing``) or drop here, or None after telling
        them why not."""
        assert interaction.guild is not None
        if not self.bot.settings.discord.role_subscriptions:
            await reply(interaction, SUBSCRIPTIONS_OFF, ephemeral=True)
            return None
        announcement = await self.bot.service.announcements.get(interaction.guild.id)
        if announcement is None or announcement.role_id is None:
            await reply(interaction, NO_ROLE_TO_SUBSCRIBE, ephemeral=True)
            return None
        role = interaction.guild.get_role(announcement.role_id)
        if role is None:
            await reply(interaction, ROLE_GONE, ephemeral=True)
            return None
        refusal = subscription_refusal(role) if subscribing else None
        if refusal is None and not can_manage(interaction.guild, role):
            refusal = cannot_manage_role(role.mention)
        if refusal is not None:
            await reply(interaction, refusal, ephemeral=True)
            return None
        return role

    @app_commands.command(name="subscribe", description="Get pinged when a new issue is announced.")
    @app_commands.guild_only()
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    async def subscribe_command(self, interaction: discord.Interaction) -> None:
        await self._set_subscription(interaction, subscribed=True)

    @app_commands.command(name="unsubscribe", description="Stop being pinged for new issues.")
    @app_commands.guild_only()
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    async def unsubscribe_command(self, interaction: discord.Interaction) -> None:
        await self._set_subscription(interaction, subscribed=False)

    async def _set_subscription(self, interaction: discord.Interaction, subscribed: bool) -> None:
        """Give the member the announcement role (``subscribed``) or take it back."""
        role = await self._announcement_role(interaction, subscribed)
        member = interaction.user
        if role is None or not isinstance(member, discord.Member):
            return
        if (role in member.roles) == subscribed:
            already = already_subscribed_message if subscribed else not_subscribed_message
            await reply(interaction, already(role.mention), ephemeral=True)
            return
        try:
            if subscribed:
                await member.add_roles(role, reason="/subscribe: new issue announcements")
            else:
                await member.remove_roles(role, reason="/unsubscribe: new issue announcements")
        except discord.Forbidden:
            await reply(interaction, cannot_manage_role(role.mention), ephemeral=True)
            return
        done = subscribed_message if subscribed else unsubscribed_message
        await reply(interaction, done(role.mention), ephemeral=True)


async def setup(bot: ArchiveBot) -> None:
    await bot.add_cog(AnnounceCommands(bot))
