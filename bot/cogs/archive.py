"""/archive set|show|now|stop, and the scheduler loop that posts archive picks on time."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.archive.schedules import Schedule, Schedules
from bot.client import ArchiveBot
from bot.cogs.common import embed, moderators_only, reply
from bot.errors import ChannelUnavailable, ScheduleError
from bot.render.cards import Card, CardField, resource_card

log = logging.getLogger(__name__)

NEEDED = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)
_ZONES = sorted(zoneinfo.available_timezones())


def _when(moment: dt.datetime, timezone: str) -> str:
    local = moment.astimezone(zoneinfo.ZoneInfo(timezone))
    return f"{discord.utils.format_dt(moment, 'F')} ({local:%a %d %b %H:%M} {timezone})"


def _missing_permissions(channel: discord.abc.GuildChannel, me: discord.Member) -> list[str]:
    have = channel.permissions_for(me)
    return [
        name.replace("_", " ").title()
        for name, value in NEEDED
        if value and not getattr(have, name)
    ]


def unavailable_reason(error: discord.HTTPException) -> str | None:
    """Why a channel cannot take posts, for the errors that retrying will not fix."""
    if isinstance(error, discord.NotFound) and error.code == 10003:
        return "the channel was deleted (Discord error 10003): choose another with /archive set"
    if isinstance(error, discord.Forbidden) and error.code in (50001, 50013):
        return (
            f"the bot lost access to the channel (Discord error {error.code}): give it View Channel, "
            "Send Messages and Embed Links there, then run /archive set again"
        )
    return None


class Archive(commands.Cog):
    archive = app_commands.Group(
        name="archive",
        description="Scheduled 'from the archives' posts for this server.",
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(
            guild=True, dm_channel=False, private_channel=False
        ),
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: ArchiveBot) -> None:
        self.bot = bot
        minimum = dt.timedelta(minutes=bot.settings.discord.schedule_min_interval_minutes)
        self.schedules = Schedules(bot.service.archive, minimum)
        self.scheduler.change_interval(seconds=bot.settings.discord.schedule_poll_seconds)

    async def cog_load(self) -> None:
        self.scheduler.start()

    async def cog_unload(self) -> None:
        self.scheduler.cancel()

    # -- the scheduler -----------------------------------------------------------------

    @tasks.loop(seconds=30)
    async def scheduler(self) -> None:
        # An exception escaping a tasks.loop body ends the loop for good; run_due already
        # isolates each guild, and this guards the pass itself.
        try:
            await self.schedules.run_due(self.post_scheduled)
        except Exception:
            log.exception("scheduler pass failed")

    @scheduler.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            raise ChannelUnavailable(
                "the channel is not a text channel: choose another with /archive set"
            )
        return channel

    async def post_pick(self, channel_id: int) -> str | None:
        """Post an archive pick to a channel; the pick's title, or None if there is none."""
        try:
            channel = await self._channel(channel_id)
            pick = await self.bot.service.pick(str(channel_id))
            if pick is None:
                return None
            await channel.send(embed=embed(resource_card(pick), self.bot))
        except discord.HTTPException as error:
            reason = unavailable_reason(error)
            if reason is None:
                raise
            raise ChannelUnavailable(reason) from error
        return pick.title

    async def post_scheduled(self, schedule: Schedule, slot: dt.datetime) -> str | None:
        title = await self.post_pick(schedule.channel_id)
        log.info(
            "archive post for guild %s, slot %s: %s", schedule.guild_id, slot.isoformat(), title
        )
        return title

    # -- commands ----------------------------------------------------------------------

    @archive.command(name="set", description="Post an archive pick to a channel on a schedule.")
    @app_commands.describe(
        channel="Where the picks go",
        schedule="Cron: minute hour day month weekday, e.g. '0 9 * * 1' = Mondays 09:00",
        timezone="IANA time zone for the schedule, e.g. Europe/Paris (default from the config)",
    )
    @moderators_only
    async def set_(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        schedule: app_commands.Range[str, 9, 100],
        timezone: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        assert interaction.guild is not None
        missing = _missing_permissions(channel, interaction.guild.me)
        if missing:
            await reply(
                interaction,
                f"I can't post in {channel.mention}: I'm missing {', '.join(missing)} there. "
                "Give me those permissions in the channel settings and try again.",
                ephemeral=True,
            )
            return
        zone = timezone or self.bot.settings.discord.default_timezone
        try:
            runs = await self.schedules.set(
                interaction.guild.id, channel.id, schedule.strip(), zone
            )
        except ScheduleError as error:
            await reply(interaction, str(error), ephemeral=True)
            return
        lines = "\n".join(f"• {_when(run, zone)}" for run in runs)
        await reply(
            interaction,
            f"Archive picks will be posted in {channel.mention} on `{schedule.strip()}` ({zone}). Next runs:\n{lines}",
        )

    @set_.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        wanted = current.strip().casefold().replace(" ", "_")
        return [app_commands.Choice(name=z, value=z) for z in _ZONES if wanted in z.casefold()][:25]

    @archive.command(name="show", description="This server's archive schedule and its last post.")
    @moderators_only
    async def show(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        schedule = await self.schedules.get(interaction.guild_id)
        if schedule is None:
            await reply(
                interaction,
                "No archive schedule here yet: set one with /archive set.",
                ephemeral=True,
            )
            return
        status = "active" if schedule.enabled else f"disabled: {schedule.disabled_reason}"
        fields = [
            CardField("Channel", f"<#{schedule.channel_id}>", inline=True),
            CardField("Schedule", f"`{schedule.cron}` ({schedule.timezone})", inline=True),
            CardField("Status", status),
        ]
        if schedule.enabled and schedule.next_run_at:
            fields.append(CardField("Next post", _when(schedule.next_run_at, schedule.timezone)))
        if schedule.last_post_at:
            fields.append(
                CardField(
                    "Last post",
                    f"{_when(schedule.last_post_at, schedule.timezone)}: {schedule.last_post_title}",
                )
            )
        else:
            fields.append(CardField("Last post", "none yet"))
        await reply(
            interaction,
            embed=embed(Card("Archive schedule", fields=tuple(fields)), self.bot),
            ephemeral=True,
        )

    @archive.command(
        name="now", description="Post an archive pick to the scheduled channel right now."
    )
    @moderators_only
    async def now(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        schedule = await self.schedules.get(interaction.guild_id)
        if schedule is None:
            await reply(interaction, "Choose a channel first with /archive set.", ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            title = await self.post_pick(schedule.channel_id)
        except ChannelUnavailable as error:
            await reply(interaction, f"I couldn't post: {error}.", ephemeral=True)
            return
        if title is None:
            await reply(
                interaction,
                "Nothing in the archives yet: only the latest issue is loaded.",
                ephemeral=True,
            )
            return
        await self.schedules.record_post(interaction.guild_id, title)
        await reply(interaction, f"Posted “{title}” in <#{schedule.channel_id}>.", ephemeral=True)

    @archive.command(name="stop", description="Stop this server's scheduled archive posts.")
    @moderators_only
    async def stop(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        stopped = await self.schedules.stop(interaction.guild_id)
        message = (
            "Scheduled archive posts stopped."
            if stopped
            else "There was no archive schedule to stop."
        )
        await reply(interaction, message, ephemeral=True)


async def setup(bot: ArchiveBot) -> None:
    await bot.add_cog(Archive(bot))
