"""The stand-in for Discord, and the real bot as a separate process pointed at it."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.conftest import ROOT, SEEDS, write_config
from tests.e2e.fake_discord import FakeDiscord

LAUNCHER = Path(__file__).with_name("launch_bot.py")
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``e2e`` (``pytest -m "not e2e"`` runs the fast part)."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.e2e)


class BotProcess:
    """``python -m bot`` in a child process, its log in a file the tests can read."""

    def __init__(self, fake: FakeDiscord, workdir: Path) -> None:
        self.fake = fake
        self.workdir = workdir
        self.content = workdir / "content"
        shutil.copytree(SEEDS, self.content)
        # One file that can't load: the bot must start and serve the others.
        (self.content / "broken.txt").write_text("An issue whose number was lost.\n")
        self.config = write_config(
            workdir,
            self.content,
            background_poll_seconds=0.5,
            schedule_min_interval_minutes=1,
            moderator_role_ids=[],
        )
        self.log_path = workdir / "bot.log"
        #: Seconds the bot's clock runs ahead of the real one (``shift_clock``).
        self.clock_file = workdir / "clock-offset"
        self.clock_file.write_text("0")
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def start(self) -> None:
        self.starts += 1
        self.fake.ready.clear()
        env = {
            **os.environ,
            "DISCORD_TOKEN": "e2e.fake.token",
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "INFO",
            "E2E_CLOCK_FILE": str(self.clock_file),
        }
        with self.log_path.open("a") as log:
            log.write(f"--- start {self.starts} ---\n")
            self.process = subprocess.Popen(
                [sys.executable, str(LAUNCHER), self.fake.base, "--config", str(self.config)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        await self.wait_for_log("ready as", occurrences=self.starts)

    async def wait_for_log(self, text: str, *, occurrences: int = 1, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.log.count(text) < occurrences:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(
                    f"the bot exited ({self.process.returncode}):\n{self.log[-3000:]}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no {text!r} in the bot's log after {timeout}s:\n{self.log[-3000:]}"
                )
            await asyncio.sleep(0.1)

    @property
    def clock_offset(self) -> dt.timedelta:
        return dt.timedelta(seconds=float(self.clock_file.read_text()))

    def shift_clock(self, to: dt.datetime) -> None:
        """Make the bot's clock read ``to`` now (and run on from there)."""
        offset = to - dt.datetime.now(dt.UTC)
        self.clock_file.write_text(str(offset.total_seconds()))

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as in a crash."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    yield fake
    await fake.stop()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def bot_process(
    fake_discord: FakeDiscord, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[BotProcess]:
    process = BotProcess(fake_discord, tmp_path_factory.mktemp("e2e"))
    await process.start()
    yield process
    process.stop()
