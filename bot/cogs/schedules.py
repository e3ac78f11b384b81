"""/archive set|show|now|stop, and the scheduler loop that posts archive picks on time."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import logging
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.archive.records import ScheduleRecord
from bot.archive.schedules import preset_cron, time_zones
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
from bot.cogs.helpers.replies import embed, in_time, link_buttons, reply
from bot.cogs.helpers.saving import card_view
from bot.errors import ChannelUnavailable, ScheduleError
from bot.render.cards import resource_card, schedule_card, when
from bot.render.conversations import pick_post_name
from bot.render.echo import echoed
from bot.render.messages import (
    NO_SCHEDULE,
    NO_SCHEDULE_TO_STOP,
    NOTHING_IN_ARCHIVES,
    PRESET_NEEDS_TIME,
    PRESET_OPTIONS,
    SCHEDULE_FIRST,
    SCHEDULE_OR_PRESET,
    could_not_post_message,
    no_such_schedule_message,
    posted_message,
    preview_message,
    schedule_choice,
    schedule_set_message,
    schedule_stopped_message,
    which_schedule_message,
)
from bot.render.titles import display_title

log = logging.getLogger(__name__)

#: The command that chooses another channel, named when a channel stops taking posts.
SET_COMMAND = "/archive set"


def _when_refusal(
    schedule: str | None,
    preset: str | None,
    time: str | None,
    weekday: str | None,
    day: int | None,
) -> str | None:
    """Why the options given don't say when to post (None: they do)."""
    if (schedule is None) == (preset is None):
        return SCHEDULE_OR_PRESET
    if preset is not None and time is None:
        return PRESET_NEEDS_TIME
    if (weekday is not None and preset != "weekly") or (day is not None and preset != "monthly"):
        return PRESET_OPTIONS
    return None


