"""Forums and threads (/announce set, /archive set and the posts they make) and the Save
button with /saved, at the command level."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest

from bot.archive.saved import issue_key
from bot.client import ArchiveBot
from bot.cogs.helpers.saving import SAVE_ID, SaveButton, save_for
from tests.commands.helpers import FakeInteraction, invoke, member, moderator, text_channel
from tests.commands.test_announce_commands import announce_pass, channel, http_error, new_issue
from tests.conftest import FakeClock


def tag(name: str, tag_id: int = 1, *, moderated: bool = False) -> MagicMock:
    found = MagicMock(spec=discord.ForumTag)
    found.name, found.id, found.moderated = name, tag_id, moderated
    return found


def forum(
    channel_id: int = 900,
    *,
    tags: tuple[MagicMock, ...] = (),
    require_tag: bool = False,
    can_post: bool = True,
) -> MagicMock:
    found = MagicMock(spec=discord.ForumChannel)
    found.id = channel_id
    found.mention = f"<#{channel_id}>"
    found.available_tags = list(tags)
    found.flags = SimpleNamespace(require_tag=require_tag)
    found.permissions_for.return_value = discord.Permissions(
        view_channel=True, send_messages=can_post, embed_links=True
    )
    found.create_thread = AsyncMock(
        return_value=SimpleNamespace(thread=MagicMock(), message=MagicMock(spec=discord.Message))
    )
    return found


# -- /announce set -------------------------------------------------------------------------


async def test_announce_set_takes_a_forum_and_a_thread_option(bot: ArchiveBot) -> None:
    posts = FakeInteraction(bot, user=moderator())
    await invoke(bot, "announce set", posts, channel=forum())
    assert (posts.last.content or "").endswith("Each new issue gets a forum post of its own.")
    stored = await bot.service.announcements.get(42)
    assert stored is not None and (stored.channel_id, stored.mode) == (900, "forum")
    threads = text_channel(500)
    threads.permissions_for.return_value = discord.Permissions(
        view_channel=True, send_messages=True, embed_links=True, create_public_threads=True
    )
    threaded = FakeInteraction(bot, user=moderator())
    await invoke(bot, "announce set", threaded, channel=threads, thread=True)
    assert "Each announcement opens a thread" in (threaded.last.content or "")
    stored = await bot.service.announcements.get(42)
    assert stored is not None and (stored.channel_id, stored.mode) == (500, "thread")
    show = FakeInteraction(bot, user=moderator())
    await invoke(bot, "announce show", show)
    fields = {f.name: f.value for f in show.last.embed.fields}  # type: ignore[union-attr]
    assert fields["Posts"] == "a thread on each"
    payload = next(c.to_dict(bot.tree) for c in bot.tree.get_commands() if c.name == "announce")
    options = {o["name"]: o for o in payload["options"][0]["options"]}
    assert set(options["channel"]["channel_types"]) == {0, 5, 15, 16}  # 16: media
    assert options["thread"]["type"] == 5  # boolean


async def test_announce_set_refuses_what_is_missing_by_the_name_discord_shows(
    bot: ArchiveBot,
) -> None:
    no_posts = FakeInteraction(bot, user=moderator())
    await invoke(bot, "announce set", no_posts, channel=forum(can_post=False))
    assert no_posts.last.ephemeral and (no_posts.last.content or "").startswith(
        "I can't post in <#900>: I'm missing Create Posts there."
    )
    no_threads = FakeInteraction(bot, user=moderator())
    await invoke(bot, "announce set", no_threads, channel=text_channel(500), thread=True)
    assert (no_threads.last.content or "").startswith(
        "I can't post in <#500>: I'm missing Create Public Threads there."
    )
    untagged = FakeInteraction(bot, user=moderator())
    await invoke(
        bot, "announce set", untagged, channel=forum(tags=(tag("Other"),), require_tag=True)
    )
    assert untagged.last.content == (
        "<#900> requires a tag on every post, and it has no tag named “Machine Learning "
        "Monthly”. Add one in the forum's settings (or let posts go without tags) and try again."
    )
    assert await bot.service.announcements.get(42) is None
    tagged = FakeInteraction(bot, user=moderator())
    required = forum(tags=(tag("machine learning monthly"),), require_tag=True)
    await invoke(bot, "announce set", tagged, channel=required)
    assert not tagged.last.ephemeral


# -- the posts -------------------------------------------------------------------------------


async def test_a_new_issue_becomes_one_forum_post_tagged_with_its_newsletter(
    bot: ArchiveBot, content_dir: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = tag("Machine Learning Monthly", 7)
    posts = forum(tags=(tag("Other", 6), mine))
    monkeypatch.setattr(bot, "get_channel", lambda channel_id: posts)
    await bot.service.announcements.set(42, 900, None, mode="forum")
    await new_issue(bot, content_dir, clock)
    await announce_pass(bot)
    await announce_pass(bot)
    posts.create_thread.assert_awaited_once()
    call = posts.create_thread.await_args
    assert call.kwargs["name"] == "#29 · Machine Learning Monthly issue 29"
    assert call.kwargs["applied_tags"] == [mine]
    assert call.kwargs["content"] == "New issue of Machine Learning Monthly: #29"
    assert call.kwargs["embed"].title == "Machine Learning Monthly issue 29"
    save = call.kwargs["view"].children[-1]
    assert isinstance(save, SaveButton) and save.key == issue_key("default", 29)
    assert await bot.service.announcements.announced(42) == [("default", 29)]


async def test_thread_mode_opens_one_thread_on_each_announcement(
    bot: ArchiveBot, content_dir: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    news = channel()
    monkeypatch.setattr(bot, "get_channel", lambda channel_id: news)
    await bot.service.announcements.set(42, 500, None, mode="thread")
    await new_issue(bot, content_dir, clock)
    await announce_pass(bot)
    await announce_pass(bot)
    news.send.assert_awaited_once()
    assert isinstance(news.send.await_args.kwargs["nonce"], int)
    news.send.return_value.create_thread.assert_awaited_once_with(
        name="#29 · Machine Learning Monthly issue 29"
    )


async def test_a_thread_refused_later_disables_the_announcement_naming_what_is_missing(
    bot: ArchiveBot, content_dir: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    news = channel()
    news.send.return_value.create_thread = AsyncMock(
        side_effect=http_error(discord.Forbidden, 50013)
    )
    monkeypatch.setattr(bot, "get_channel", lambda channel_id: news)
    await bot.service.announcements.set(42, 500, None, mode="thread")
    await new_issue(bot, content_dir, clock)
    await announce_pass(bot)
    stopped = await bot.service.announcements.get(42)
    assert stopped is not None and not stopped.enabled
    assert "Embed Links and Create Public Threads" in (stopped.disabled_reason or "")


async def test_a_forum_that_comes_to_require_a_tag_disables_the_announcement(
    bot: ArchiveBot, content_dir: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    posts = forum()
    posts.create_thread.side_effect = http_error(discord.HTTPException, 40067)
    monkeypatch.setattr(bot, "get_channel", lambda channel_id: posts)
    await bot.service.announcements.set(42, 900, None, mode="forum")
    await new_issue(bot, content_dir, clock)
    await announce_pass(bot)
    stopped = await bot.service.announcements.get(42)
    assert stopped is not None and "Discord error 40067" in (stopped.disabled_reason or "")


async def test_archive_picks_go_to_a_forum_one_post_each(
    bot: ArchiveBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    posts = forum(tags=(tag("Machine Learning Monthly"),))
    monkeypatch.setattr(bot, "get_channel", lambda channel_id: posts)
    setting = FakeInteraction(bot, user=moderator())
    await invoke(bot, "archive set", setting, channel=posts, preset="daily", time="09:00")
    assert not setting.last.ephemeral, setting.last.content
    now = FakeInteraction(bot, user=moderator())
    await invoke(bot, "archive now", now)
    again = FakeInteraction(bot, user=moderator())
    await invoke(bot, "archive now", again)
    assert posts.create_thread.await_count == 2
    first, second = (c.kwargs for c in posts.create_thread.await_args_list)
    assert first["name"] != second["name"] and len(first["name"]) <= 100
    assert first["applied_tags"] == posts.available_tags
    assert isinstance(first["view"].children[-1], SaveButton)


# -- saving --------------------------------------------------------------------------------


def dms(*, closed: bool = False) -> MagicMock:
    user = member(5)
    user.send = AsyncMock(side_effect=http_error(discord.Forbidden, 50007) if closed else None)
    return user


async def test_save_keeps_the_item_and_sends_it_by_direct_message(bot: ArchiveBot) -> None:
    issue = await bot.service.issues.get(23)
    assert issue is not None
    resource = next(r for r in issue.resources if r.links)
    pressed = FakeInteraction(bot, user=dms())
    await save_for(pressed, resource.key)  # type: ignore[arg-type]
    assert pressed.last.ephemeral and pressed.last.content == (
        "Saved: I sent it to you by direct message. /saved show lists everything you saved."
    )
    sent = pressed.user.send.await_args
    assert sent.args == ("You saved this. /saved show lists everything you saved.",)
    assert sent.kwargs["embed"].url == resource.links[0]
    assert [s.key for s in await bot.service.saved.page(5, 0, 5)] == [resource.key]
    closed = FakeInteraction(bot, user=dms(closed=True))
    await save_for(closed, issue_key("default", 23))  # type: ignore[arg-type]
    assert closed.last.ephemeral and (closed.last.content or "").startswith(
        "Saved, but I can't send you direct messages"
    )
    assert closed.last.embed is not None and closed.last.embed.title == issue.title
    assert await bot.service.saved.count(5) == 2
    gone = FakeInteraction(bot, user=dms())
    await save_for(gone, "default/404")  # type: ignore[arg-type]
    assert (gone.last.content or "").startswith("That is no longer in the archive")
    gone.user.send.assert_not_awaited()


async def test_a_save_button_is_found_again_from_its_custom_id(bot: ArchiveBot) -> None:
    issue = await bot.service.issues.get(28)
    assert issue is not None
    longest = max((r.key for r in issue.resources), key=len)
    for key in (longest, issue_key("default", 28), "a" * 32 + "/123456-abcdef012345-99"):
        custom_id = SaveButton(key).custom_id
        found = re.fullmatch(SAVE_ID, custom_id)
        assert len(custom_id) <= 100 and found is not None and found["key"] == key
    item = discord.ui.Button[Any](label="Save 3", custom_id=f"save:{longest}")
    rebuilt = await SaveButton.from_custom_id(
        FakeInteraction(bot),  # type: ignore[arg-type]
        item,
        re.fullmatch(SAVE_ID, f"save:{longest}"),  # type: ignore[arg-type]
    )
    assert (rebuilt.key, rebuilt.item.label) == (longest, "Save 3")


async def test_saved_show_pages_newest_first_and_removes(
    bot: ArchiveBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = FakeInteraction(bot, user=member(5))
    await invoke(bot, "saved show", empty)
    assert empty.last.ephemeral and (empty.last.content or "").startswith("Nothing saved yet")
    issue = await bot.service.issues.get(28)
    assert issue is not None
    for resource in issue.resources[:6]:
        await bot.service.saved.add(5, resource.key)
    await bot.service.saved.add(5, "default/12-000000000000")  # removed by a later reload
    await bot.service.saved.add(6, issue.resources[0].key)  # another member's
    shown = FakeInteraction(bot, user=member(5))
    await invoke(bot, "saved show", shown)
    embed = shown.last.embed
    assert shown.last.ephemeral and embed is not None
    assert embed.description == "7 saved, newest first. Only you can see this list."
    assert embed.fields[0].value == "no longer in the archive"
    assert (embed.fields[1].name or "").startswith("2. ") and embed.footer.text == "Page 1/2"
    view: Any = shown.last.view
    labels = [b.label for b in view.children]
    assert labels == ["Previous", "Next", *(f"Remove {n}" for n in range(1, 6))]
    assert not await view.interaction_check(FakeInteraction(bot, user=member(6)))
    press = FakeInteraction(bot, user=member(5))
    await view.children[2].callback(press)  # Remove 1: the gone one
    assert press.last.kind == "edit" and press.last.content == (
        "Removed “default/12-000000000000” from your saved list."
    )
    assert await bot.service.saved.count(5) == 6 and await bot.service.saved.count(6) == 1
    turn = FakeInteraction(bot, user=member(5))
    await view.next.callback(turn)
    assert turn.last.embed is not None and turn.last.embed.footer.text == "Page 2/2"
    assert [b.label for b in view.children][2:] == ["Remove 6"]
    cleared = FakeInteraction(bot, user=member(5))
    await invoke(bot, "saved clear", cleared)
    assert cleared.last.ephemeral
    assert cleared.last.content == "Your saved list is empty now: 6 items removed."
    assert await bot.service.saved.count(5) == 0 and await bot.service.saved.count(6) == 1


def test_saved_is_for_everyone_in_servers_and_direct_messages(bot: ArchiveBot) -> None:
    payload = next(c.to_dict(bot.tree) for c in bot.tree.get_commands() if c.name == "saved")
    assert {o["name"] for o in payload["options"]} == {"show", "clear"}
    assert payload["default_member_permissions"] is None and payload["contexts"] == [0, 1]
