"""Small values the bot keeps about itself in the database (the last command sync's digest)."""

from __future__ import annotations

__all__ = ["Meta"]

from bot.archive.db import Database


class Meta:
    """Named values that outlive a restart."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        value = await self._db.value("SELECT value FROM meta WHERE key = ?", (key,))
        return str(value) if value is not None else None

    async def set(self, key: str, value: str) -> None:
        async with self._db.transaction() as db:
            await db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))
