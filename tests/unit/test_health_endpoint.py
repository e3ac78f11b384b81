"""The HTTP health endpoint (``health.port``) on 127.0.0.1: 200 with the heartbeat's facts
while connected, 503 with the reason otherwise, off by default, a taken port a clear error."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import aiohttp
import pytest

from bot.config import Health
from bot.errors import ConfigError
from bot.health import health_endpoint
from bot.heartbeat import write_heartbeat


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def get(port: int) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/health") as response,
    ):
        return response.status, json.loads(await response.text())


async def test_connected_then_gone(tmp_path: Path) -> None:
    beat = tmp_path / "bot.heartbeat"
    port = free_port()
    async with health_endpoint(Health(port=port), beat) as listening:
        assert listening == port
        status, facts = await get(port)
        assert status == 503 and facts["healthy"] is False
        assert str(facts["message"]).startswith("not running: no heartbeat")

        write_heartbeat(beat, guilds=3, latency_ms=42.25)
        status, facts = await get(port)
        assert status == 200
        assert (facts["healthy"], facts["guilds"], facts["latency_ms"]) == (True, 3, 42.2)
        assert str(facts["message"]).startswith("ok: connected to Discord, 3 guilds")

        data = json.loads(beat.read_text())
        beat.write_text(json.dumps({**data, "at": time.time() - 600}))
        status, facts = await get(port)
        assert status == 503 and "the last heartbeat is 600 s old" in str(facts["message"])
        assert data["pid"] == os.getpid()


async def test_off_by_default(tmp_path: Path) -> None:
    assert Health().port is None and Health().host == "127.0.0.1"
    async with health_endpoint(Health(), tmp_path / "beat") as port:
        assert port is None


async def test_a_taken_port_is_a_config_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=rf"health.port: cannot listen on 127.0.0.1:{port}"):
            async with health_endpoint(Health(port=port), tmp_path / "beat"):
                pass
