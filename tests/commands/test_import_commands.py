"""/import at the command level: the preview (ephemeral, Save and Cancel for the moderator
who asked only), Save and Cancel, and each refusal (not a moderator, both or neither of file
and url, a wrong type, too large, not an issue, a number already served, a non-http link)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord

from bot.archive.imports import MAX_IMPORT_BYTES
from bot.client import ArchiveBot
from bot.cogs.imports import ImportPreviewView
from tests.commands.helpers import FakeInteraction, invoke, member, moderator
from tests.unit.test_imports import NEW_ISSUE


def attachment(name: str, data: bytes, size: int | None = None) -> MagicMock:
    file = MagicMock(spec=discord.Attachment)
    file.filename = name
    file.size = len(data) if size is None else size
    file.url = f"https://cdn.example/{name}"
    file.read = AsyncMock(return_value=data)
    return file


async def preview(bot: ArchiveBot, file: MagicMock, **params: Any) -> FakeInteraction:
    interaction = FakeInteraction(bot, user=moderator(1))
    await invoke(bot, "import", interaction, file=file, url=None, newsletter=None, **params)
    return interaction


def view_of(interaction: FakeInteraction) -> Any:
    """The preview's view (its class comes from the module the extension loaded; pressed
    with stand-in interactions)."""
    view = interaction.last.view
    assert type(view).__name__ == ImportPreviewView.__name__
    return view


def test_import_is_for_moderators_in_servers(bot: ArchiveBot) -> None:
    payloads = {c["name"]: c for c in (cmd.to_dict(bot.tree) for cmd in bot.tree.get_commands())}
    command = payloads["import"]
    assert command["default_member_permissions"] == discord.Permissions(manage_guild=True).value
    assert command["contexts"] == [0]
    assert {o["name"]: o["type"] for o in command["options"]} == {
        "file": 11,
        "url": 3,
        "newsletter": 3,
    }


async def test_a_member_is_refused(bot: ArchiveBot) -> None:
    file = attachment("issue-29.md", NEW_ISSUE.encode())
    interaction = FakeInteraction(bot, user=member(5))
    await invoke(bot, "import", interaction, file=file, url=None, newsletter=None)
    assert interaction.last.ephemeral
    assert interaction.last.content is not None
    assert interaction.last.content.startswith("This command is for moderators")
    file.read.assert_not_awaited()


async def test_preview_then_save(bot: ArchiveBot, content_dir: Path) -> None:
    interaction = await preview(bot, attachment("Issue 29.md", NEW_ISSUE.encode()))
    shown = interaction.last
    assert shown.ephemeral and shown.embed is not None
    assert shown.embed.title == "Machine Learning Monthly May 2022"
    assert shown.embed.description == (
        "Issue #29 · May 2022 · 2 resources\n\n• Brand new tool\n• Another paper"
    )
    assert shown.embed.footer.text == "Save writes issue-29.md into the content folder and reloads."
    view = view_of(interaction)
    assert [b.label for b in view.children if isinstance(b, discord.ui.Button)] == [
        "Save",
        "Cancel",
    ]
    assert not (content_dir / "issue-29.md").exists()

    press = FakeInteraction(bot, user=moderator(1))
    assert await view.interaction_check(press)
    await view.save.callback(press)
    assert (content_dir / "issue-29.md").read_bytes() == NEW_ISSUE.encode()
    edit, report = press.sent
    assert edit.kind == "edit" and view.save.disabled and view.cancel.disabled
    assert report.ephemeral
    assert report.content is not None
    assert report.content.startswith(
        "Saved issue #29 as `issue-29.md` in the content folder.\nReloaded: issues added #29."
    )
    latest = await bot.service.issues.latest()
    assert latest is not None and latest.number == 29


async def test_a_stranger_cannot_save_or_cancel(bot: ArchiveBot, content_dir: Path) -> None:
    interaction = await preview(bot, attachment("issue-29.md", NEW_ISSUE.encode()))
    view = view_of(interaction)
    for user in (member(5), moderator(2)):
        stranger = FakeInteraction(bot, user=user)
        assert not await view.interaction_check(stranger)
        assert stranger.last.ephemeral
        assert stranger.last.content == (
            "Only the moderator who ran this import can save or cancel it: run /import to "
            "preview your own."
        )
    assert not (content_dir / "issue-29.md").exists()
    assert not view.is_finished()


async def test_cancel_saves_nothing(bot: ArchiveBot, content_dir: Path) -> None:
    before = sorted(p.name for p in content_dir.iterdir())
    interaction = await preview(bot, attachment("issue-29.md", NEW_ISSUE.encode()))
    view = view_of(interaction)
    press = FakeInteraction(bot, user=moderator(1))
    await view.cancel.callback(press)
    assert press.last.kind == "edit"
    assert press.last.content == "Import cancelled: nothing was saved."
    assert view.is_finished() and view.save.disabled
    assert sorted(p.name for p in content_dir.iterdir()) == before
    assert await bot.service.issues.get(29) is None


async def test_an_attachment_that_is_not_an_issue(bot: ArchiveBot, content_dir: Path) -> None:
    interaction = await preview(bot, attachment("notes.txt", b"Some words, no number.\n"))
    shown = interaction.last
    assert shown.embed is not None and shown.embed.title == "Not an issue"
    problems = shown.embed.fields[0]
    assert problems.name == "Problems"
    assert problems.value is not None and "no issue number found" in problems.value
    assert view_of(interaction).save.disabled
    assert not (content_dir / "notes.txt").exists()


async def test_a_number_already_in_the_archive(bot: ArchiveBot) -> None:
    text = NEW_ISSUE.replace("number: 29", "number: 28")
    interaction = await preview(bot, attachment("again.md", text.encode()))
    shown = interaction.last
    assert shown.embed is not None
    assert shown.embed.fields[0].value is not None
    assert shown.embed.fields[0].value.startswith("• Issue #28 is already in the archive (from ")
    assert shown.embed.footer.text == "It can't be saved as it is."
    assert view_of(interaction).save.disabled


async def test_too_large_is_refused_before_download(bot: ArchiveBot) -> None:
    file = attachment("issue-29.md", b"", size=MAX_IMPORT_BYTES + 1)
    interaction = await preview(bot, file)
    assert interaction.last.ephemeral and interaction.last.view is None
    assert interaction.last.content == "That file is too large to import: the limit is 1024 KB."
    file.read.assert_not_awaited()


async def test_a_wrong_type_is_refused_before_download(bot: ArchiveBot) -> None:
    file = attachment("cover.png", b"\x89PNG")
    interaction = await preview(bot, file)
    assert interaction.last.content == (
        ".png is not a file type an import takes: use .txt, .md, .markdown, .html, .htm, .rst, .rest."
    )
    file.read.assert_not_awaited()


async def test_file_or_url_not_both_nor_neither(bot: ArchiveBot) -> None:
    for params in (
        {"file": attachment("issue-29.md", NEW_ISSUE.encode()), "url": "https://x/issue.md"},
        {"file": None, "url": None},
    ):
        interaction = FakeInteraction(bot, user=moderator(1))
        await invoke(bot, "import", interaction, newsletter=None, **params)
        assert interaction.last.ephemeral
        assert interaction.last.content == (
            "Give the issue either as a `file` or as a `url`, not both."
        )


async def test_a_link_that_is_not_http_is_refused(bot: ArchiveBot) -> None:
    interaction = FakeInteraction(bot, user=moderator(1))
    await invoke(bot, "import", interaction, file=None, url="file:///etc/passwd", newsletter=None)
    assert interaction.last.ephemeral
    assert interaction.last.content == (
        "Only http:// and https:// links can be imported, not “file”."
    )


async def test_an_unknown_newsletter_is_refused(bot: ArchiveBot) -> None:
    file = attachment("issue-29.md", NEW_ISSUE.encode())
    interaction = FakeInteraction(bot, user=moderator(1))
    await invoke(bot, "import", interaction, file=file, url=None, newsletter="nope")
    assert interaction.last.ephemeral
    assert interaction.last.content is not None and "nope" in interaction.last.content
    file.read.assert_not_awaited()
