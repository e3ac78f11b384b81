"""The HTTP health endpoint in the real bot process (``health.port`` set by its environment
variable, as compose would): 200 with the heartbeat's facts once connected, gone once stopped."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.conftest import BotProcess
from tests.e2e.fake_discord import FakeDiscord
from tests.unit.test_health_endpoint import free_port

pytestmark = pytest.mark.asyncio(loop_scope="module")

TIMEOUT = 60  # seconds: only there so that a hang fails instead of blocking the suite


async def test_the_endpoint_answers_while_connected(
    fake_discord: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv("ARCHIVE_BOT__HEALTH__PORT", str(port))
    bot = BotProcess(fake_discord, tmp_path)
    url = f"http://127.0.0.1:{port}/health"
    try:
        await bot.start()
        assert f"health endpoint: http://127.0.0.1:{port}/health" in bot.log
        async with aiohttp.ClientSession() as session, asyncio.timeout(TIMEOUT):
            while True:
                async with session.get(url) as response:
                    facts = json.loads(await response.text())
                    if response.status == 200:
                        break
                    assert response.status == 503 and facts["healthy"] is False
                await asyncio.sleep(0.2)
        assert facts["healthy"] is True and facts["guilds"] == 1
    finally:
        bot.stop()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(url)
