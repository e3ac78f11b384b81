"""Optional YAML front matter that overrides what the parser detects in a file."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import yaml

_FENCE = re.compile(r"^---\s*$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})(?:-\d{1,2})?$")
ALLOWED_KEYS = ("number", "date", "title", "url")


class FrontMatterError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(message)


@dataclass(frozen=True)
class FrontMatter:
    number: int | None = None
    year: int | None = None
    month: int | None = None
    title: str | None = None
    url: str | None = None


def _parse_date(value: Any, line: int) -> tuple[int, int]:
    if isinstance(value, dt.date):
        return value.year, value.month
    match = _YEAR_MONTH.match(str(value).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise FrontMatterError(line, f"date {value!r} is not YYYY-MM or YYYY-MM-DD")
    return int(match.group(1)), int(match.group(2))


def split_front_matter(text: str) -> tuple[FrontMatter, str, int]:
    """Split ``text`` into its front matter, the body, and the body's first line number."""
    lines = text.split("\n")
    if not lines or not _FENCE.match(lines[0]):
        return FrontMatter(), text, 1
    for end in range(1, len(lines)):
        if _FENCE.match(lines[end]):
            break
    else:
        raise FrontMatterError(1, "front matter opened with '---' is never closed")
    try:
        data = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = 2 + mark.line if mark is not None else 1
        raise FrontMatterError(line, f"front matter is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise FrontMatterError(2, "front matter must be a mapping such as 'number: 12'")

    def line_of(key: str) -> int:
        for offset, raw in enumerate(lines[1:end], start=2):
            if raw.lstrip().startswith(f"{key}:"):
                return offset
        return 2

    unknown = sorted(set(map(str, data)) - set(ALLOWED_KEYS))
    if unknown:
        raise FrontMatterError(
            line_of(unknown[0]),
            f"unknown front matter key {unknown[0]!r} (allowed: {', '.join(ALLOWED_KEYS)})",
        )
    number = data.get("number")
    if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
        raise FrontMatterError(line_of("number"), f"number {number!r} is not a whole number")
    year = month = None
    if data.get("date") is not None:
        year, month = _parse_date(data["date"], line_of("date"))
    title = data.get("title")
    url = data.get("url")
    front = FrontMatter(
        number=number,
        year=year,
        month=month,
        title=str(title).strip() if title is not None else None,
        url=str(url).strip() if url is not None else None,
    )
    return front, "\n".join(lines[end + 1 :]), end + 2
