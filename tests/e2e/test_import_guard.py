"""/import url: through the real bot process with the default config: a link to the local
web server, in each spelling of an internal address, is refused with the reason, and the
server never gets a request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio
from aiohttp import web

from tests.e2e.conftest import BotProcess
from tests.e2e.fake_discord import MODERATOR_ID, FakeDiscord, option
from tests.e2e.test_bot_end_to_end import followed_up, is_ephemeral, message

pytestmark = pytest.mark.asyncio(loop_scope="module")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def web_server() -> AsyncIterator[tuple[int, list[str]]]:
    """A web server on 127.0.0.1 that serves an issue to anyone who asks: its port, and the
    path of every request it got."""
    paths: list[str] = []

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        paths.append(request.path)
        return await handler(request)

    async def page(_: web.Request) -> web.Response:
        return web.Response(text="---\nnumber: 31\n---\n# Issue 31\n", content_type="text/plain")

    app = web.Application(middlewares=[record])
    app.router.add_get("/issue-31.md", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield port, paths
    await runner.cleanup()


@pytest.mark.parametrize(
    ("host", "shown"),
    [
        ("127.0.0.1", "127.0.0.1, loopback"),
        ("localhost", "127.0.0.1, loopback"),
        ("127.1", "127.0.0.1, loopback"),
        ("2130706433", "127.0.0.1, loopback"),
        ("0177.0.0.1", "127.0.0.1, loopback"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1, loopback"),
        ("[::1]", "::1, loopback"),
        ("169.254.169.254", "169.254.169.254, link-local"),
        ("10.0.0.1", "10.0.0.1, private"),
    ],
)
async def test_an_internal_link_is_refused_and_never_fetched(
    fake_discord: FakeDiscord,
    bot_process: BotProcess,
    web_server: tuple[int, list[str]],
    host: str,
    shown: str,
) -> None:
    port, paths = web_server
    reply = await followed_up(
        await fake_discord.command(
            "import", option("url", f"http://{host}:{port}/issue-31.md"), user_id=MODERATOR_ID
        )
    )
    assert is_ephemeral(reply)
    assert message(reply)["content"].startswith(
        f"That link leads to an address that is not public ({shown}): links are only fetched "
        "from the public internet. Nothing was downloaded."
    )
    assert paths == []
    assert not (bot_process.content / "issue-31.md").exists()
