"""A burst of commands at the real bot: how fast each one is acknowledged. Asserts nothing.

    python -m bench.burst [--content DIR] [--seed N]

Starts the bot (``python -m bot``, through ``tests/e2e/launch_bot.py``) against the local
Discord stand-in (``tests/e2e/fake_discord.py``) on a copy of the folder (default: the bundled
seeds) and a fresh database, waits until it is ready, then sends 100 interactions at once over
the gateway: 50 /search, 20 /random, 20 /latest, 5 /reload, 5 /issue, in a shuffled order,
each from a member of its own (cooldowns are per member; /reload from a moderator). Each is
timed from the moment its INTERACTION_CREATE is sent to the bot's first callback: the
acknowledgement Discord wants within 3 seconds (a deferral counts, as it does for Discord).
With ``--edit-all``, every content file is changed just before the burst, so that its
first /reload parses the whole folder again while the other commands are being answered.
On This Week in Rust (609 files):

    python -m bench.burst --content ../shared/corpora/this-week-in-rust [--edit-all]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import closing
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, SEEDS, write_config
from tests.e2e.fake_discord import MEMBER_ID, MODERATOR_ID, FakeDiscord, Interaction, option

LAUNCHER = ROOT / "tests" / "e2e" / "launch_bot.py"
DEADLINE_S = 3.0
BURST = {"search": 50, "random": 20, "latest": 20, "reload": 5, "issue": 5}
QUERIES = [
    "async", "error handling", "compiler", "release", "trait objects", "machine learning",
    "pytorch", "trivalaugment", "web assembly", "performance", "borrow checker", "embedded",
    "contrastive loss", "tutorial", "macro", "gpu", "tokio", "cargo", "data augmentation",
    "rust foundation", "const generics", "unsafe", "testing", "transformers", "lifetimes",
]  # fmt: skip


async def _start_bot(fake: FakeDiscord, workdir: Path, log: Path) -> subprocess.Popen[bytes]:
    """The bot on ``workdir/content``; returns once it is ready (content loaded, connected)."""
    config = write_config(workdir, workdir / "content", moderator_role_ids=[])
    env = {**os.environ, "DISCORD_TOKEN": "burst.fake.token", "PYTHONUNBUFFERED": "1"}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, str(LAUNCHER), fake.base, "--config", str(config)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    while "ready as" not in log.read_text(errors="replace"):
        if process.poll() is not None:
            raise SystemExit(f"the bot exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        await asyncio.sleep(0.2)
    await fake.ready.wait()
    return process


def _issue_numbers(database: Path) -> list[int]:
    with closing(sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)) as db:
        return [row[0] for row in db.execute("SELECT number FROM issues ORDER BY number")]


def _burst(numbers: list[int], rng: random.Random) -> list[tuple[str, list[dict[str, Any]], int]]:
    """(command, options, user) for each interaction of the burst, shuffled."""
    calls: list[tuple[str, list[dict[str, Any]], int]] = []
    for name, count in BURST.items():
        for n in range(count):
            options: list[dict[str, Any]] = []
            user = MEMBER_ID + 1000 + len(calls)
            if name == "search":
                options = [option("query", QUERIES[n % len(QUERIES)])]
            elif name == "issue":
                options = [option("number", rng.choice(numbers), 4)]
            elif name == "reload":
                user = MODERATOR_ID
            calls.append((name, options, user))
    rng.shuffle(calls)
    return calls


def _report(folder: Path, numbers: list[int], load_s: float, done: list[Interaction]) -> None:
    def ms(seconds: float) -> str:
        return f"{seconds * 1000:,.0f} ms"

    latencies = sorted(i.latency for i in done)
    by_command: dict[str, list[float]] = defaultdict(list)
    for interaction in done:
        by_command[interaction.payload["data"]["name"]].append(interaction.latency)
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    print(f"{folder}: {len(numbers)} issues, the bot ready in {load_s:.1f} s")
    print(
        f"burst of {len(done)}: acknowledged p50 {ms(statistics.median(latencies))}, "
        f"p99 {ms(p99)}, max {ms(latencies[-1])}; "
        f"{sum(t > DEADLINE_S for t in latencies)} missed {DEADLINE_S:g} s"
    )
    for name, times in sorted(by_command.items()):
        deferred = sum(
            i.callbacks[0]["type"] == 5 for i in done if i.payload["data"]["name"] == name
        )
        print(
            f"  /{name:<7} ×{len(times):<3} p50 {ms(statistics.median(times)):>8}  "
            f"max {ms(max(times)):>8}  deferred {deferred}"
        )


def _edit_all(folder: Path) -> None:
    for path in folder.iterdir():
        if path.is_file():
            with path.open("a", encoding="utf-8") as file:
                file.write("\n\nEdited for the burst.\n")


async def run(folder: Path, seed: int, edit_all: bool) -> None:
    fake = FakeDiscord()
    await fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        shutil.copytree(folder, workdir / "content")
        start = time.monotonic()
        process = await _start_bot(fake, workdir, workdir / "bot.log")
        load_s = time.monotonic() - start
        try:
            numbers = _issue_numbers(workdir / "bot.sqlite3")
            calls = _burst(numbers, random.Random(seed))
            if edit_all:
                _edit_all(workdir / "content")
            done = await asyncio.gather(
                *(fake.command(name, *options, user_id=user, timeout=120)
                  for name, options, user in calls)
            )  # fmt: skip
            _report(folder, numbers, load_s, list(done))
        finally:
            process.terminate()
            process.wait(timeout=30)
            await fake.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--content", type=Path, default=SEEDS, help="default: the seeds")
    parser.add_argument("--seed", type=int, default=1, help="the burst's order and issues")
    parser.add_argument(
        "--edit-all", action="store_true", help="change every file first: /reload parses all"
    )
    args = parser.parse_args(argv)
    asyncio.run(run(args.content.resolve(), args.seed, args.edit_all))
    return 0


if __name__ == "__main__":
    sys.exit(main())
