""" "From the archives" picks: a resource from before its newsletter's latest issue, no
repeats in a scope (a channel, the console) until every candidate has had its turn."""

from __future__ import annotations

__all__ = ["Picks"]

import random
from typing import TYPE_CHECKING

from bot.archive.db import Database, where_newsletter
from bot.archive.issues import RESOURCE_COLUMNS, RESOURCE_JOIN, resource_record
from bot.archive.records import ResourceRecord

if TYPE_CHECKING:
    from bot.archive.links import LinkStatuses


class Picks:
    """Picks and the history that keeps them from repeating."""

    def __init__(
        self,
        db: Database,
        rng: random.Random | None = None,
        statuses: LinkStatuses | None = None,
    ) -> None:
        """``statuses``: what the link checker found, attached to each pick."""
        self._db = db
        self.rng = rng or random.Random()
        self._statuses = statuses

    async def pick(self, scope: str, newsletter: str | None = None) -> ResourceRecord | None:
        """A pick for ``scope`` (of ``newsletter``, or of any), recorded so that it does not
        come again this round; None when only latest issues exist."""
        choice = await self._next(scope, self.rng, newsletter)
        if choice is None:
            if not await self._has_archive(newsletter):
                return None
            await self.forget(scope)  # every candidate had its turn: new round
            choice = await self._next(scope, self.rng, newsletter)
            if choice is None:
                return None
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT OR REPLACE INTO pick_history(scope, resource_key, picked_at)"
                " VALUES (?, ?, ?)",
                (scope, choice.key, self._db.clock().isoformat()),
            )
        return self._statuses.annotate(choice) if self._statuses is not None else choice

    async def preview(self, scope: str, newsletter: str | None = None) -> ResourceRecord | None:
        """A pick drawn as ``pick`` would draw it for ``scope`` (no repeats this round; a new
        round when every candidate had its turn), without using it up: nothing is recorded."""
        rng = random.Random()
        choice = await self._next(scope, rng, newsletter)
        if choice is None and await self._has_archive(newsletter):
            # Every candidate had its turn: the next pick starts a new round, as a scope
            # with no history would. Previews are never recorded, so this one has none.
            choice = await self._next(f"preview:{scope}", rng, newsletter)
        return choice

    async def forget(self, scope: str) -> None:
        """Start a new round for ``scope``: every candidate may be picked again."""
        async with self._db.transaction() as db:
            await db.execute("DELETE FROM pick_history WHERE scope = ?", (scope,))

    async def picked(self, scope: str) -> list[str]:
        """The keys ``scope`` has been given this round, oldest first."""
        rows = await self._db.rows(
            "SELECT resource_key FROM pick_history WHERE scope = ? ORDER BY picked_at", (scope,)
        )
        return [row[0] for row in rows]

    async def adopt(self, newsletter: str) -> None:
        """Give pick history written before newsletters had ids to ``newsletter``."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE OR IGNORE pick_history SET resource_key = ? || '/' || resource_key"
                " WHERE instr(resource_key, '/') = 0",
                (newsletter,),
            )

    async def _next(
        self, scope: str, rng: random.Random, newsletter: str | None
    ) -> ResourceRecord | None:
        """A resource from before its newsletter's latest issue (of ``newsletter``, or of
        any) that ``scope`` has not been given this round, chosen at random by id (an index
        walk, not a scan); None when none is left."""
        where, params = where_newsletter(newsletter)
        bounds = await self._db.rows(
            "SELECT (SELECT min(id) FROM resources), (SELECT max(id) FROM resources)"
        )
        low, high = bounds[0]
        if low is None:
            return None
        start = rng.randint(low, high)
        for first in (start, low):
            rows = await self._db.rows(
                f"SELECT {RESOURCE_COLUMNS} FROM {RESOURCE_JOIN}"
                f" WHERE r.id >= ? AND {where} AND r.issue < (SELECT max(number) FROM issues m"
                "                                   WHERE m.newsletter = r.newsletter)"
                " AND NOT EXISTS (SELECT 1 FROM pick_history h"
                "                 WHERE h.scope = ? AND h.resource_key = r.key)"
                " ORDER BY r.id LIMIT 1",
                (first, *params, scope),
            )
            if rows:
                return resource_record(rows[0])
        return None

    async def _has_archive(self, newsletter: str | None) -> bool:
        """Whether any resource (of ``newsletter``, or of any) comes from before its
        newsletter's latest issue."""
        where, params = where_newsletter(newsletter)
        return bool(
            await self._db.value(
                f"SELECT EXISTS (SELECT 1 FROM resources r WHERE {where}"
                " AND r.issue < (SELECT max(number) FROM issues m"
                "                WHERE m.newsletter = r.newsletter))",
                params,
            )
        )
