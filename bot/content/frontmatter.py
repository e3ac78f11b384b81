"""Metadata at the top of a file: YAML (``---``), TOML (``+++``) or a Pelican/MultiMarkdown
header of ``Key: value`` lines. Keys are case-insensitive; those the bot does not use are
ignored, so a static-site generator's front matter (layout, tags, author) reads as is."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from bot.content.issue_meta import find_date
from bot.content.models import MAX_NUMBER

_YEAR_MONTH = re.compile(r"^((?:19|20)\d\d)[-/.](\d{1,2})(?:[-/.]\d{1,2})?(?:[ T].*)?$")
_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9_ -]{0,30}):(?:\s+(.*))?$")
#: Keys the bot reads, by the names static-site generators and newsletter tools give them.
_KEYS = {
    **dict.fromkeys(("number", "issue", "issue_number", "edition"), "number"),
    **dict.fromkeys(("date", "published", "publish_date", "pubdate", "published_at"), "date"),
    **dict.fromkeys(("title", "subject"), "title"),
    **dict.fromkeys(("url", "absolute_url", "canonical_url"), "url"),
}


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
    #: The line each key was read from.
    number_line: int | None = None


def parse_number(value: Any, line: int) -> int:
    """A whole issue number in range, or ``FrontMatterError`` naming the line."""
    if isinstance(value, str) and value.strip().lstrip("#").isdigit():
        value = int(value.strip().lstrip("#")[:12])
    if isinstance(value, bool) or not isinstance(value, int):
        raise FrontMatterError(line, f"number {value!r} is not a whole number")
    if not 0 <= value <= MAX_NUMBER:
        shown = str(value) if len(str(value)) < 20 else str(value)[:12] + "…"
        raise FrontMatterError(line, f"number {shown} is out of range (0 to {MAX_NUMBER:,})")
    return value


def parse_date(value: Any, line: int) -> tuple[int, int]:
    """(year, month) of a metadata date: a date, ``YYYY-MM[-DD]`` (``/`` or ``.`` too, a time
    after it), or a written date ("March 20, 2024", "Wed, 20 Mar 2024 10:00:00 +0000")."""
    if isinstance(value, dt.date):
        return value.year, value.month
    match = _YEAR_MONTH.match(str(value).strip())
    if match and 1 <= int(match.group(2)) <= 12:
        return int(match.group(1)), int(match.group(2))
    year, month = find_date([str(value)])
    if year is None or month is None:
        raise FrontMatterError(line, f"date {value!r} is not YYYY-MM or YYYY-MM-DD")
    return year, month


def _fenced(lines: list[str], fence: str) -> tuple[dict[str, Any], int] | None:
    """The mapping between two ``fence`` lines and the index of the closing one."""
    if not lines or lines[0].strip() != fence:
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == fence), None)
    if end is None:
        raise FrontMatterError(1, f"front matter opened with {fence!r} is never closed")
    raw = "\n".join(lines[1:end])
    try:
        data = yaml.safe_load(raw) if fence == "---" else tomllib.loads(raw)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = 2 + mark.line if mark is not None else 1
        raise FrontMatterError(line, f"front matter is not valid YAML: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise FrontMatterError(2, f"front matter is not valid TOML: {error}") from None
    if not isinstance(data or {}, dict):
        raise FrontMatterError(2, "front matter must be a mapping such as 'number: 12'")
    return data or {}, end


def _header(lines: list[str]) -> tuple[dict[str, Any], int] | None:
    """A Pelican/MultiMarkdown header: ``Key: value`` lines up to the first blank line, with
    at least one key the bot knows."""
    data: dict[str, Any] = {}
    end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    for line in lines[:end]:
        match = _HEADER_LINE.match(line)
        if match is None:
            return None
        data[match.group(1).strip()] = (match.group(2) or "").strip()
    if not data or not any(key.lower() in _KEYS for key in data):
        return None
    return data, end - 1


def split_front_matter(text: str) -> tuple[FrontMatter, str, int]:
    """Split ``text`` into its metadata, the body, and the body's first line number."""
    lines = text.split("\n")
    found = _fenced(lines, "---") or _fenced(lines, "+++")
    if found is not None:
        data, end = found
        body_start = end + 1
        key_lines = range(1, end)
    else:
        found = _header(lines)
        if found is None:
            return FrontMatter(), text, 1
        data, end = found
        body_start = end + 1
        key_lines = range(0, end + 1)

    def line_of(key: str) -> int:
        for index in key_lines:
            if lines[index].lstrip().lower().startswith(f"{key.lower()}:") or lines[
                index
            ].lstrip().lower().startswith(f"{key.lower()} ="):
                return index + 1
        return key_lines.start + 1

    return front_matter_of(data, line_of), "\n".join(lines[body_start:]), body_start + 1


def front_matter_of(data: dict[str, Any], line_of: Callable[[str], int]) -> FrontMatter:
    """The metadata the bot reads from a file's keys and values (``line_of`` finds the line
    of a key); ``FrontMatterError`` for a number or date it cannot read."""
    values: dict[str, tuple[Any, int]] = {}
    for key, value in data.items():
        name = _KEYS.get(re.sub(r"[\s-]+", "_", str(key).strip().lower()))
        if name is not None and value not in (None, "") and name not in values:
            values[name] = (value, line_of(str(key)))
    number = number_line = None
    if "number" in values:
        number_line = values["number"][1]
        number = parse_number(*values["number"])
    year = month = None
    if "date" in values:
        year, month = parse_date(*values["date"])
    title, url = (str(values[k][0]).strip() if k in values else None for k in ("title", "url"))
    return FrontMatter(number, year, month, title, url, number_line)
