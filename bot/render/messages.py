"""Every short answer the bot and the console give, written once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from bot.archive.records import NO_FILTERS, LoadReport, LoadSummary, SearchFilters
from bot.content.models import Problem
from bot.render.cron import describe
from bot.render.echo import echoed

MAX_PROBLEMS_SHOWN = 10
MESSAGE_LIMIT = 2000  # characters in a Discord message

EMPTY_ARCHIVE = "The archive is empty: no issues are loaded yet."
NOTHING_IN_ARCHIVES = "Nothing in the archives yet: only the latest issue is loaded."
NOT_A_MODERATOR = "This command is for moderators: members with Manage Server or a moderator role."
SERVERS_ONLY = "This command works in servers only."
NOT_HERE = "You can't use this command here."
PAGES_FOR_SEARCHER = (
    "Only the person who searched can turn these pages: run /search to get your own."
)
SHARE_FOR_SEARCHER = (
    "Only the person who searched can share these results: run /search to get your own."
)
SHARED = "Shared in the channel."
IMPORT_FILE_OR_URL = "Give the issue either as a `file` or as a `url`, not both."
IMPORT_FOR_REQUESTER = (
    "Only the moderator who ran this import can save or cancel it: run /import to preview your own."
)
IMPORT_CANCELLED = "Import cancelled: nothing was saved."
IMPORT_EXPIRED = "This preview expired: nothing was saved. Run /import again."
SCHEDULE_OR_PRESET = (
    "Say when: either a cron `schedule`, or a `preset` (daily, weekly or monthly) with a "
    "`time`, not both."
)
PRESET_NEEDS_TIME = "A preset needs a `time` (HH:MM), e.g. 09:00."
PRESET_OPTIONS = "`weekday` goes with the weekly preset, and `day` with the monthly one."


def preview_message(channel: str, next_post: str | None) -> str:
    """Above a preview of the next scheduled post (``next_post``: when, or None if disabled)."""
    when_ = f" on {next_post}" if next_post else ""
    return (
        f"The next post in {channel}{when_} will look like this: a pick drawn the same way. "
        "This one is not used up, so the post may show another."
    )


NO_SCHEDULE = "No archive schedule here yet: set one with /archive set."
SCHEDULE_FIRST = "Choose a channel first with /archive set."
NO_SCHEDULE_TO_STOP = "There was no archive schedule to stop."


def schedule_ids(ids: list[int]) -> str:
    return ", ".join(f"#{schedule_id}" for schedule_id in ids)


def which_schedule_message(ids: list[int]) -> str:
    """When a server has several schedules and the command was given no ``id``."""
    return f"This server has several archive schedules ({schedule_ids(ids)}): say which with `id`."


def no_such_schedule_message(schedule_id: int, ids: list[int]) -> str:
    return f"There is no archive schedule #{schedule_id} here: this server has {schedule_ids(ids)}."


def schedule_stopped_message(schedule_id: int) -> str:
    return f"Scheduled archive posts stopped (schedule #{schedule_id})."


def schedule_choice(schedule_id: int, cron: str, zone: str, channel: str) -> str:
    """A schedule as the ``id`` autocomplete offers it (at most 100 characters)."""
    name = f"#{schedule_id} in {channel}: {describe(cron, zone)}"
    return name if len(name) <= 100 else name[:99] + "…"


NO_ANNOUNCEMENT = "No announcements here yet: set them with /announce set."
ANNOUNCEMENT_STOPPED = "Announcements of new issues stopped."
NO_ANNOUNCEMENT_TO_STOP = "There were no announcements to stop."
EVERYONE_REFUSED = "Choose a role other than @everyone: announcements never ping everyone."
NO_ROLE_TO_SUBSCRIBE = (
    "There is no announcement role to subscribe to here: a moderator can set one with "
    "/announce set."
)
ROLE_GONE = (
    "The announcement role no longer exists: a moderator can choose another with /announce set."
)
SUBSCRIPTIONS_OFF = (
    "Members don't take the announcement role themselves on this server's bot: ask a moderator "
    "to give it to you or take it back."
)
#: Where a server's roles are changed, named in the refusals that say what to change.
ROLE_SETTINGS = "Server Settings → Roles"


def managed_role_refused(role: str) -> str:
    return (
        f"{role} belongs to an integration (a bot, server boosts or subscriptions): Discord "
        "lets nobody give it to members. Choose a role made for announcements, or none."
    )


def powerful_role_refused(role: str, powers: list[str]) -> str:
    """/announce set: a role members could take with /subscribe grants ``powers``."""
    return (
        f"{role} grants {_and(powers)}: anyone could get that with /subscribe. Choose a role "
        f"that grants nothing beyond chatting, or remove those permissions from it in "
        f"{ROLE_SETTINGS}, then run /announce set again."
    )


def role_above_me(role: str) -> str:
    return (
        f"I can't give {role} to members with /subscribe: it is at or above my highest role. "
        f"Drag my role above it in {ROLE_SETTINGS}, then run /announce set again."
    )


def no_manage_roles(role: str) -> str:
    return (
        f"I can't give {role} to members with /subscribe: I don't have Manage Roles. Give my "
        f"role Manage Roles in {ROLE_SETTINGS}, then run /announce set again."
    )


def unpingable_role(role: str) -> str:
    return (
        f"Announcements couldn't ping {role}: it isn't mentionable and I don't have Mention "
        f"@everyone, @here and All Roles. Turn on “Allow anyone to @mention this role” for it "
        f"in {ROLE_SETTINGS}, then run /announce set again."
    )


def role_now_powerful(role: str, powers: list[str]) -> str:
    """/subscribe: the announcement role was given ``powers`` since it was set."""
    return (
        f"I won't hand out {role}: it now grants {_and(powers)}. Ask a moderator to remove "
        "those permissions from it, or to choose another role with /announce set."
    )


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def not_a_text_channel(command: str = "/archive set") -> str:
    """Why posts stopped when the channel is not a text channel; ``command`` sets another."""
    return f"the channel is not a text channel: choose another with {command}"


def channel_deleted(command: str = "/archive set") -> str:
    """Why posts stopped when the channel was deleted; ``command`` sets another."""
    return f"the channel was deleted (Discord error 10003): choose another with {command}"


def lost_access(
    code: int,
    command: str = "/archive set",
    needed: Sequence[str] = ("View Channel", "Send Messages", "Embed Links"),
) -> str:
    """Why posts stopped after Discord refused one with ``code`` (50001, 50013); ``needed``:
    what the bot needs there, as Discord names it."""
    return (
        f"the bot lost access to the channel (Discord error {code}): give it "
        f"{', '.join(needed[:-1])} and {needed[-1]} there, then run {command} again"
    )


def tag_required(command: str) -> str:
    """Why posts stopped when a forum came to require a tag that none of the bot's fits."""
    return (
        "the forum requires a tag on every post and has none named after the newsletter "
        f"(Discord error 40067): add one in the forum's settings, then run {command} again"
    )


