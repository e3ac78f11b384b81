from __future__ import annotations

import logging
import shutil
from pathlib import Path
from unittest.mock import AsyncMock

import discord
import pytest

from bot.archive.service import ArchiveService
from bot.client import ArchiveBot
from bot.config import load_settings
from bot.runner import run_bot
from tests.commands.helpers import FakeInteraction, invoke, moderator
from tests.conftest import FakeClock, write_config

NEW_ISSUE = "---\nnumber: 29\ndate: 2022-05\n---\n# Machine Learning Monthly May 2022\n\n## A brand new tool\n\nIt does things.\n"


async def test_reload_reports_what_changed(bot: ArchiveBot, content_dir: Path) -> None:
    (content_dir / "029.md").write_text(NEW_ISSUE)
    interaction = FakeInteraction(bot, user=moderator())
    await invoke(bot, "reload", interaction)
    assert interaction.response.deferred and interaction.last.ephemeral
    assert (
        interaction.last.content
        == "Reloaded: issues added #29. Now serving 6 issues and 50 resources."
    )
    latest = FakeInteraction(bot)
    await invoke(bot, "latest", latest)
    assert (
        latest.last.embed is not None
        and latest.last.embed.title == "Machine Learning Monthly May 2022"
    )


async def test_reload_with_a_broken_file_serves_the_others(
    bot: ArchiveBot, content_dir: Path
) -> None:
    (content_dir / "029.md").write_text(NEW_ISSUE)
    (content_dir / "030.md").write_text("---\nnumber: thirty\n---\n")
    interaction = FakeInteraction(bot, user=moderator())
    await invoke(bot, "reload", interaction)
    assert interaction.last.content == (
        "Reloaded: issues added #29. Now serving 6 issues and 50 resources.\nProblems:\n"
        "• `030.md:2: error: number 'thirty' is not a whole number`"
    )
    assert await bot.service.issues.counts() == (6, 50)


async def test_reload_keeps_the_previous_version_of_a_file_that_broke(
    bot: ArchiveBot, content_dir: Path
) -> None:
    seed = content_dir / "000_d9c43b2f2c6f8a5c.txt"
    seed.write_text("---\nnumber: fifteen\n---\n" + seed.read_text())
    interaction = FakeInteraction(bot, user=moderator())
    await invoke(bot, "reload", interaction)
    assert (interaction.last.content or "").startswith(
        "Reloaded: nothing changed. Now serving 5 issues and 49 resources.\n"
        "Kept the previous version of 000_d9c43b2f2c6f8a5c.txt (see below).\nProblems:\n"
        "• `000_d9c43b2f2c6f8a5c.txt:2: error: number 'fifteen' is not a whole number`"
    )


async def test_reload_without_the_content_folder_changes_nothing(
    bot: ArchiveBot, content_dir: Path
) -> None:
    shutil.rmtree(content_dir)
    interaction = FakeInteraction(bot, user=moderator())
    await invoke(bot, "reload", interaction)
    assert (interaction.last.content or "").startswith(
        "Reload failed, so the previous content is still served."
    )
    assert "content folder not found" in (interaction.last.content or "")
    assert await bot.service.issues.counts() == (5, 49)


async def test_about(bot: ArchiveBot, clock: FakeClock) -> None:
    clock.advance(hours=26, minutes=5)
    interaction = FakeInteraction(bot)
    await invoke(bot, "about", interaction)
    embed = interaction.last.embed
    assert embed is not None
    fields = {f.name: f.value for f in embed.fields}
    assert (fields["Issues"], fields["Resources"], fields["Uptime"]) == ("5", "49", "1d 2h 5m")
    assert str(fields["Latest issue"]).startswith("#28 · about April 2022")
    assert str(fields["Content loaded"]).startswith("<t:")
    assert embed.description == "The back issues of Machine Learning Monthly by Daniel Bourke."
    assert "Files skipped" not in fields


async def test_about_counts_the_files_the_last_load_skipped(
    bot: ArchiveBot, content_dir: Path
) -> None:
    (content_dir / "bad.txt").write_text("no number anywhere\n")
    (content_dir / "worse.md").write_text("---\nnumber: [\n---\n")
    await bot.service.loader.reload()
    interaction = FakeInteraction(bot)
    await invoke(bot, "about", interaction)
    assert interaction.last.embed is not None
    fields = {f.name: f.value for f in interaction.last.embed.fields}
    assert str(fields["Files skipped"]).startswith("2 (named in the log")


async def test_commands_sync_only_when_their_definitions_change(bot: ArchiveBot) -> None:
    sync: AsyncMock = bot.tree.sync  # type: ignore[assignment]
    assert sync.await_count == 1  # first start: nothing remembered, so it synced
    assert await bot.sync_commands() is False
    assert sync.await_count == 1
    assert await bot.sync_commands(force=True) is True
    bot.tree.remove_command("about")
    assert await bot.sync_commands() is True
    assert sync.await_count == 3


async def test_development_guilds_get_the_commands_instantly(
    tmp_path: Path, content_dir: Path
) -> None:
    settings = load_settings(write_config(tmp_path, content_dir, dev_guild_ids=[11, 12]))
    service, _ = await ArchiveService.from_settings(settings)
    client = ArchiveBot(settings, service)
    client.tree.sync = AsyncMock(return_value=[])  # type: ignore[method-assign]
    async with client:
        await client.setup_hook()
        guilds = [call.kwargs["guild"].id for call in client.tree.sync.await_args_list]
        assert guilds == [11, 12]
        assert {c.name for c in client.tree.get_commands(guild=discord.Object(11))} >= {
            "latest",
            "archive",
        }
    await service.close()


def test_startup_without_the_content_folder_exits_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "not-used")
    settings = load_settings(write_config(tmp_path, tmp_path / "nowhere"))
    with caplog.at_level(logging.ERROR):
        assert run_bot(settings) == 1
    assert "content folder not found" in caplog.text and "Traceback" not in caplog.text


def test_no_token_exits_2_with_one_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    assert run_bot(load_settings()) == 2
    err = capsys.readouterr().err
    assert "set DISCORD_TOKEN" in err and "python -m bot latest" in err


def test_the_token_comes_from_a_dotenv_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("DISCORD_TOKEN=from-dotenv\n")
    seen: list[str] = []

    async def fake_run(settings: object, token: str, sync_only: bool) -> None:
        seen.append(token)

    # What run_bot hands the token to, in place of the connection to Discord: no public seam.
    monkeypatch.setattr("bot.runner._run", fake_run)
    assert run_bot(load_settings()) == 0
    assert seen == ["from-dotenv"]
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
