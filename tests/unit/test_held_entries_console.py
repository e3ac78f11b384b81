"""``python -m bot feeds``: the feed entries held for a moderator, listed, released (written
by the bot's next feed pass) and dismissed, from the console."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from bot.archive.service import ArchiveService
from bot.cli import main
from bot.config import load_settings
from tests.conftest import write_config
from tests.feed_server import XML, FeedServer, rss


async def _hold(config: Path) -> None:
    """Poll a feed whose entries are numbered far beyond the archive: both are held."""
    server = FeedServer()
    await server.start()
    try:
        url = server.serve_body("/far.xml", rss([("Issue 990", "a"), ("Issue 991", "b")]), XML)
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        data["content"]["feeds"] = [url]
        data["network"]["allow_private_hosts"] = True
        config.write_text(yaml.safe_dump(data), encoding="utf-8")
        service, _ = await ArchiveService.from_settings(load_settings(config))
        try:
            assert await service.feeds.poll_due() == 0
        finally:
            await service.close()
    finally:
        await server.stop()


async def _served(config: Path) -> list[int]:
    service, _ = await ArchiveService.from_settings(load_settings(config))
    try:
        await service.feeds.poll_due()
        return await service.issues.numbers()
    finally:
        await service.close()


def test_list_release_and_dismiss(
    tmp_path: Path, content_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, content_dir)
    assert main(["feeds", "--config", str(config)]) == 0
    assert capsys.readouterr().out == "No feed entry is held: every new entry was served.\n"
    asyncio.run(_hold(config))

    assert main(["feeds", "--config", str(config)]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0] == "2 feed entries are held:"
    assert listing[1].startswith("  [1] default #991 “Issue 991” from http://127.0.0.1:")
    assert listing[2].startswith("  [2] default #990 “Issue 990” from http://127.0.0.1:")

    assert main(["feeds", "dismiss", "1", "--config", str(config)]) == 0
    assert capsys.readouterr().out == "Dismissed [1]: #991 “Issue 991” will not be served.\n"
    assert main(["feeds", "release", "2", "--config", str(config)]) == 0
    assert capsys.readouterr().out == (
        "Released [2]: #990 “Issue 990” is written and loaded by the bot's next feed pass.\n"
    )
    assert main(["feeds", "release", "2", "--config", str(config)]) == 1
    assert capsys.readouterr().err == "No held feed entry [2]: python -m bot feeds lists them.\n"

    numbers = asyncio.run(_served(config))
    assert 990 in numbers and 991 not in numbers
    assert (content_dir / "issue-990.html").is_file()