def announce_set_message(
    channel: str, role: str | None, newsletter: str | None = None, subscriptions: bool = True
) -> str:
    """``newsletter``: the one announced, named when the bot serves several; ``subscriptions``:
    whether members take the role themselves."""
    what = f"New issues of {newsletter}" if newsletter else "New issues"
    take = (
        "Members can take or drop the role with /subscribe and /unsubscribe"
        if subscriptions
        else "Moderators give the role to members who want the ping"
    )
    ping = f", pinging {role}. {take}" if role else ", pinging nobody"
    return f"{what} will be announced in {channel}{ping}. Issues already loaded are not announced."


def new_issue_message(newsletter: str, number: int, role: str | None) -> str:
    """The text above an announced issue's card; ``role`` (a mention) is the only ping."""
    text = f"New issue of {newsletter}: #{number}"
    return f"{role} {text}" if role else text


def cannot_manage_role(role: str) -> str:
    return (
        f"I can't give or take {role}: I need Manage Roles and a role above it. "
        "Ask a moderator to fix that."
    )


def subscribed_message(role: str) -> str:
    return f"You now have {role}: you'll be pinged when a new issue is announced. /unsubscribe drops it."


def already_subscribed_message(role: str) -> str:
    return f"You already have {role}. /unsubscribe drops it."


