"""The parsed shape of the newsletter: issues and the resources they point readers to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class Resource:
    """One item an issue points readers to: an article, paper, tool, course, video or thread."""

    title: str
    text: str
    links: tuple[str, ...] = ()
    section: str | None = None


#: The highest issue number taken as real; anything above is a typo or a date.
MAX_NUMBER = 1_000_000
#: The id of a newsletter the config gives none (a single-newsletter setup).
DEFAULT_NEWSLETTER_ID = "default"


#: Where an issue's number came from, strongest first.
def year_month(year: int | None, month: int | None) -> str | None:
    """``YYYY-MM`` when both are known, else None."""
    if year is None or month is None:
        return None
    return f"{year:04d}-{month:02d}"


NumberSource = Literal["metadata", "text", "file name"]


@dataclass
class Issue:
    """One issue of the newsletter; ``stated`` keeps what the file said so that date inference
    can be re-run over any list of issues."""

    number: int
    title: str
    source: str
    year: int | None = None
    month: int | None = None
    url: str | None = None
    resources: list[Resource] = field(default_factory=list)
    #: True when year/month were inferred from the numbering rather than read from the text.
    date_inferred: bool = False
    number_source: NumberSource = "text"
    #: (year, month) as the file stated them; ``None`` takes year/month unless inferred.
    stated: tuple[int | None, int | None] | None = None

    def __post_init__(self) -> None:
        if self.stated is None:
            self.stated = (None, None) if self.date_inferred else (self.year, self.month)

    @property
    def date(self) -> str | None:
        return year_month(self.year, self.month)


@dataclass(frozen=True)
class Problem:
    """Something wrong with one content file, located precisely enough to fix it."""

    source: str
    line: int | None
    message: str
    fatal: bool = True

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        level = "error" if self.fatal else "warning"
        return f"{where}: {level}: {self.message}"
