"""Start the real bot (``python -m bot``) pointed at a local stand-in for Discord.

    python tests/e2e/launch_bot.py http://127.0.0.1:PORT [bot arguments…]

Only the two addresses discord.py talks to change: the REST base (the interaction webhooks
are built from it too) and the gateway. The bot itself runs unmodified, but for its clock when
``E2E_CLOCK_FILE`` names a file: the archive then tells time as now plus the seconds that file
holds, so a test can bring a schedule's slot near without waiting for it.
"""

from __future__ import annotations

import datetime as dt
import os
import runpy
import sys
from pathlib import Path
from typing import Any

import discord.gateway
import discord.http
import yarl


def _shift_the_clock(offset_file: Path) -> None:
    """Open every archive with a clock ``offset_file``'s seconds ahead of the real one."""
    from bot.archive.service import ArchiveService

    def shifted() -> dt.datetime:
        offset = float(offset_file.read_text() or 0)
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=offset)

    real_open = ArchiveService.open.__func__  # type: ignore[attr-defined]

    async def open_shifted(cls: type[ArchiveService], *args: Any, **kwargs: Any) -> Any:
        database, newsletters, *_ = args
        kwargs.pop("clock", None)
        return await real_open(cls, database, newsletters, shifted, **kwargs)

    ArchiveService.open = classmethod(open_shifted)  # type: ignore[method-assign, assignment]


def main() -> None:
    base, *arguments = sys.argv[1:]
    discord.http.Route.BASE = f"{base}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(
        base.replace("http://", "ws://", 1) + "/"
    )
    if os.environ.get("E2E_CLOCK_FILE"):
        _shift_the_clock(Path(os.environ["E2E_CLOCK_FILE"]))
    sys.argv = ["bot", *arguments]
    runpy.run_module("bot", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