def unsubscribed_message(role: str) -> str:
    return f"You no longer have {role}: new issues won't ping you. /subscribe takes it again."


def not_subscribed_message(role: str) -> str:
    return f"You don't have {role}. /subscribe takes it."


def cooldown_message(command: str, again: str) -> str:
    """``again`` is when the command may be used again, as Discord shows a time."""
    return f"Easy there: you can use /{command} again {again}."


def invalid_option_message(value: object) -> str:
    return f"“{echoed(str(value))}” is not a valid value for that option."


def apology(error_id: str) -> str:
    return (
        "Sorry, something went wrong on our side. If it keeps happening, tell a moderator "
        f"the error id `{error_id}`."
    )


def missing_permissions_message(channel: str, missing: list[str]) -> str:
    return (
        f"I can't post in {channel}: I'm missing {', '.join(missing)} there. "
        "Give me those permissions in the channel settings and try again."
    )


def schedule_set_message(
    schedule_id: int,
    channel: str,
    cron: str,
    zone: str,
    runs: list[str],
    newsletter: str | None = None,
) -> str:
    """``newsletter``: where the picks come from, named when the bot serves several."""
    lines = "\n".join(f"• {run}" for run in runs)
    what = f"Archive picks from {newsletter}" if newsletter else "Archive picks"
    return (
        f"{what} will be posted in {channel} {schedule_words(cron, zone)}. Next runs:\n{lines}\n"
        f"This is schedule #{schedule_id}: /archive now, preview and stop take its id."
    )


def schedule_words(cron: str, zone: str) -> str:
    """When a schedule posts, in words, with its cron expression when the words don't quote it."""
    words = describe(cron, zone)
    return words if f"`{cron}`" in words else f"{words} (`{cron}`)"


def posted_message(title: str, channel: str) -> str:
    return f"Posted “{title}” in {channel}."


def could_not_post_message(reason: str) -> str:
    return f"I couldn't post: {reason}."


def missing_issue_message(number: int, numbers: list[int]) -> str:
    """The answer for an issue number that is not in the archive, naming those that are."""
    if not numbers:
        return "The archive is empty: no issues are loaded yet."
    return (
        f"There is no issue #{number}. The archive holds issues #{min(numbers)} to #{max(numbers)}."
    )


def newsletter_list(names: list[str]) -> str:
    """Names as a sentence lists them: ``A``, ``A and B``, ``A, B and C``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def unknown_newsletter_message(value: str, names: Mapping[str, str]) -> str:
    """The answer for a ``newsletter`` option that names none of those served."""
    known = ", ".join(f"{name} (`{letter}`)" for letter, name in names.items())
    return f"There is no newsletter “{value[:100]}” here. Choose one of: {known}."


def filters_text(filters: SearchFilters) -> str:
    """What narrowed a search, as words: ``in issue #15 · from 2021 · in “My work”``."""
    parts = []
    if filters.issue is not None:
        parts.append(f"in issue #{filters.issue}")
    if filters.year is not None:
        parts.append(f"from {filters.year}")
    if filters.section is not None:
        parts.append(f"in “{echoed(filters.section)[:100]}”")
    return " · ".join(parts)


def shared_message(user: str) -> str:
    """The line above a search a member shared from a private answer (``user``: a mention,
    which pings nobody)."""
    return f"{user} shared this search:"


def no_results_message(
    query: str, suggestions: list[str], filters: SearchFilters = NO_FILTERS
) -> str:
    """Nothing found; with ``filters``, says so (no suggestions: they ignore the filters)."""
    query = echoed(query)
    shown = query if len(query) <= 100 else query[:99] + "…"
    if not filters.empty:
        return f"Nothing found for “{shown}” {filters_text(filters)}. Try without those filters."
    message = f"Nothing found for “{shown}”."
    if suggestions:
        message += " Did you mean: " + "; ".join(f"“{s}”" for s in suggestions) + "?"
    else:
        message += " Try fewer or more general words."
    return message


