"""Issue number and date: read from the opening of an issue, or inferred from the numbering."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import re
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.content.models import MAX_NUMBER, Issue, NumberCandidate, NumberSource

MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_MONTH = "(" + "|".join(MONTHS) + r"|" + "|".join(m[:3] for m in MONTHS) + r")\.?"
_UNITS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINAL = (
    rf"(?:(?:{'|'.join(_TENS)})[\s-]?(?:{'|'.join(_UNITS[:9])})"
    rf"|{'|'.join(t[:-1] + 'ieth' for t in _TENS)}|{'|'.join(_UNITS)})"
)
_UNIT = r"(?:issue|edition|newsletter|installment|instalment|episode)"
#: Up to two words or a parenthesis between an ordinal and its unit: "7th (bonus) issue".
_BETWEEN = r"(?:\s+(?:\([^()\n]{0,40}\)|[A-Za-z'’-]+)){0,2}?"
_NUMBER_PATTERNS = (
    re.compile(rf"\b(\d{{1,7}})(?:st|nd|rd|th){_BETWEEN}\s+{_UNIT}\b", re.IGNORECASE),
    re.compile(rf"\b{_UNIT}\s*(?:no\.?|number|#)?\s*#?(\d{{1,7}})\b", re.IGNORECASE),
    re.compile(rf"\b({_ORDINAL}){_BETWEEN}\s+{_UNIT}\b", re.IGNORECASE),
    re.compile(r"\bno\.\s?(\d{1,7})\b", re.IGNORECASE),
    re.compile(r"(?:^|\s)#(\d{1,7})\b"),
)
#: A title that ends in its number: "This Week in Rust 59", "Data Digest #41"; a year
#: ("… May 2022") is not a number unless marked as one.
_TITLE_NUMBER = re.compile(
    r"^\D.*?\s(?:(?:#|no\.\s?)(\d{1,7})|(?!(?:19|20)\d\d\s*$)(\d{1,7}))\s*$", re.IGNORECASE
)
_FILE_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d\d)[-_.](0?[1-9]|1[0-2])(?:[-_.](?:0?[1-9]|[12]\d|3[01]))?(?!\d)"
)
_FILE_NUMBER = (
    re.compile(r"(?<![a-z])(?:issue|edition|episode|no|nr|number)[\s_.#-]*(\d{1,7})(?!\d)", re.I),
    re.compile(r"^#?(\d{1,7})(?=$|[\s_.-])"),
)
#: A date written as one run of digits ("this-month-240430", "20240430", "202404"): six or
#: eight digits that read as a calendar date are a date, never an issue number.
_COMPACT_DATE = re.compile(
    r"(?<!\d)(?:(?:19|20)?\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])|(?:19|20)\d\d(?:0[1-9]|1[0-2]))(?!\d)"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"((?:19|20)\d\d)"
# "March 2021", "March 3, 2021", "3 March 2021", "3rd of March, 2021"
_MONTH_YEAR = re.compile(
    rf"\b(?:{_DAY}\s+(?:of\s+)?)?{_MONTH}(?:\s+{_DAY})?\s*,?\s+{_YEAR}\b", re.IGNORECASE
)
_ISO_DATE = re.compile(r"\b((?:19|20)\d\d)-(0[1-9]|1[0-2])(?:-\d\d)?\b")
# "What you missed in November", "the November issue", "November edition"
_MONTH_ONLY = re.compile(
    rf"\b(?:in|for|of)\s+{_MONTH}\b(?!\s*,?\s*\d)|\b{_MONTH}(?:'s)?\s+(?:issue|edition|roundup|digest)\b",
    re.IGNORECASE,
)
_NOT_THIS_ISSUE = re.compile(r"\b(previous|last|next|future)\s+(issue|edition)", re.IGNORECASE)


def _month_number(name: str) -> int:
    return MONTHS.index(next(m for m in MONTHS if m.startswith(name.lower()[:3]))) + 1


def _ordinal_value(word: str) -> int:
    """``"thirty-first"`` → 31."""
    parts = re.split(r"[\s-]+", word.lower())
    if parts[0] in _TENS:
        return (_TENS.index(parts[0]) + 2) * 10 + (
            _UNITS.index(parts[1]) + 1 if len(parts) > 1 else 0
        )
    if parts[0].endswith("ieth"):
        return (_TENS.index(parts[0][:-4] + "y") + 2) * 10
    return _UNITS.index(parts[0]) + 1


def locate_number(
    lines: Iterable[str], newsletter_name: str | None = None
) -> tuple[int, int] | None:
    """The issue number ("15th issue!", "Issue #3", "the thirty-first edition", "<name> 42")
    and the index of the line that states it: the strongest pattern wins, then the earliest
    line."""
    lines = list(lines)
    patterns = list(_NUMBER_PATTERNS)
    if newsletter_name:
        named = re.compile(
            rf"{re.escape(newsletter_name)}\W{{0,3}}(?:#|no\.\s?)?(\d{{1,7}})\b", re.I
        )
        patterns.insert(2, named)
    for pattern in patterns:
        for index, line in enumerate(lines):
            for match in pattern.finditer(line):
                if _NOT_THIS_ISSUE.search(line[max(0, match.start() - 20) : match.end() + 5]):
                    continue
                value = match.group(1)
                number = int(value) if value.isdigit() else _ordinal_value(value)
                if number <= MAX_NUMBER:
                    return number, index
    return None


def title_number(title: str) -> int | None:
    """The number an issue's own title ends with ("This Week in Rust 59")."""
    match = _TITLE_NUMBER.match(title.strip())
    if match is None:
        return None
    number = int(match.group(1) or match.group(2))
    return number if number <= MAX_NUMBER else None


