"""The issues members read: the latest, one by number, every number, counts, sections and
years, each resource as a ``ResourceRecord``; issue addresses from the newsletter's template."""

from __future__ import annotations

__all__ = ["RESOURCE_COLUMNS", "RESOURCE_JOIN", "Issues", "resource_record"]

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.archive.db import Database, time_or_none, where_newsletter
from bot.archive.records import IssueRecord, ResourceRecord
from bot.content.links import issue_url
from bot.content.models import year_month

if TYPE_CHECKING:
    from bot.archive.links import LinkStatuses
    from bot.config import Newsletter

#: A resource row with its issue's title and date, as ``resource_record`` reads it.
RESOURCE_COLUMNS = (
    "r.key, r.issue, i.title, r.title, r.text, r.links, r.section, i.year, i.month,"
    " i.date_inferred, r.newsletter"
)
RESOURCE_JOIN = "resources r JOIN issues i ON i.newsletter = r.newsletter AND i.number = r.issue"
_ISSUE_COLUMNS = "number, title, year, month, url, source, date_inferred, newsletter"


def resource_record(row: Sequence[Any]) -> ResourceRecord:
    key, issue, issue_title, title, text, links, section, year, month, inferred, letter = row
    return ResourceRecord(
        key,
        issue,
        issue_title,
        title,
        text,
        tuple(json.loads(links)),
        section,
        year_month(year, month),
        bool(inferred),
        letter,
    )


class Issues:
    """Reading the archive's issues, of one newsletter or of every one (``newsletter=None``)."""

    def __init__(
        self,
        db: Database,
        newsletters: Sequence[Newsletter],
        statuses: LinkStatuses | None = None,
    ) -> None:
        """``statuses``: what the link checker found, attached to every resource read."""
        self._db = db
        self._newsletters = list(newsletters)
        self._statuses = statuses

    def _ids(self, newsletter: str | None) -> list[str]:
        return [newsletter] if newsletter is not None else [n.id for n in self._newsletters]

    def _linked(self, issue: IssueRecord) -> IssueRecord:
        """``issue`` with the address its newsletter's ``issue_url`` gives it, when its file
        states none (worked out when read, so dates inferred later and a changed template count)."""
        if issue.url is not None:
            return issue
        template = next((n.issue_url for n in self._newsletters if n.id == issue.newsletter), None)
        if template is None:
            return issue
        url = issue_url(template, issue.number, issue.year, issue.month, issue.title)
        return replace(issue, url=url)

    async def get(self, number: int, newsletter: str | None = None) -> IssueRecord | None:
        """Issue ``number`` of ``newsletter``, or of the first newsletter (in config order)
        that has one."""
        for letter in self._ids(newsletter):
            rows = await self._db.rows(
                f"SELECT {_ISSUE_COLUMNS} FROM issues WHERE newsletter = ? AND number = ?",
                (letter, number),
            )
            if rows:
                resources = await self.resources(
                    "r.newsletter = ? AND r.issue = ?", (letter, number)
                )
                n, title, year, month, url, source, inferred, found_in = rows[0]
                record = IssueRecord(
                    n, title, year, month, url, source, bool(inferred), tuple(resources), found_in
                )
                return self._linked(record)
        return None

    async def latest(self, newsletter: str | None = None) -> IssueRecord | None:
        """The latest issue of ``newsletter`` (default: the first newsletter)."""
        letter = newsletter or self._newsletters[0].id
        number = await self._db.value(
            "SELECT max(number) FROM issues WHERE newsletter = ?", (letter,)
        )
        return await self.get(number, letter) if number is not None else None

    async def latest_of_each(self, newsletter: str | None = None) -> list[IssueRecord]:
        """The latest issue of each newsletter (or of ``newsletter``), in config order."""
        found = [await self.latest(letter) for letter in self._ids(newsletter)]
        return [issue for issue in found if issue is not None]

    async def numbers(self, newsletter: str | None = None) -> list[int]:
        """Every issue number (of ``newsletter``, or of any), oldest first."""
        where, params = where_newsletter(newsletter, "newsletter")
        rows = await self._db.rows(
            f"SELECT DISTINCT number FROM issues WHERE {where} ORDER BY number", params
        )
        return [row[0] for row in rows]

    async def listing(self) -> list[tuple[str, int, str, str | None]]:
        """Every issue as (newsletter, number, title, YYYY-MM or None), newest first."""
        rows = await self._db.rows(
            "SELECT newsletter, number, title, year, month FROM issues"
            " ORDER BY number DESC, newsletter"
        )
        return [(letter, n, t, year_month(y, m)) for letter, n, t, y, m in rows]

    async def counts(self, newsletter: str | None = None) -> tuple[int, int]:
        """(issues, resources) served now."""
        where, params = where_newsletter(newsletter, "newsletter")
        rows = await self._db.rows(
            f"SELECT (SELECT count(*) FROM issues WHERE {where}),"
            f" (SELECT count(*) FROM resources WHERE {where})",
            params * 2,
        )
        return int(rows[0][0]), int(rows[0][1])

    async def loaded_at(self) -> dt.datetime | None:
        """When a load last changed the content."""
        return time_or_none(
            await self._db.value("SELECT value FROM meta WHERE key = 'content_loaded_at'")
        )

    async def resources(self, where: str, params: Iterable[Any] = ()) -> list[ResourceRecord]:
        """Resources meeting ``where`` (on ``r``, the resource, and ``i``, its issue), in
        archive order."""
        rows = await self._db.rows(
            f"SELECT {RESOURCE_COLUMNS} FROM {RESOURCE_JOIN}"
            f" WHERE {where} ORDER BY r.newsletter, r.issue, r.position",
            params,
        )
        records = [resource_record(row) for row in rows]
        if self._statuses is not None:
            records = [self._statuses.annotate(record) for record in records]
        return records

    async def sections(self, newsletter: str | None = None) -> list[str]:
        """Every section name (of ``newsletter``, or of any), the most used first."""
        where, params = where_newsletter(newsletter)
        rows = await self._db.rows(
            f"SELECT r.section FROM resources r WHERE r.section IS NOT NULL AND {where}"
            " GROUP BY r.section ORDER BY count(*) DESC, r.section",
            params,
        )
        return [row[0] for row in rows]

    async def years(self, newsletter: str | None = None) -> list[int]:
        """Every year an issue (of ``newsletter``, or of any) is dated, newest first."""
        where, params = where_newsletter(newsletter, "newsletter")
        rows = await self._db.rows(
            f"SELECT DISTINCT year FROM issues WHERE year IS NOT NULL AND {where}"
            " ORDER BY year DESC",
            params,
        )
        return [row[0] for row in rows]
