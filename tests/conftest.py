"""Fixtures shared by every test level."""

from __future__ import annotations

import datetime as dt
import random
import shutil
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot.archive.db import Clock
from bot.archive.service import ArchiveService
from bot.config import DEFAULT_CONFIG_PATH, Newsletter, Settings, load_settings
from bot.content.loader import content_files
from tests.feed_server import FeedServer

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
#: Six real issues of This Week in Rust (MIT), the second newsletter of the tests.
TWIR = ROOT / "tests" / "data" / "twir"


def write_config(folder: Path, content: Path, **discord: object) -> Path:
    """A copy of the shipped config, with its own content folder and database, for tests.
    Its links are not checked (the seeds link to the internet): a test that checks them
    turns ``links.check`` on, with links to 127.0.0.1 only."""
    data = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    data["content"]["folder"] = str(content)
    data["database"]["path"] = str(folder / "bot.sqlite3")
    data["links"]["check"] = False
    data["discord"].update(
        {
            "search_cooldown": {"rate": 3, "per": 60},
            "random_cooldown": {"rate": 2, "per": 60},
            "moderator_role_ids": [777],
            **discord,
        }
    )
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def write_two_newsletter_config(folder: Path, seeds: Path, twir: Path, **discord: object) -> Path:
    """``write_config`` with a ``newsletters:`` list: the seeds as ``ml`` (the shipped
    settings) and This Week in Rust as ``rust``."""
    path = write_config(folder, seeds, **discord)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    content = data.pop("content")
    data["newsletters"] = [
        {"id": "ml", **data.pop("newsletter"), **content},
        {
            "id": "rust",
            "name": "This Week in Rust",
            "url": "https://this-week-in-rust.org/",
            "colour": "#B7410E",
            "cadence": "1 week",
            "folder": str(twir),
        },
    ]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


class SeededArchives:
    """Archives loaded once per test run and copied into each test that asks for one.

    Loading the seeds takes the most of a test's set-up (migrations, parsing, the full-text
    index); a file copy takes a millisecond. An archive is reused only for the same
    newsletters (settings and every content file's name, size and mtime) and the same clock
    reading, so a copy holds exactly what a first load would have written: the reload that
    follows finds nothing to do.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.loaded: dict[str, Path] = {}

    async def copy(self, target: Path, newsletters: Sequence[Newsletter], clock: Clock) -> None:
        """Put at ``target`` the archive a first load of ``newsletters`` at ``clock()`` writes."""
        key = repr([(_contents(n.folder), replace(n, folder=Path())) for n in newsletters])
        key += repr(clock())
        if key not in self.loaded:
            loaded = self.folder / f"archive-{len(self.loaded)}.sqlite3"
            building = self.folder / f"building-{len(self.loaded)}.sqlite3"
            service = await ArchiveService.open(building, newsletters, clock)
            try:
                await service.loader.reload()
                await service.db.backup(loaded)
            finally:
                await service.close()
            self.loaded[key] = loaded
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.loaded[key], target)


def _contents(folder: Path) -> list[tuple[str, int, int]]:
    """What the loader compares to decide whether a file changed."""
    if not folder.is_dir():
        return []
    return [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in content_files(folder)]


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> SeededArchives:
    return SeededArchives(tmp_path_factory.mktemp("seeded"))


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def seeds_newsletter(settings: Settings) -> Newsletter:
    return settings.served_newsletter(folder=SEEDS)


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A writable copy of the bundled seeds."""
    folder = tmp_path / "content"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def service(
    tmp_path: Path,
    settings: Settings,
    content_dir: Path,
    clock: FakeClock,
    seeded: SeededArchives,
) -> AsyncIterator[ArchiveService]:
    """The seeds loaded into an archive of the test's own."""
    newsletter = settings.served_newsletter(folder=content_dir)
    await seeded.copy(tmp_path / "archive.sqlite3", [newsletter], clock)
    svc = await ArchiveService.open(tmp_path / "archive.sqlite3", newsletter, clock)
    svc.picks.rng = random.Random(7)
    await svc.loader.reload()
    yield svc
    await svc.close()


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    """A feed server on 127.0.0.1 (``tests/feed_server.py``)."""
    server = FeedServer()
    await server.start()
    yield server
    await server.stop()
