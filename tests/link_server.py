"""A web host on 127.0.0.1 for the link checker's tests: one path per kind of answer a link
can get, and a record of every request."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

#: Every path and what it answers.
PATHS = {
    "/ok": "200",
    "/moved": "301 to /ok",
    "/gone": "404",
    "/removed": "410",
    "/blocked": "403",
    "/busy": "429",
    "/slow": "200 after SLOW_SECONDS",
    "/reset": "the connection reset",
    "/no-head": "405 to HEAD, 200 to GET",
    "/challenge": "503 with a bot challenge",
    "/down": "503",
}
SLOW_SECONDS = 3.0


@dataclass
class LinkServer:
    #: (method, path, User-Agent) of every request.
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def paths(self) -> list[str]:
        return [path for _, path, _ in self.requests]

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.method, request.path, request.headers.get("User-Agent", "")))
        path = request.path
        if path == "/ok":
            return web.Response(text="<html><title>Still here</title></html>")
        if path == "/moved":
            raise web.HTTPMovedPermanently("/ok")
        if path == "/slow":
            await asyncio.sleep(SLOW_SECONDS)
            return web.Response(text="late")
        if path == "/reset":
            transport = request.transport
            assert transport is not None
            sock = transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.close()  # with no linger: a reset, not a clean close
            return web.Response()
        if path == "/no-head":
            return web.Response(status=405 if request.method == "HEAD" else 200, text="page")
        if path == "/challenge":
            return web.Response(
                status=503,
                headers={"cf-mitigated": "challenge", "Server": "cloudflare"},
                text="<title>Just a moment...</title>",
            )
        status = {"/gone": 404, "/removed": 410, "/blocked": 403, "/busy": 429, "/down": 503}
        return web.Response(status=status.get(path, 404), text="no")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def refused_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def issue_file(folder: Path, number: int, date: str, links: Mapping[str, str]) -> None:
    """An issue dated ``date`` (YYYY-MM) with one resource per link: {title: url}."""
    items = "\n".join(
        f"- [{title}]({url}) — about {title.lower()}." for title, url in links.items()
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"issue-{number}.md").write_text(
        f"---\nnumber: {number}\ndate: {date}\n---\n# Link Weekly {number}\n\n## Reading\n\n"
        f"{items}\n",
        encoding="utf-8",
    )