class ScheduleCommands(commands.Cog):
    archive_group = moderator_group(
        "archive", "Scheduled 'from the archives' posts for this server."
    )

    def __init__(self, bot: ArchiveBot) -> None:
        self.bot = bot
        # run_due_schedules isolates each guild; the pass guards the pass itself.
        self.scheduler = BackgroundPass(
            bot, "scheduler pass", lambda: bot.service.schedules.run_due(self.post_scheduled)
        )

    async def cog_load(self) -> None:
        self.scheduler.start()

    async def cog_unload(self) -> None:
        self.scheduler.cancel()

    # -- the scheduler -----------------------------------------------------------------

    async def post_pick(
        self, channel_id: int, newsletter: str | None = None, nonce: int | None = None
    ) -> str | None:
        """Post an archive pick (from ``newsletter``, or from any) to a channel, or as a post
        of its own in a forum; the pick's title, or None if there is none. ``nonce``: a
        scheduled slot's, the same every try.

        ``ChannelUnavailable`` when the channel can no longer take posts; with a nonce,
        ``PostUncertain`` when the post may or may not have been made.
        """
        channel = self.bot.get_channel(channel_id)
        forum = isinstance(channel, discord.ForumChannel)
        with (
            posting(SET_COMMAND, needed_names(forum=forum)),
            unconfirmed() if nonce is not None else contextlib.nullcontext(),
        ):
            found = await destination(self.bot, channel_id, SET_COMMAND)
            pick = await self.bot.service.picks.pick(str(channel_id), newsletter)
            if pick is None:
                return None
            card = resource_card(pick)
            name = self.bot.service.names.get(pick.newsletter, pick.newsletter)
            await post_card(
                found,
                embed(card, self.bot, pick.newsletter),
                card_view(card, pick.key),
                name=pick_post_name(pick),
                tag=(name, pick.newsletter),
                nonce=nonce,
            )
        return display_title(pick)

    async def post_scheduled(
        self, schedule: ScheduleRecord, slot: dt.datetime, nonce: int
    ) -> str | None:
        title = await self.post_pick(schedule.channel_id, schedule.newsletter, nonce)
        log.info(
            "archive post for guild %s, schedule %s, slot %s: %s",
            schedule.guild_id,
            schedule.id,
            slot.isoformat(),
            title,
        )
        return title

    async def chosen(
        self, interaction: discord.Interaction, schedule_id: int | None, none_yet: str
    ) -> ScheduleRecord | None:
        """The schedule ``schedule_id`` names (without one: the server's only schedule), or
        None once the refusal is answered (``none_yet`` when the server has none)."""
        assert interaction.guild_id is not None
        service = self.bot.service
        found = await service.schedules.get(interaction.guild_id, schedule_id)
        if found is not None:
            return found
        ids = [schedule.id for schedule in await service.schedules.all(interaction.guild_id)]
        if not ids:
            refusal = none_yet
        elif schedule_id is None:
            refusal = which_schedule_message(ids)
        else:
            refusal = no_such_schedule_message(schedule_id, ids)
        await reply(interaction, refusal, ephemeral=True)
        return None

    async def schedule_id_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        wanted = current.strip().lstrip("#")
        choices = []
        for schedule in await self.bot.service.schedules.all(interaction.guild_id):
            if wanted and not str(schedule.id).startswith(wanted):
                continue
            channel = self.bot.get_channel(schedule.channel_id)
            where = f"#{channel.name}" if isinstance(channel, discord.TextChannel) else "a channel"
            name = schedule_choice(schedule.id, schedule.cron, schedule.timezone, where)
            choices.append(app_commands.Choice(name=name, value=schedule.id))
        return choices[:25]

    # -- commands ----------------------------------------------------------------------

    @archive_group.command(
        name="set", description="Post an archive pick to a channel on a schedule."
    )
    @app_commands.describe(
        channel="Where the picks go: a channel, or a forum (a post per pick)",
        schedule="Cron: minute hour day month weekday, e.g. '0 9 * * 1' = Mondays 09:00",
        preset="Instead of cron: daily, weekly or monthly, at a time",
        time="The preset's time of day, HH:MM, e.g. 09:00",
        weekday="The weekly preset's day (default Monday)",
        day="The monthly preset's day, 1 to 28 (default 1)",
        timezone="IANA time zone for the schedule, e.g. Europe/Paris (default from the config)",
        newsletter="The newsletter the picks come from (default: every one)",
    )
    @app_commands.autocomplete(newsletter=newsletter_autocomplete)
    @moderators_only
    async def set_command(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | discord.ForumChannel,
        schedule: app_commands.Range[str, 9, 100] | None = None,
        preset: Literal["daily", "weekly", "monthly"] | None = None,
        time: app_commands.Range[str, 1, 10] | None = None,
        weekday: Literal[
            "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"
        ]
        | None = None,
        day: app_commands.Range[int, 1, 28] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        newsletter: str | None = None,
    ) -> None:
        assert interaction.guild is not None
        chosen = newsletter_option(self.bot, newsletter)
        refusal = _when_refusal(schedule, preset, time, weekday, day)
        if refusal is not None:
            await reply(interaction, refusal, ephemeral=True)
            return
        served = self.bot.service.names
        wanted = {n: served[n] for n in ([chosen] if chosen else served)}
        refused = channel_refusal(channel, interaction.guild.me, wanted)
        if refused is not None:
            await reply(interaction, refused, ephemeral=True)
            return
        try:
            cron = (
                preset_cron(preset, time or "", weekday or "Monday", day or 1)
                if preset
                else (schedule or "").strip()
            )
        except ScheduleError as error:  # it quotes the time given
            await reply(interaction, echoed(str(error)), ephemeral=True)
            return
        zone = timezone or self.bot.settings.discord.default_timezone
        try:
            schedule_id, runs = await in_time(
                interaction,
                self.bot.service.schedules.add(
                    interaction.guild.id, channel.id, cron, zone, chosen
                ),
            )
        except ScheduleError as error:  # it quotes the cron or zone given
            await reply(interaction, echoed(str(error)), ephemeral=True)
            return
        names = several(self.bot)
        source = (names.get(chosen, chosen) if chosen else "every newsletter") if names else None
        await reply(
            interaction,
            schedule_set_message(
                schedule_id, channel.mention, cron, zone, [when(run, zone) for run in runs], source
            ),
        )

    @set_command.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        wanted = current.strip().casefold().replace(" ", "_")
        found = (z for z in time_zones() if wanted in z.casefold())
        return [app_commands.Choice(name=z, value=z) for z in itertools.islice(found, 25)]

    @archive_group.command(
        name="show", description="This server's archive schedules and their posts."
    )
    @moderators_only
    async def show_command(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        schedules = await self.bot.service.schedules.all(interaction.guild_id)
        if not schedules:
            await reply(interaction, NO_SCHEDULE, ephemeral=True)
            return
        names = several(self.bot)
        embeds = [
            embed(schedule_card(schedule, names), self.bot, schedule.newsletter)
            for schedule in schedules
        ]
        await reply(interaction, embeds=embeds, ephemeral=True)

    @archive_group.command(
        name="now", description="Post an archive pick to a schedule's channel right now."
    )
    @app_commands.describe(id="The schedule (see /archive show); not needed when there is one")
    @moderators_only
    async def now_command(self, interaction: discord.Interaction, id: int | None = None) -> None:
        service = self.bot.service
        schedule = await self.chosen(interaction, id, SCHEDULE_FIRST)
        if schedule is None:
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            title = await self.post_pick(schedule.channel_id, schedule.newsletter)
        except ChannelUnavailable as error:
            # The same channel would fail the scheduled posts too: stop them, as they would.
            await service.schedules.disable(schedule, str(error))
            await reply(interaction, could_not_post_message(str(error)), ephemeral=True)
            return
        if title is None:
            await reply(interaction, NOTHING_IN_ARCHIVES, ephemeral=True)
            return
        await service.schedules.record_post(schedule.id, title)
        await reply(interaction, posted_message(title, f"<#{schedule.channel_id}>"), ephemeral=True)

    @archive_group.command(
        name="preview", description="What a schedule's next post will look like (uses no pick)."
    )
    @app_commands.describe(id="The schedule (see /archive show); not needed when there is one")
    @moderators_only
    async def preview_command(
        self, interaction: discord.Interaction, id: int | None = None
    ) -> None:
        schedule = await self.chosen(interaction, id, SCHEDULE_FIRST)
        if schedule is None:
            return
        pick = await self.bot.service.picks.preview(str(schedule.channel_id), schedule.newsletter)
        if pick is None:
            await reply(interaction, NOTHING_IN_ARCHIVES, ephemeral=True)
            return
        card = resource_card(pick)
        next_post = (
            when(schedule.next_run_at, schedule.timezone)
            if schedule.enabled and schedule.next_run_at
            else None
        )
        await reply(
            interaction,
            preview_message(f"<#{schedule.channel_id}>", next_post),
            embed=embed(card, self.bot, pick.newsletter),
            view=link_buttons(card),
            ephemeral=True,
        )

    @archive_group.command(name="stop", description="Stop one of this server's archive schedules.")
    @app_commands.describe(id="The schedule (see /archive show); not needed when there is one")
    @moderators_only
    async def stop_command(self, interaction: discord.Interaction, id: int | None = None) -> None:
        assert interaction.guild_id is not None
        schedule = await self.chosen(interaction, id, NO_SCHEDULE_TO_STOP)
        if schedule is None:
            return
        await in_time(
            interaction,
            self.bot.service.schedules.stop(interaction.guild_id, schedule.id),
            ephemeral=True,
        )
        await reply(interaction, schedule_stopped_message(schedule.id), ephemeral=True)

    now_command.autocomplete("id")(schedule_id_autocomplete)
    preview_command.autocomplete("id")(schedule_id_autocomplete)
    stop_command.autocomplete("id")(schedule_id_autocomplete)


async def setup(bot: ArchiveBot) -> None:
    await bot.add_cog(ScheduleCommands(bot))
