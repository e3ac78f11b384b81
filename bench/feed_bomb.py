"""A probe: a gzip bomb feed served from 127.0.0.1 to an archive's feed poll. Prints the
process's peak memory and the event loop's longest stall. Asserts nothing.

    python -m bench.feed_bomb [--megabytes N] [--polls N]

An archive is opened on a copy of the bundled seeds with one feed (private hosts allowed: the
server is on loopback, as a self-hoster's would be) and the default caps (``network``). The
feed answers a gzip body of about ``--megabytes`` MB (default 1) that decompresses to about
1000 times as much; the archive polls it ``--polls`` times (default 5), the clock moved past
each back-off. Meanwhile a ticker asks the loop for a turn every 5 ms and keeps the longest
wait beyond that: the stall any command would have seen. The issue asks for a peak under
300 MB and no stall over 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import resource
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from aiohttp import web

from bot.archive.service import ArchiveService
from bot.config import Network, load_settings
from tests.conftest import SEEDS
from tests.unit.test_fetch_guard import gzip_bomb

TICK = 0.005


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def ticker(longest: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(TICK)
        longest[0] = max(longest[0], time.perf_counter() - start - TICK)


async def probe(megabytes: int, polls: int) -> None:
    body = gzip_bomb(megabytes * 1000)
    app = web.Application()

    async def bomb(_: web.Request) -> web.Response:
        return web.Response(
            body=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/xml"}
        )

    app.router.add_get("/feed.xml", bomb)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    now = [dt.datetime(2025, 1, 1, tzinfo=dt.UTC)]
    with tempfile.TemporaryDirectory() as tmp:
        content = Path(tmp) / "content"
        shutil.copytree(SEEDS, content)
        newsletter = replace(
            load_settings().served_newsletter(folder=content),
            feeds=(f"http://127.0.0.1:{port}/feed.xml",),
        )
        service = await ArchiveService.open(
            Path(tmp) / "archive.sqlite3",
            newsletter,
            lambda: now[0],
            network=Network(allow_private_hosts=True),
        )
        await service.loader.reload()
        before = peak_mb()
        longest, stop = [0.0], asyncio.Event()
        ticking = asyncio.create_task(ticker(longest, stop))
        written = 0
        try:
            for _ in range(polls):
                written += await service.feeds.poll_due()
                now[0] += dt.timedelta(days=2)  # past any back-off
            state = await service.feeds.state(newsletter.id, newsletter.feeds[0])
        finally:
            stop.set()
            await ticking
            await service.close()
            await runner.cleanup()
    print(
        f"gzip bomb: {len(body) / 1e6:.2f} MB sent, {megabytes * 1000 / 1000:.0f} GB "
        f"decompressed; {polls} polls; issue files written: {written}"
    )
    print(f"last error: {state.last_error}")
    print(f"peak memory: {peak_mb():.0f} MB (before the polls: {before:.0f} MB; limit 300 MB)")
    print(f"longest event-loop stall: {longest[0] * 1000:.1f} ms (limit 100 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=1, help="compressed size (default 1)")
    parser.add_argument("--polls", type=int, default=5, help="polls of the feed (default 5)")
    args = parser.parse_args()
    asyncio.run(probe(args.megabytes, args.polls))


if __name__ == "__main__":
    main()
