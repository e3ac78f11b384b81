"""Exactly once, with a real kill: a feed pass killed by SIGKILL at each dangerous point
(a file written, every file written, the folder reloaded) and run again publishes and
announces each entry once, under the number it was given first."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.feed_server import XML, FeedServer, rss

PASS = ROOT / "tests" / "feed_pass.py"


async def feed_pass(tmp_path: Path, content_dir: Path, url: str, kill_at: str = "") -> int:
    """Run one feed pass in its own process; its return code."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FEED_KILL_AT": kill_at}
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(PASS), str(tmp_path / "archive.sqlite3"), str(content_dir), url,
        str(tmp_path / "posts.txt"), env=env, cwd=ROOT,
    )  # fmt: skip
    return await asyncio.wait_for(process.wait(), 120)


@pytest.mark.parametrize("kill_at", ["file", "written", "loaded"])
async def test_a_pass_killed_midway_publishes_nothing_twice(
    tmp_path: Path, content_dir: Path, feeds: FeedServer, kill_at: str
) -> None:
    entries = [("A note", "plain-2"), ("Another note", "plain-1"), ("Issue 29", "numbered")]
    url = feeds.serve_body("/feed.xml", rss(entries), XML)
    assert await feed_pass(tmp_path, content_dir, url, kill_at) == -signal.SIGKILL
    assert await feed_pass(tmp_path, content_dir, url) == 0
    assert await feed_pass(tmp_path, content_dir, url) == 0
    # 29 as the feed says, then the two notes after it, in the feed's order.
    assert sorted(p.name for p in content_dir.glob("issue-*")) == [
        "issue-29.html",
        "issue-30.html",
        "issue-31.html",
    ]
    assert "Another note" in (content_dir / "issue-30.html").read_text(encoding="utf-8")
    assert not list(content_dir.glob(".*.part"))
    posts = (tmp_path / "posts.txt").read_text(encoding="utf-8").split("\n")
    assert sorted(line for line in posts if line) == ["1 29", "1 30", "1 31"]
