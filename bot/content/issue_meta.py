"""Issue number and date: read from the opening of an issue, or inferred from the numbering."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.content.models import Issue

MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_MONTH = "(" + "|".join(MONTHS) + r"|" + "|".join(m[:3] for m in MONTHS) + r")\.?"
_ORDINAL_WORDS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()
_UNIT = r"(?:issue|edition|newsletter|installment|instalment|episode)"
_NUMBER_PATTERNS = (
    re.compile(rf"\b(\d{{1,4}})(?:st|nd|rd|th)\s+{_UNIT}\b", re.IGNORECASE),
    re.compile(rf"\b{_UNIT}\s*(?:no\.?|number|#)?\s*#?(\d{{1,4}})\b", re.IGNORECASE),
    re.compile(r"\bno\.\s?(\d{1,4})\b", re.IGNORECASE),
    re.compile(rf"\b({'|'.join(_ORDINAL_WORDS)})\s+{_UNIT}\b", re.IGNORECASE),
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


def locate_number(lines: Iterable[str]) -> tuple[int, int] | None:
    """The issue number ("15th issue!", "Issue #3", "the seventh edition") and the index of
    the line that states it: the strongest pattern wins, then the earliest line."""
    lines = list(lines)
    for pattern in _NUMBER_PATTERNS:
        for index, line in enumerate(lines):
            for match in pattern.finditer(line):
                if _NOT_THIS_ISSUE.search(line[max(0, match.start() - 20) : match.end() + 5]):
                    continue
                value = match.group(1)
                number = int(value) if value.isdigit() else _ORDINAL_WORDS.index(value.lower()) + 1
                return number, index
    return None


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


def infer_dates(issues: list[Issue], cadence_months: int, anchor: DateAnchor | None = None) -> None:
    """Fill in missing years (and months) from issues whose full date is known.

    Issues come out at a steady cadence, so an anchor (an issue with year and month, or the
    one the config names) predicts the date of every other issue; the nearest anchor by number
    is used. A stated month keeps its value and takes the year that brings it closest to the
    prediction; an issue with no date at all takes the prediction. Nothing is inferred where
    there is no anchor.
    """
    anchors = [
        DateAnchor(i.number, i.year, i.month)
        for i in issues
        if i.year is not None and i.month is not None
    ]
    if anchor is not None:
        anchors.append(anchor)
    if not anchors:
        return
    for issue in issues:
        if issue.year is not None and issue.month is not None:
            continue
        nearest = min(anchors, key=lambda a: abs(a.number - issue.number))
        predicted = (
            _months(nearest.year, nearest.month) + (issue.number - nearest.number) * cadence_months
        )
        if issue.month is not None:
            month = issue.month
            issue.year = min(
                (predicted // 12 + delta for delta in (-1, 0, 1)),
                key=lambda year: abs(_months(year, month) - predicted),
            )
        else:
            issue.year, issue.month = predicted // 12, predicted % 12 + 1
        issue.date_inferred = True
