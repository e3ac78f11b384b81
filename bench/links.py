"""The link checker's cost to the event loop: a check pass over every link of a folder,
answered by a web host on 127.0.0.1. Prints figures; asserts nothing.

    python -m bench.links [--content DIR] [--links N] [--rate R]

The folder (default: the bundled seeds) is loaded into a throwaway database; then one pass
checks its links through the real fetch guard, each request sent to the local host instead
of the link's own (the link's host still paces it, so the pass meets the archive's real mix
of hosts), at ``--rate`` requests per second and no per-host wait. A 10 ms ticker on the loop
measures how late each tick is, during the pass, during the ``/links`` summary, and while the
loop idles as long as the pass took (what a busy machine alone costs); the local host answers 200, 404, 403 or a redirect by the link's
hash. No request leaves the machine. On This Week in Rust:

    python -m bench.links --content ../shared/corpora/this-week-in-rust
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import zlib
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from aiohttp import web

from bench.benchmark import SEEDS
from bot.archive.links import Links
from bot.archive.service import ArchiveService
from bot.config import LinksSection, load_settings
from bot.fetch import FetchResult, fetch_url

T = TypeVar("T")


class Ticker:
    """A 10 ms ticker on the event loop: how late each tick was (ms). The longest alone
    mostly says how busy the machine is; the p99 and the ticks later than 50 ms, beside the
    same loop idling, say what the work itself costs."""

    def __init__(self) -> None:
        self.late: list[float] = []

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + 0.01
            await asyncio.sleep(0.01)
            self.late.append((loop.time() - expected) * 1000)

    async def during(self, work: Awaitable[T]) -> tuple[T, dict[str, float]]:
        self.late = []
        task = asyncio.get_running_loop().create_task(self._tick())
        try:
            result = await work
        finally:
            task.cancel()
        ordered = sorted(self.late) or [0.0]
        figures = {
            "longest_ms": round(ordered[-1], 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, round(len(ordered) * 0.99))], 1),
            "over_50ms": sum(1 for late in ordered if late > 50),
            "ticks": len(ordered),
        }
        return result, figures


class LocalWeb:
    """A host on 127.0.0.1 answering every path, and a fetch that sends every link there."""

    def __init__(self) -> None:
        self.port = 0
        self.requests = 0
        self._runner: web.AppRunner | None = None

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        kind = zlib.crc32(request.path.encode()) % 20
        if kind == 0:
            return web.Response(status=404, text="gone")
        if kind == 1:
            return web.Response(status=403, text="no robots")
        if kind == 2 and not request.path.startswith("/moved/"):
            raise web.HTTPMovedPermanently("/moved" + request.path)
        return web.Response(text="<html><title>A page</title>" + "x" * 2000 + "</html>")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def fetch(self, url: str, **options: Any) -> FetchResult:
        parts = urlsplit(url)
        local = f"http://127.0.0.1:{self.port}/{quote(parts.netloc + parts.path)}"
        return await fetch_url(local, **{**options, "allow_private_hosts": True})


async def measure(folder: Path, links: int | None, rate: float) -> dict[str, Any]:
    ticker = Ticker()
    host = LocalWeb()
    await host.start()
    with tempfile.TemporaryDirectory() as tmp:
        service, _ = await ArchiveService.from_settings(
            load_settings(), folder=folder, database=Path(tmp) / "bench.sqlite3"
        )
        try:
            # Past the config's ceiling (50 per second), so that the pass is over in minutes.
            settings = LinksSection.model_construct(
                requests_per_second=rate, per_host_interval_seconds=0.0
            )
            checker = Links(service.db, settings, fetch=host.fetch)
            start = time.perf_counter()
            result, stall_pass = await ticker.during(checker.check(limit=links))
            seconds = time.perf_counter() - start
            summary, stall_summary = await ticker.during(checker.summary())
            _, idle = await ticker.during(asyncio.sleep(seconds))
        finally:
            await service.close()
            await host.stop()
    return {
        "links_checked": result.checked,
        "requests": host.requests,
        "pass_s": round(seconds, 1),
        "links_per_s": round(result.checked / seconds, 1),
        "pass_stall": stall_pass,
        "summary_links": summary.total,
        "summary_stall": stall_summary,
        "idle_stall": idle,
        "counts": dict(result.counts),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--content", type=Path, help="the folder to measure (default: the seeds)")
    parser.add_argument("--links", type=int, help="check at most N links (default: every one)")
    parser.add_argument(
        "--rate", type=float, default=500.0, help="requests per second (default 500)"
    )
    args = parser.parse_args(argv)
    figures = asyncio.run(measure((args.content or SEEDS).resolve(), args.links, args.rate))
    print(
        f"check pass: {figures['links_checked']} links, {figures['requests']} requests in "
        f"{figures['pass_s']} s ({figures['links_per_s']} links/s)"
    )
    print("loop stalls (10 ms ticker):")
    for name, key in (
        ("  during the pass", "pass_stall"),
        (f"  /links summary of {figures['summary_links']} links", "summary_stall"),
        ("  the loop idle as long as the pass", "idle_stall"),
    ):
        stall = figures[key]
        print(
            f"{name:<40} longest {stall['longest_ms']:6.1f} ms   p99 {stall['p99_ms']:5.1f} ms"
            f"   ticks over 50 ms: {stall['over_50ms']} of {stall['ticks']}"
        )
    print(f"statuses: {figures['counts']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
