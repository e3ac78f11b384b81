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


def year_month(year: int | None, month: int | None) -> str | None:
    """``YYYY-MM`` when both are known, else None."""
    if year is None or month is None:
        return None
    return f"{year:04d}-{month:02d}"


#: Where an issue's number came from, strongest first; "sequence" is no statement of the
#: issue's own: a dated, unnumbered newsletter's issues are numbered by date order.
NumberSource = Literal["metadata", "text", "file name", "sequence"]


@dataclass(frozen=True, slots=True)
class NumberCandidate:
    """One source's word on an issue's number, strongest sources first in ``Issue``."""

    number: int
    source: NumberSource
    #: Where it was read, as a reader would find it ("the metadata", "the file name").
    where: str
    line: int | None = None
    #: False for a bare leading number in a file name ("003_slug"), often an export's
    #: sequence: it numbers a file that says nothing else, but is not worth a warning.
    explicit: bool = True
    #: Any digits in the file name or title: a number only where the folder shows that this
    #: part varies from issue to issue.
    guess: bool = False
    #: A guess's few characters before its digits ("weekly", "第 "): the same context across
    #: a folder's issues marks the part that varies.
    context: str = ""


#: Why a block of an issue is not a resource.
DropReason = Literal["chrome", "boilerplate", "end marker", "no link", "preamble"]


@dataclass(frozen=True, slots=True)
class Dropped:
    """A block (or resource) of an issue left out of its resources, and why."""

    text: str
    why: DropReason


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
    #: Every claim on the number the file makes, strongest first (the folder pass chooses).
    number_candidates: tuple[NumberCandidate, ...] = ()
    #: What the parse left out of the resources, and why.
    dropped: list[Dropped] = field(default_factory=list)
    #: Distinct links in the issue's text: far more than its resources is a silent loss.
    links_seen: int = 0

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
