"""Issue number and date: read from the opening of an issue, or inferred from the numbering."""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.content.models import MAX_NUMBER, Issue

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
    stem = _FILE_DATE.sub(" ", Path(name).stem).strip(" _.-")
    for explicit, pattern in zip((True, False), _FILE_NUMBER, strict=True):
        match = pattern.search(stem)
        if match and int(match.group(1)) <= MAX_NUMBER:
            return int(match.group(1)), explicit
    return None


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


def infer_dates(issues: list[Issue], cadence: Cadence, anchor: DateAnchor | None = None) -> None:
    """Fill in missing years (and months) from issues whose full date is stated.

    Issues come out at a steady cadence, so an anchor (an issue with a stated year and month,
    or the one the config names) predicts the date of every other issue; the nearest anchor
    by number is used. A stated month keeps its value and takes the year that brings it
    closest to the prediction; an issue with no date at all takes the prediction. Nothing is
    inferred where there is no anchor, or where the prediction lies in the future. Each run starts again from what the files stated, so
    it can be re-run over any list of issues.
    """
    for issue in issues:
        issue.year, issue.month = issue.stated or (None, None)
        issue.date_inferred = False
    anchors = [DateAnchor(i.number, i.year, i.month) for i in issues if i.year and i.month]
    if anchor is not None:
        anchors.append(anchor)
    if not anchors:
        return
    anchors.sort(key=lambda a: a.number)
    today = dt.date.today()
    latest = (today.year, today.month)
    numbers = [a.number for a in anchors]
    for issue in issues:
        if issue.year is not None and issue.month is not None:
            continue
        index = bisect.bisect_left(numbers, issue.number)
        nearest = min(
            anchors[max(0, index - 1) : index + 1], key=lambda a: abs(a.number - issue.number)
        )
        predicted = cadence.predict(nearest, issue.number)
        if predicted is None or predicted > latest:
            continue  # off the calendar, or in the future: the cadence or anchor is wrong
        target = _months(*predicted)
        if issue.month is not None:
            month = issue.month
            issue.year = min(
                (predicted[0] + delta for delta in (-1, 0, 1)),
                key=lambda year: abs(_months(year, month) - target),
            )
        else:
            issue.year, issue.month = predicted
        issue.date_inferred = True
