"""How fast the archive is: load, search, autocomplete and picks, on the seeds and on a
synthetic archive many times their size. Prints figures; asserts nothing.

    python -m bench.benchmark [--copies N]

The synthetic archive repeats the bundled issues under new numbers (front matter), so its
text is real newsletter text at N times the volume.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.archive.service import ArchiveService
from bot.config import load_settings
from bot.content.loader import ContentSource, content_files

ROOT = Path(__file__).resolve().parent.parent
QUERIES = [
    "trivialaugment", "bitter lesson", "gpt3", "resnet", "speech recognition", "contrastve los",
    "pytorch speed tips", "dalle 2", "self-supervised learning", "airbnb", "kaggle survey",
    "machine learning roadmap", "synthetic data", '"AND* -:', "x" * 200,
]  # fmt: skip


def synthetic_folder(seeds: Path, target: Path, copies: int) -> int:
    """Write ``copies`` renumbered copies of every seed; return the number of issues."""
    files = content_files(seeds)
    for copy in range(copies):
        for index, path in enumerate(files):
            number = 1000 + copy * len(files) + index
            body = path.read_bytes().decode("utf-8")
            (target / f"{number}_{path.name}").write_text(
                f"---\nnumber: {number}\n---\n{body}", encoding="utf-8"
            )
    return copies * len(files)


def _timed_sync(repeat: int, call: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


async def _timed(repeat: int, call: Callable[[], Awaitable[object]]) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def _report(name: str, times: list[float]) -> None:
    times = sorted(times)
    p95 = times[max(0, round(len(times) * 0.95) - 1)]
    print(
        f"  {name:<22} p50 {statistics.median(times):8.2f} ms   p95 {p95:8.2f} ms   ({len(times)} runs)"
    )


async def measure(folder: Path, label: str) -> None:
    settings = load_settings()
    with tempfile.TemporaryDirectory() as tmp:
        service = await ArchiveService.open(
            Path(tmp) / "bench.sqlite3", ContentSource.from_settings(settings, folder)
        )
        try:
            start = time.perf_counter()
            summary = await service.reload()
            load_ms = (time.perf_counter() - start) * 1000
            print(f"{label}: {summary.issues} issues, {summary.resources} resources")
            print(f"  {'load (parse + swap)':<22} {load_ms:8.1f} ms")
            _report("reload (unchanged)", await _timed(3, service.reload))
            search: list[float] = []
            for query in QUERIES:
                search += await _timed(5, functools.partial(service.search, query, limit=25))
            _report("search (25 results)", search)
            autocomplete: list[float] = []
            for partial in ("n", "nu", "nutri", "pytorch", "learning", "zzz"):
                autocomplete += await _timed(
                    20, functools.partial(service.autocomplete_titles, partial)
                )
            _report("autocomplete titles", autocomplete)
            _report("archive pick", await _timed(50, lambda: service.pick("bench")))
        finally:
            await service.close()


async def _main(copies: int) -> None:
    seeds = ROOT / "seeds"
    await measure(seeds, "Bundled seeds")
    with tempfile.TemporaryDirectory() as tmp:
        count = synthetic_folder(seeds, Path(tmp), copies)
        await measure(Path(tmp), f"Synthetic archive ({count} issues)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--copies", type=int, default=40, help="copies of the seeds in the synthetic archive"
    )
    asyncio.run(_main(parser.parse_args().copies))


if __name__ == "__main__":
    main()
