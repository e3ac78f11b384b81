"""The optional HTTP health endpoint (``health.port``): ``GET /health`` answers 200 with the
heartbeat's facts while the bot is connected to Discord, 503 with the reason otherwise: the
same check as ``python -m bot status``, for hosts that probe over HTTP."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.config import Health
from bot.errors import ConfigError
from bot.heartbeat import check_heartbeat
from bot.render.operations import health_listening, health_port_unavailable

log = logging.getLogger(__name__)


def _facts(path: Path) -> dict[str, Any]:
    """What the heartbeat file says (read off the loop: it is a file)."""
    health = check_heartbeat(path)
    facts: dict[str, Any] = {"healthy": health.healthy, "message": health.message}
    if health.healthy:
        data = json.loads(path.read_text(encoding="utf-8"))
        facts.update(
            guilds=data.get("guilds"),
            latency_ms=round(float(data.get("latency_ms", 0)), 1),
            heartbeat_age_s=round(time.time() - float(data["at"]), 1),
        )
    return facts


def health_app(heartbeat: Path) -> web.Application:
    async def answer(_: web.Request) -> web.Response:
        facts = await asyncio.to_thread(_facts, heartbeat)
        return web.json_response(facts, status=200 if facts["healthy"] else 503)

    app = web.Application()
    app.router.add_get("/health", answer)
    app.router.add_get("/", answer)
    return app


@asynccontextmanager
async def health_endpoint(settings: Health, heartbeat: Path) -> AsyncIterator[int | None]:
    """Serve the endpoint while the block runs, when ``settings.port`` asks for one; the port
    it listens on (None: no endpoint). A port that can't be had is a ``ConfigError``."""
    if settings.port is None:
        yield None
        return
    runner = web.AppRunner(health_app(heartbeat), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        try:
            await site.start()
        except OSError as error:
            raise ConfigError(
                health_port_unavailable(settings.host, settings.port, error.strerror)
            ) from None
        log.info(health_listening(settings.host, settings.port))
        yield settings.port
    finally:
        await runner.cleanup()
