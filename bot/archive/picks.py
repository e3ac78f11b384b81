""" "From the archives" picks: a resource not from the latest issue, no repeats per channel
until every candidate has had its turn (history in SQLite, so it survives restarts)."""

from __future__ import annotations

import random

from bot.archive.records import ResourceRecord
from bot.archive.store import Archive


async def pick_from_archives(
    archive: Archive, scope: str, rng: random.Random | None = None
) -> ResourceRecord | None:
    """Pick for ``scope`` (a channel id, or any name); None when only the latest issue exists."""
    rng = rng or random.Random()
    candidates = await archive.resources_before_latest()
    if not candidates:
        return None
    seen = {
        row[0]
        for row in await archive.fetchall(
            "SELECT resource_key FROM pick_history WHERE scope = ?", (scope,)
        )
    }
    remaining = [c for c in candidates if c.key not in seen]
    if not remaining:  # every candidate has been picked once: start a new round
        await archive.write("DELETE FROM pick_history WHERE scope = ?", (scope,))
        remaining = candidates
    choice = rng.choice(remaining)
    await archive.write(
        "INSERT OR REPLACE INTO pick_history(scope, resource_key, picked_at) VALUES (?, ?, ?)",
        (scope, choice.key, archive.clock().isoformat()),
    )
    return choice