def file_number(name: str) -> tuple[int, bool] | None:
    """The number in a file name ("issue-42.md", "Issue8.md", "042_slug.txt"), and whether a
    word names it an issue (a bare leading number may be a download's sequence); a date in a
    file name is a date, not a number."""
    stem = _COMPACT_DATE.sub(" ", _FILE_DATE.sub(" ", Path(name).stem)).strip(" _.-")
    for explicit, pattern in zip((True, False), _FILE_NUMBER, strict=True):
        match = pattern.search(stem)
        if match and int(match.group(1)) <= MAX_NUMBER:
            return int(match.group(1)), explicit
    return None


#: How many characters before a number in a name or title (spaces left out) tell where it
#: stands.
_CONTEXT = 8
#: A run of digits in any script ("34", "٣٤"); ``int`` reads them all.
DIGITS = re.compile(r"\d+")


def masked_dates(text: str) -> str:
    """``text`` with its dates ("2024-03-20", "March 2021", "240430") blanked: their digits
    are not an issue number."""
    for pattern in (_FILE_DATE, _MONTH_YEAR, _ISO_DATE, _COMPACT_DATE):
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


def digit_guesses(name: str, title: str | None) -> list[NumberCandidate]:
    """Every number in a file name's stem and in a title, dates left out, with the few
    characters before it: guesses, for the folder pass to keep the one that varies from issue
    to issue while the rest stays the same."""
    places: list[tuple[str, NumberSource, str]] = [(Path(name).stem, "file name", "the file name")]
    if title:
        places.append((title, "text", f"the title {title!r}"))
    guesses = []
    for text, source, where in places:
        masked = masked_dates(text)
        for match in DIGITS.finditer(masked):
            number = int(match.group(0)[:12])
            before = "".join(DIGITS.sub("#", masked[: match.start()]).casefold().split())
            if number <= MAX_NUMBER:
                context = before[-_CONTEXT:] or "^"
                guesses.append(NumberCandidate(number, source, where, None, False, True, context))
    return guesses


def file_day(name: str) -> int | None:
    """The day of the month in a file name such as ``2024-03-20-slug.md``."""
    match = _FILE_DATE.search(Path(name).stem)
    day = match and re.search(r"^\d{4}[-_.]\d{1,2}[-_.](\d{1,2})$", match.group(0))
    return int(day.group(1)) if day else None


def file_date(name: str) -> tuple[int, int] | None:
    """(year, month) from a file name such as ``2024-03-20-slug.md``."""
    match = _FILE_DATE.search(Path(name).stem)
    return (int(match.group(1)), int(match.group(2))) if match else None


def find_date(lines: Iterable[str]) -> tuple[int | None, int | None]:
    """(year, month) from the opening lines: "March 2021", "2021-03", or a bare month
    ("What you missed in November"), in which case the year is left unknown."""
    month_only: int | None = None
    for line in lines:
        match = _MONTH_YEAR.search(line)
        if match:
            return int(match.group(2)), _month_number(match.group(1))
        iso = _ISO_DATE.search(line)
        if iso:
            return int(iso.group(1)), int(iso.group(2))
        bare = _MONTH_ONLY.search(line)
        name = bare and (bare.group(1) or bare.group(2))
        if name and month_only is None and name.lower() != "may":  # "may" is mostly a verb
            month_only = _month_number(name)
    return None, month_only


