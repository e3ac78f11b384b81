"""Discord failing the bot, against the real process: each fault ends in one clear line and
its exit code (no traceback), or, for a command sync that fails after an earlier one, a warning
and a bot that keeps serving. Also ``python -m bot status`` against the running bot."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from bot.errors import ConfigError, DiscordUnavailable
from bot.heartbeat import heartbeat_path
from bot.render.startup import TOKEN_REJECTED
from tests.conftest import ROOT, SEEDS, write_config
from tests.e2e.conftest import LAUNCHER, BotProcess
from tests.e2e.fake_discord import FakeDiscord

pytestmark = pytest.mark.asyncio(loop_scope="module")

TIMEOUT = 60  # seconds: only there so that a hang fails instead of blocking the suite


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(autouse=True)
def no_faults_left(fake_discord: FakeDiscord) -> Iterator[None]:
    yield
    fake_discord.reject_token = False
    fake_discord.refuse_gateway = False
    fake_discord.close_code = None
    fake_discord.sync_status = None


@pytest_asyncio.fixture(loop_scope="module")
async def config(tmp_path: Path) -> AsyncIterator[Path]:
    yield write_config(tmp_path, SEEDS)


async def run(base: str, *arguments: str, **environment: str) -> Finished:
    """``python -m bot`` pointed at ``base``, run to its end."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(LAUNCHER), base, *arguments, cwd=ROOT,
        env={**os.environ, "DISCORD_TOKEN": "e2e.fake.token", "LOG_LEVEL": "INFO", **environment},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=TIMEOUT)
    assert process.returncode is not None
    return Finished(process.returncode, stdout.decode(), stderr.decode())


def one_clear_line(finished: Finished, text: str) -> None:
    assert "Traceback" not in finished.stderr, finished.stderr
    errors = [line for line in finished.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and errors[0].endswith(text), finished.stderr


@pytest.mark.parametrize("where", ["login", "gateway"])
async def test_a_rejected_token_exits_2(
    fake_discord: FakeDiscord, config: Path, where: str
) -> None:
    if where == "login":
        fake_discord.reject_token = True  # REST answers 401
    else:
        fake_discord.close_code = 4004  # the gateway closes: authentication failed
    finished = await run(fake_discord.base, "--config", str(config))
    assert finished.returncode == ConfigError.exit_code == 2
    one_clear_line(finished, TOKEN_REJECTED)


async def test_disallowed_intents_say_where_to_enable_them(
    fake_discord: FakeDiscord, config: Path
) -> None:
    fake_discord.close_code = 4014
    finished = await run(fake_discord.base, "--config", str(config))
    assert finished.returncode == 2
    one_clear_line(
        finished,
        "check the application under Developer Portal → your application → Bot → "
        "Privileged Gateway Intents",
    )


async def test_other_fatal_close_codes_exit_4(fake_discord: FakeDiscord, config: Path) -> None:
    fake_discord.close_code = 4013  # invalid intents: a bug, not the operator's to fix
    finished = await run(fake_discord.base, "--config", str(config))
    assert finished.returncode == 4
    one_clear_line(finished, "the bot will not retry it")
    assert "Discord closed the gateway connection with code 4013" in finished.stderr


async def test_an_unreachable_discord_is_tried_again_then_exits_4(config: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    finished = await run(
        f"http://127.0.0.1:{port}", "--config", str(config),
        ARCHIVE_BOT__DISCORD__CONNECT_ATTEMPTS="3", ARCHIVE_BOT__DISCORD__CONNECT_BACKOFF_SECONDS="0.05",
    )  # fmt: skip
    assert finished.returncode == DiscordUnavailable.exit_code == 4
    assert finished.stderr.count("cannot reach Discord (ClientConnectorError") == 2
    assert "trying again in 0.05 s (1/3)" in finished.stderr
    assert "trying again in 0.1 s (2/3)" in finished.stderr
    one_clear_line(finished, "then start the bot again")
    assert "Cannot reach Discord after 3 tries (ClientConnectorError" in finished.stderr


async def test_a_gateway_that_refuses_at_start_is_tried_again_then_exits_4(
    fake_discord: FakeDiscord, config: Path
) -> None:
    fake_discord.refuse_gateway = True
    finished = await run(
        fake_discord.base, "--config", str(config),
        ARCHIVE_BOT__DISCORD__CONNECT_ATTEMPTS="2", ARCHIVE_BOT__DISCORD__CONNECT_BACKOFF_SECONDS="0.05",
    )  # fmt: skip
    assert finished.returncode == 4
    assert "cannot reach Discord (WSServerHandshakeError: 503" in finished.stderr
    one_clear_line(finished, "then start the bot again")


async def test_a_lost_connection_is_retried_in_one_line_per_try(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    bot = BotProcess(fake_discord, tmp_path)
    try:
        await bot.start()
        fake_discord.refuse_gateway = True
        await fake_discord.drop_connection()
        await bot.wait_for_log("lost the connection to Discord (WSServerHandshakeError: 503")
        fake_discord.refuse_gateway = False
        reply = await fake_discord.command("latest")  # waits until the bot is back
        assert reply.callback["type"] == 4
        assert "Traceback" not in bot.log
    finally:
        bot.stop()


async def test_a_first_command_sync_that_fails_exits_4(
    fake_discord: FakeDiscord, config: Path
) -> None:
    fake_discord.sync_status = 503
    identifies = fake_discord.identifies
    finished = await run(fake_discord.base, "--config", str(config))
    assert finished.returncode == 4
    one_clear_line(finished, "start it again in a few minutes (https://discordstatus.com)")
    assert "Discord did not take the slash commands (DiscordServerError: 503" in finished.stderr
    assert fake_discord.identifies == identifies  # it never connected the gateway


async def test_a_failed_sync_after_an_earlier_one_keeps_serving(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    bot = BotProcess(fake_discord, tmp_path)
    synced = await run(fake_discord.base, "sync", "--config", str(bot.config))
    assert synced.returncode == 0, synced.stderr
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:  # as if an older version had synced
        db.execute("UPDATE meta SET value = 'older' WHERE key LIKE 'command_sync:%'")
    fake_discord.sync_status = 503
    try:
        await bot.start()
        reply = await fake_discord.command("latest")
        assert reply.callback["type"] == 4
        assert "command sync failed (DiscordServerError: 503" in bot.log
        assert "keeping the commands synced before" in bot.log
        assert "Traceback" not in bot.log

        # The healthcheck: the running bot's heartbeat is fresh.
        beat = heartbeat_path(tmp_path / "bot.sqlite3")
        async with asyncio.timeout(TIMEOUT):
            while not beat.exists():
                await asyncio.sleep(0.1)
        status = await run(fake_discord.base, "status", "--config", str(bot.config))
        assert status.returncode == 0 and "ok: connected to Discord" in status.stdout
    finally:
        bot.stop()
    assert bot.process is not None and bot.process.returncode == 0
    status = await run(fake_discord.base, "status", "--config", str(bot.config))
    assert status.returncode == 1 and "not running: no heartbeat" in status.stderr
