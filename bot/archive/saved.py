"""Members' saved lists: what each member kept with a Save button, newest first.

Stored per member: the user id and the saved item's key, nothing else. An item is a resource
(its key, which a reload keeps: ``rows.resource_key``) or a whole issue
(``"<newsletter>/<number>"``). A saved item that a reload removed stays in the list, read back
as gone, until its member removes it.
"""

from __future__ import annotations

__all__ = ["Saved", "SavedItem", "issue_key"]

import re
from dataclasses import dataclass

from bot.archive.db import Database
from bot.archive.issues import Issues
from bot.archive.records import IssueRecord, ResourceRecord

#: An issue's key: its newsletter's id, then its number (a resource's key adds a hash).
_ISSUE_KEY = re.compile(r"(?P<newsletter>[a-z0-9][a-z0-9_-]{0,31})/(?P<number>\d{1,9})")


def issue_key(newsletter: str, number: int) -> str:
    """The key a whole issue is saved under."""
    return f"{newsletter}/{number}"


@dataclass(frozen=True)
class SavedItem:
    key: str
    #: The resource or issue as served now; None when a reload removed it.
    item: ResourceRecord | IssueRecord | None


class Saved:
    """Each member's saved list: add, remove, clear, and pages of it, newest first."""

    def __init__(self, db: Database, issues: Issues) -> None:
        self._db = db
        self._issues = issues

    async def find(self, key: str) -> ResourceRecord | IssueRecord | None:
        """The resource or issue ``key`` names, as served now (None: not in the archive)."""
        found = _ISSUE_KEY.fullmatch(key)
        if found is not None:
            return await self._issues.get(int(found["number"]), found["newsletter"])
        resources = await self._issues.resources("r.key = ?", (key,))
        return resources[0] if resources else None

    async def add(self, user_id: int, key: str) -> None:
        """Keep ``key`` in a member's list, first (saved again, it moves to the top)."""
        async with self._db.transaction() as db:
            await db.execute("DELETE FROM saved WHERE user_id = ? AND key = ?", (user_id, key))
            await db.execute("INSERT INTO saved(user_id, key) VALUES (?, ?)", (user_id, key))

    async def remove(self, user_id: int, key: str) -> bool:
        """Take ``key`` out of a member's list; False if it was not in it."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM saved WHERE user_id = ? AND key = ?", (user_id, key)
            )
            return cursor.rowcount > 0

    async def clear(self, user_id: int) -> int:
        """Empty a member's list; how many items it held."""
        async with self._db.transaction() as db:
            cursor = await db.execute("DELETE FROM saved WHERE user_id = ?", (user_id,))
            return cursor.rowcount

    async def count(self, user_id: int) -> int:
        return int(await self._db.value("SELECT count(*) FROM saved WHERE user_id = ?", (user_id,)))

    async def page(self, user_id: int, offset: int, limit: int) -> list[SavedItem]:
        """``limit`` items of a member's list from ``offset``, newest first, each as served now."""
        rows = await self._db.rows(
            "SELECT key FROM saved WHERE user_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
            (user_id, limit, offset),
        )
        return [SavedItem(key, await self.find(key)) for (key,) in rows]
