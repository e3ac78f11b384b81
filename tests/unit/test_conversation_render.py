"""Post and thread names within Discord's limit, permissions by the names Discord shows."""

from __future__ import annotations

from bot.archive.records import ResourceRecord
from bot.render.conversations import (
    THREAD_NAME,
    issue_post_name,
    permission_names,
    pick_post_name,
    saved_cleared_message,
)
from bot.render.messages import lost_access


def test_post_names_fit_discords_limit_and_keep_the_number() -> None:
    assert issue_post_name(29, "Machine  Learning\nMonthly") == "#29 · Machine Learning Monthly"
    long = issue_post_name(1234, "A very long issue title " * 10)
    assert len(long) <= THREAD_NAME and long.startswith("#1234 · A very long") and long[-1] == "…"
    pick = ResourceRecord("x/1-a", 1, "Issue 1", "Word " * 60, "", (), None)
    assert len(pick_post_name(pick)) <= THREAD_NAME


def test_permissions_are_named_as_discord_shows_them_per_channel_kind() -> None:
    flags = ["view_channel", "send_messages", "create_public_threads", "send_messages_in_threads"]
    assert permission_names(flags) == [
        "View Channel", "Send Messages", "Create Public Threads", "Send Messages in Threads",
    ]  # fmt: skip
    assert permission_names(["send_messages"], forum=True) == ["Create Posts"]
    assert "give it View Channel, Create Posts and Embed Links there" in lost_access(
        50013, "/announce set", ["View Channel", "Create Posts", "Embed Links"]
    )


def test_clearing_says_how_many_went() -> None:
    assert saved_cleared_message(1) == "Your saved list is empty now: 1 item removed."
    assert saved_cleared_message(0).startswith("Nothing saved yet")
