"""A feed host on 127.0.0.1 for the tests: it serves the files in ``tests/feeds`` with ETag and
Last-Modified, answers conditional requests with 304, and fails as told."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path

from aiohttp import web

FEEDS = Path(__file__).with_name("feeds")
LAST_MODIFIED = "Tue, 31 May 2022 09:00:00 GMT"


def rss(entries: Sequence[tuple[str, str]]) -> bytes:
    """An RSS feed of (title, guid) entries, newest first, one day apart."""
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    items = [
        f"<item><title>{title}</title><guid>{guid}</guid>"
        f"<pubDate>{format_datetime(start + dt.timedelta(days=len(entries) - i))}</pubDate>"
        f"<description>&lt;p&gt;&lt;a href='https://example.org/{guid}'&gt;A link for "
        f"{title}&lt;/a&gt;, worth reading.&lt;/p&gt;</description></item>"
        for i, (title, guid) in enumerate(entries)
    ]
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>'
        "<link>https://example.org/</link><description>d</description>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


XML = {"Content-Type": "application/rss+xml"}


@dataclass
class Served:
    """What a path answers: a feed file (its ETag), after ``fail`` answers of ``status``;
    or ``body`` as it is, with ``headers`` (a compressed or oversized answer)."""

    file: str
    etag: str
    fail: int = 0
    status: int = 500
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FeedServer:
    routes: dict[str, Served] = field(default_factory=dict)
    #: (path, If-None-Match, If-Modified-Since, status answered) of every request.
    requests: list[tuple[str, str | None, str | None, int]] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, file: str, *, fail: int = 0, status: int = 500) -> str:
        """Serve ``tests/feeds/<file>`` at ``path`` (after ``fail`` failures); its URL."""
        self.routes[path] = Served(file, f'"{file}-{len(self.requests)}"', fail, status)
        return self.url(path)

    def serve_body(self, path: str, body: bytes, headers: dict[str, str]) -> str:
        """Serve ``body`` at ``path`` as it is, with ``headers``; its URL."""
        self.routes[path] = Served("", f'"raw-{len(self.requests)}"', body=body, headers=headers)
        return self.url(path)

    async def _answer(self, request: web.Request) -> web.Response:
        served = self.routes.get(request.path)
        match = request.headers.get("If-None-Match")
        since = request.headers.get("If-Modified-Since")
        if served is None:
            response = web.Response(status=404)
        elif served.fail:
            served.fail -= 1
            response = web.Response(status=served.status, text="Internal Server Error")
        elif served.body is not None:
            response = web.Response(body=served.body, headers=served.headers)
        elif match == served.etag:
            response = web.Response(status=304, headers={"ETag": served.etag})
        else:
            response = web.Response(
                body=(FEEDS / served.file).read_bytes(),
                content_type="application/xml",
                headers={"ETag": served.etag, "Last-Modified": LAST_MODIFIED},
            )
        self.requests.append((request.path, match, since, response.status))
        return response

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{name}", self._answer)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