def _months(year: int, month: int) -> int:
    return year * 12 + month - 1


#: A year and month in a link's path: "/2016/01/", "/2016-01-27-", "/2016-January/".
_LINK_MONTH = re.compile(
    r"/(20\d\d)[/-](0[1-9]|1[0-2]|" + "|".join(MONTHS) + r")(?=[/-])", re.IGNORECASE
)


def linked_year(year: int, month: int, links: Iterable[str]) -> int | None:
    """The year the issue's links say it is of, where its text states another: two or more
    links dated in their path (mail archives, blogs), every one of them about a year after
    the stated month, which no issue can link to. A year typed wrong, as often early in a new
    year ("January 27 2015" for 2016); ``None`` where the links agree with the text."""
    stated = _months(year, month)
    after = [
        _months(int(found), int(name) if name.isdigit() else MONTHS.index(name.lower()) + 1)
        - stated
        for link in links
        for found, name in _LINK_MONTH.findall(link)
    ]
    if len(after) >= 2 and all(11 <= gap <= 13 for gap in after):
        return year + 1
    return None


@dataclass(frozen=True)
class DateAnchor:
    """An issue whose month is known: the point the cadence counts from."""

    number: int
    year: int
    month: int


_CADENCE = re.compile(r"^\s*(\d{1,3})\s*(week|month)s?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Cadence:
    """How often issues come out: every ``count`` weeks or months."""

    count: int = 1
    unit: str = "month"

    @classmethod
    def parse(cls, text: str) -> Cadence:
        """``"1 week"``, ``"2 weeks"``, ``"1 month"``; ``ValueError`` for anything else."""
        match = _CADENCE.match(text)
        if match is None or int(match.group(1)) < 1:
            raise ValueError(f"cadence {text!r} is not like '1 week', '2 weeks' or '1 month'")
        return cls(int(match.group(1)), match.group(2).lower())

    def predict(self, anchor: DateAnchor, number: int) -> tuple[int, int] | None:
        """(year, month) of issue ``number`` counted from ``anchor``; ``None`` off the calendar."""
        steps = (number - anchor.number) * self.count
        if self.unit == "month":
            months = _months(anchor.year, anchor.month) + steps
            year, month = months // 12, months % 12 + 1
        else:
            try:
                day = dt.date(anchor.year, anchor.month, 15) + dt.timedelta(weeks=steps)
            except OverflowError:
                return None
            year, month = day.year, day.month
        return (year, month) if 1 <= year <= 9999 else None


def infer_dates(
    issues: list[Issue],
    cadence: Cadence | None = None,
    anchor: DateAnchor | None = None,
    days: Mapping[str, int] | None = None,
) -> None:
    """Fill in missing years (and months) from this folder's own dated issues.

    Each run starts again from what the files stated, so it can be re-run over any list of
    issues. First the folder's dated issues are fitted (``fit_dates``): an issue between two
    dated ones of one month is of that month; elsewhere a steady pace predicts a date only
    where the prediction is clear of a month's edge. What that leaves, a configured
    ``cadence`` dates from the nearest anchor (a dated issue, or the configured ``anchor``:
    both meant for this newsletter only). Nothing is inferred where nothing is dated, or
    where the prediction lies in the future. ``days`` gives the day of the month of issues
    whose file name states one (by source), for a finer fit.
    """
    for issue in issues:
        issue.year, issue.month = issue.stated or (None, None)
        issue.date_inferred = False
    points = _points(issues, anchor, days or {})
    today = dt.date.today()
    latest = _months(today.year, today.month)
    undated = [i for i in issues if i.year is None or i.month is None]
    if len(points) >= 2:
        for issue in undated:
            _fill(issue, _fit(points, issue.number, issue.month), latest)
    if cadence is not None:
        anchors = [DateAnchor(n, *divmod_month(int(t))) for n, t in points]
        for issue in undated:
            if issue.year is None or issue.month is None:
                _fill(issue, _cadence_guess(anchors, cadence, issue.number), latest)


def stated_pace(issues: list[Issue], days: Mapping[str, int] | None = None) -> float | None:
    """Months per issue of the folder's issues that state their date, when they come at a
    steady pace (``infer_dates``'s own fit); None when fewer than two are dated or the pace is
    irregular. ``days`` as for ``infer_dates``."""
    points = _points([i for i in issues if not i.date_inferred], None, days or {})
    return _steady(points) if len(points) >= 2 else None


def divmod_month(index: int) -> tuple[int, int]:
    """(year, month) of a month counted from year 0."""
    return index // 12, index % 12 + 1


#: A fitted date closer than this (in months) to a month's edge is not trusted.
_EDGE = 0.2
#: Common paces in months per issue: a fit from two dated issues must be near one of them.
_PACES = (7 / 30.44, 14 / 30.44, 0.5, 1.0, 2.0, 3.0)


def _points(
    issues: list[Issue], anchor: DateAnchor | None, days: Mapping[str, int]
) -> list[tuple[int, float]]:
    """(number, month index with the day as a fraction) of every dated issue, by number."""
    by_number: dict[int, float] = {}
    for issue in issues:
        if issue.year and issue.month:
            day = days.get(issue.source)
            fraction = (day - 0.5) / 31 if day else 0.5
            by_number[issue.number] = _months(issue.year, issue.month) + fraction
    if anchor is not None:
        by_number.setdefault(anchor.number, _months(anchor.year, anchor.month) + 0.5)
    return sorted(by_number.items())


def _steady(points: list[tuple[int, float]]) -> float | None:
    """The folder's pace in months per issue, when its dated issues come at a steady one
    (never backwards, each gap near the median); None for an irregular folder."""
    slopes = [(t2 - t1) / (n2 - n1) for (n1, t1), (n2, t2) in itertools.pairwise(points) if n2 > n1]
    if not slopes or any(s < -0.05 for s in slopes):
        return None
    pace = statistics.median(slopes)
    if pace <= 0:
        return None
    if len(points) == 2:
        return pace if any(abs(pace - p) <= 0.1 * p for p in _PACES) else None
    steady = [s for s in slopes if abs(s - pace) <= 0.35 * pace + 0.5 / max(1, len(slopes))]
    return pace if len(steady) >= 0.8 * len(slopes) else None


def _fit(points: list[tuple[int, float]], number: int, month: int | None) -> tuple[int, int] | None:
    """The (year, month) this folder's dated issues give issue ``number`` (whose ``month``
    may be stated), or None where they do not say it clearly."""
    numbers = [n for n, _ in points]
    index = bisect.bisect_left(numbers, number)
    before = points[index - 1] if index > 0 else None
    after = points[index] if index < len(points) else None
    if before and after and int(before[1]) > int(after[1]):
        return None  # dated out of order here: no telling
    if before and after:
        low, high = int(before[1]), int(after[1])
        if month is not None:
            fits = [m for m in range(low, high + 1) if m % 12 + 1 == month]
            if len(fits) == 1:
                return divmod_month(fits[0])
        elif low == high:
            return divmod_month(low)
    pace = _steady(points)
    if pace is None:
        return None
    near = min((p for p in (before, after) if p), key=lambda p: abs(p[0] - number))
    if before and after:
        share = (number - before[0]) / (after[0] - before[0])
        guess = before[1] + share * (after[1] - before[1])
    else:
        guess = near[1] + pace * (number - near[0])
        if abs(guess - near[1]) > 24:
            return None  # too far from anything dated
    if month is not None:
        year = min(
            (int(guess) // 12 + delta for delta in (-1, 0, 1)),
            key=lambda y: abs(_months(y, month) + 0.5 - guess),
        )
        return (year, month) if abs(_months(year, month) + 0.5 - guess) <= 3 else None
    margin = _EDGE + (0 if before and after else 0.02 * abs(number - near[0]) * pace)
    if not margin <= guess % 1 <= 1 - margin:
        return None
    return divmod_month(int(guess))


def _cadence_guess(
    anchors: list[DateAnchor], cadence: Cadence, number: int
) -> tuple[int, int] | None:
    if not anchors:
        return None
    nearest = min(anchors, key=lambda a: abs(a.number - number))
    return cadence.predict(nearest, number)


def _fill(issue: Issue, predicted: tuple[int, int] | None, latest: int) -> None:
    """Date ``issue`` by ``predicted``: a stated month keeps its value and takes the year that
    brings it closest; nothing in the future."""
    if predicted is None or _months(*predicted) > latest:
        return
    if issue.month is not None:
        month = issue.month
        target = _months(*predicted)
        issue.year = min(
            (predicted[0] + delta for delta in (-1, 0, 1)),
            key=lambda year: abs(_months(year, month) - target),
        )
    else:
        issue.year, issue.month = predicted
    issue.date_inferred = True
