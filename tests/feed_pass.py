"""One feed pass of an archive in a process of its own, for the crash tests:

    python tests/feed_pass.py DATABASE FOLDER FEED_URL POSTS_FILE

It loads FOLDER, announces new issues in one server, polls FEED_URL (on 127.0.0.1) once,
then runs the announcer, which appends each post as a line to POSTS_FILE. With
``FEED_KILL_AT`` set, the process kills itself with SIGKILL at that point of the pass:
``file`` right after the first issue file is written, ``written`` once every file is written
and before the reload, ``loaded`` after the reload and before the entries are marked done.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import bot.archive.feeds
from bot.archive.records import AnnouncementRecord, IssueRecord
from bot.archive.service import ArchiveService
from bot.config import Network, load_settings


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


async def main(database: Path, folder: Path, url: str, posts: Path) -> None:
    kill_at = os.environ.get("FEED_KILL_AT", "")
    newsletter = replace(load_settings().served_newsletter(folder=folder), feeds=(url,))
    service = await ArchiveService.open(
        database, newsletter, network=Network(allow_private_hosts=True)
    )
    await service.loader.reload()
    await service.announcements.set(1, 10, None)
    real_write, real_reload = bot.archive.feeds.write_issue, service.loader.reload

    def write_then_die(folder: Path, file: str, page: str) -> bool:
        wrote = real_write(folder, file, page)
        if wrote:
            _die()
        return wrote

    async def reload(*args: Any) -> Any:
        if kill_at == "written":
            _die()
        report = await real_reload(*args)
        if kill_at == "loaded":
            _die()
        return report

    if kill_at == "file":
        bot.archive.feeds.write_issue = write_then_die
    service.loader.reload = reload  # type: ignore[method-assign]

    async def post(announcement: AnnouncementRecord, issue: IssueRecord, _: int) -> None:
        with posts.open("a", encoding="utf-8") as file:
            file.write(f"{announcement.guild_id} {issue.number}\n")

    try:
        await service.feeds.poll_due()
        await service.announcements.run_due(post)
    finally:
        await service.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])))
