"""What threads, forum posts and saved lists say: post and thread names, the permissions they
need by the names Discord shows, the Save button's answers and the ``/saved`` list."""

from __future__ import annotations

__all__ = [
    "DMS_CLOSED",
    "ITEM_GONE",
    "NOTHING_SAVED",
    "SAVE",
    "SAVED_DM",
    "SAVED_SENT",
    "forum_tag_required",
    "issue_post_name",
    "mode_sentence",
    "permission_names",
    "pick_post_name",
    "remove_label",
    "removed_message",
    "save_label",
    "saved_card",
    "saved_cleared_message",
]

from collections.abc import Sequence

from bot.archive.records import IssueRecord, PostMode, ResourceRecord
from bot.archive.saved import SavedItem
from bot.render.cards import Card, CardField, page_count
from bot.render.limits import clip
from bot.render.titles import context_line, display_title, issue_date_text

#: Discord's limit on a thread's (and a forum post's) name.
THREAD_NAME = 100

#: The permissions by the names Discord's channel settings show; in a forum, sending a
#: message is creating a post.
_PERMISSION_NAMES = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
    "create_public_threads": "Create Public Threads",
    "send_messages_in_threads": "Send Messages in Threads",
}
_FORUM_NAMES = {"send_messages": "Create Posts"}


def permission_names(flags: Sequence[str], *, forum: bool = False) -> list[str]:
    """Permission flags (``send_messages``) by the names Discord shows for a channel of
    that kind."""
    names = {**_PERMISSION_NAMES, **(_FORUM_NAMES if forum else {})}
    return [names.get(flag, flag.replace("_", " ").title()) for flag in flags]


def issue_post_name(number: int, title: str) -> str:
    """A new issue's thread or forum post: ``#N · title``, within Discord's limit."""
    return clip(" ".join(f"#{number} · {title}".split()), THREAD_NAME)


def pick_post_name(resource: ResourceRecord) -> str:
    """An archive pick's forum post: its short title, within Discord's limit."""
    return clip(display_title(resource), THREAD_NAME)


def mode_sentence(mode: PostMode) -> str:
    """What ``/announce set`` adds about how each issue is posted ('' for a plain message)."""
    if mode == "forum":
        return " Each new issue gets a forum post of its own."
    if mode == "thread":
        return " Each announcement opens a thread for talking about that issue."
    return ""


def forum_tag_required(channel: str, names: Sequence[str]) -> str:
    wanted = " and ".join(f"“{name}”" for name in names)
    return (
        f"{channel} requires a tag on every post, and it has no tag named {wanted}. "
        "Add one in the forum's settings (or let posts go without tags) and try again."
    )


SAVE = "Save"


def save_label(number: int) -> str:
    """The Save button of the result numbered ``number`` on a search page."""
    return f"Save {number}"


def remove_label(number: int) -> str:
    return f"Remove {number}"


SAVED_DM = "You saved this. /saved show lists everything you saved."
SAVED_SENT = "Saved: I sent it to you by direct message. /saved show lists everything you saved."
DMS_CLOSED = (
    "Saved, but I can't send you direct messages (they are closed for me), so here it is. "
    "/saved show lists everything you saved."
)
ITEM_GONE = "That is no longer in the archive: a reload removed it, so there is nothing to save."
NOTHING_SAVED = (
    "Nothing saved yet: press Save under a search result, an archive pick or an issue to keep it."
)
GONE_LINE = "no longer in the archive"


def saved_cleared_message(count: int) -> str:
    if count == 0:
        return NOTHING_SAVED
    return f"Your saved list is empty now: {count} item{'s' if count != 1 else ''} removed."


def removed_message(title: str) -> str:
    return f"Removed “{title}” from your saved list."


def saved_title(saved: SavedItem) -> str:
    """What a saved item is called in the list (its key when it is gone)."""
    item = saved.item
    if isinstance(item, IssueRecord):
        return f"Issue #{item.number}: {item.title}"
    if isinstance(item, ResourceRecord):
        return display_title(item)
    return saved.key


def _line(saved: SavedItem, names: dict[str, str] | None) -> str:
    item = saved.item
    if item is None:
        return GONE_LINE
    source = f"{names.get(item.newsletter, item.newsletter)} · " if names else ""
    if isinstance(item, IssueRecord):
        link = f" · {item.url}" if item.url else ""
        return f"{source}{issue_date_text(item.date, item.date_inferred)}{link}"
    link = f" · {item.links[0]}" if item.links else ""
    return f"{source}Issue {context_line(item)}{link}"


def saved_card(
    items: Sequence[SavedItem],
    page: int,
    per_page: int,
    total: int,
    names: dict[str, str] | None = None,
) -> Card:
    """One page of a member's saved list (``page`` counts from 0), newest first; with
    ``names`` (when the bot serves several newsletters), each item's newsletter."""
    fields = tuple(
        CardField(f"{page * per_page + index}. {saved_title(saved)}", _line(saved, names))
        for index, saved in enumerate(items, start=1)
    )
    return Card(
        title="Your saved items",
        description=f"{total} saved, newest first. Only you can see this list.",
        fields=fields,
        footer=f"Page {page + 1}/{page_count(total, per_page)}",
    )