def _problems(problems: list[Problem]) -> str:
    shown = "\n".join(f"• `{problem}`" for problem in problems[:MAX_PROBLEMS_SHOWN])
    more = len(problems) - MAX_PROBLEMS_SHOWN
    return shown + (f"\n…and {more} more (run `python -m bot check`)." if more > 0 else "")


def reload_message(report: LoadReport, names: Mapping[str, str] | None = None) -> str:
    """What a reload changed, per newsletter (named from ``names`` when there are several)."""
    if len(report.summaries) == 1:
        return _summary_message(report.summaries[0])
    names = names or {}
    return "\n\n".join(
        f"**{names.get(summary.newsletter, summary.newsletter)}**: " + _summary_message(summary)
        for summary in report.summaries
    )[:MESSAGE_LIMIT]


def _summary_message(summary: LoadSummary) -> str:
    """What a reload changed (issues added, changed, removed), what is served now, and every
    file that failed (the previous version of each is kept where there was one)."""
    if summary.unchanged:
        head = "Reloaded: nothing changed."
    else:
        parts = [
            f"{label} " + ", ".join(f"#{n}" for n in numbers)
            for label, numbers in (
                ("added", summary.added),
                ("changed", summary.changed),
                ("removed", summary.removed),
            )
            if numbers
        ]
        head = "Reloaded: issues " + "; ".join(parts) + "."
    text = f"{head} Now serving {summary.issues} issues and {summary.resources} resources."
    if summary.kept:
        text += "\nKept the previous version of " + ", ".join(summary.kept) + " (see below)."
    if summary.problems:
        text += "\nProblems:\n" + _problems(list(summary.problems))
    return text[:MESSAGE_LIMIT]


def reload_failed_message(problems: list[Problem]) -> str:
    text = (
        "Reload failed, so the previous content is still served. Fix this and reload again:\n"
        + _problems(problems)
    )
    return text[:MESSAGE_LIMIT]


def format_duration(delta: dt.timedelta) -> str:
    """``1d 2h 5m``, or ``2h 5m`` under a day."""
    minutes, _ = divmod(int(delta.total_seconds()), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h {minutes}m" if days else f"{hours}h {minutes}m"


def import_refused_message(
    kind: str, detail: str, limit_bytes: int, suffixes: Sequence[str]
) -> str:
    """Why an import was refused (``kind``: an ``ImportRefused`` kind; ``detail``: what it
    names), and what it takes."""
    if kind == "scheme":
        return f"Only http:// and https:// links can be imported, not “{echoed(detail)}”."
    if kind == "address":
        return (
            f"That link leads to an address that is not public ({echoed(detail)}): links are "
            "only fetched from the public internet. Nothing was downloaded. (Whoever runs the "
            "bot can allow their own network with `network.allow_private_hosts`.)"
        )
    if kind == "redirects":
        return f"That link redirects more than {echoed(detail)} times: nothing was imported."
    if kind == "type":
        return (
            f"{echoed(detail)} is not a file type an import takes: use " + ", ".join(suffixes) + "."
        )
    if kind == "size":
        return f"That file is too large to import: the limit is {limit_bytes // 1024} KB."
    if kind == "status":
        return f"The link could not be downloaded: the server answered {echoed(detail)}."
    if kind == "timeout":
        return f"The download took longer than {echoed(detail)} seconds: nothing was imported."
    if kind == "unwritable":
        why = "its disk is full" if detail == "full" else "it may not write into its content folder"
        return (
            f"The bot could not save the issue: {why}. Nothing was saved. Whoever runs the bot "
            "can fix it (its log names the folder and what to change), then run /import again."
        )
    if kind == "exists":
        return (
            f"That issue number was loaded since the preview (from {echoed(detail)}): "
            "nothing was saved."
        )
    return f"The file could not be downloaded ({echoed(detail)}): nothing was imported."


def import_saved_message(file_name: str, number: int, report: LoadReport,
                         names: Mapping[str, str] | None = None) -> str:  # fmt: skip
    """What a saved import did: the file it became, then what the reload changed."""
    return (
        f"Saved issue #{number} as `{file_name}` in the content folder.\n"
        + reload_message(report, names)
    )[:MESSAGE_LIMIT]
