from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from unittest.mock import AsyncMock

import pytest

from bot.archive.service import ArchiveService
from bot.client import ArchiveBot
from bot.config import load_settings
from tests.conftest import FakeClock, SeededArchives, write_config


@pytest.fixture
async def bot(
    tmp_path: Path, content_dir: Path, clock: FakeClock, seeded: SeededArchives
) -> AsyncIterator[ArchiveBot]:
    """A bot set up as at start-up (content loaded, cogs added), with no network: sync is a mock."""
    settings = load_settings(write_config(tmp_path, content_dir))
    await seeded.copy(settings.database_path, settings.served, clock)
    service, _ = await ArchiveService.from_settings(settings, clock=clock)
    client = ArchiveBot(settings, service)
    client.tree.sync = AsyncMock(return_value=[])  # type: ignore[method-assign]
    async with client:
        await client.setup_hook()
        yield client
    await service.close()
