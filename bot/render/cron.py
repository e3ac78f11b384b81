"""Cron expressions in plain words: ``0 9 * * 1`` in Europe/Paris → ``every Monday at 09:00,
Europe/Paris``. Shapes with no short wording are quoted as they are."""

from __future__ import annotations

import calendar

_DAY_NAMES = {name.lower()[:3]: index for index, name in enumerate(calendar.day_name)}


def _weekday(value: str) -> int | None:
    """A cron weekday (0–7, Sunday as 0 or 7, or a three-letter name) as Monday=0…Sunday=6."""
    if value.isdigit() and int(value) <= 7:
        return (int(value) - 1) % 7
    return _DAY_NAMES.get(value.lower()[:3]) if len(value) == 3 else None


def _weekdays(field: str) -> list[int] | None:
    """Days a weekday field names (lists and ranges), Monday=0; None for other shapes."""
    days: list[int] = []
    for part in field.split(","):
        ends = part.split("-")
        if len(ends) > 2:
            return None
        found = [_weekday(end) for end in ends]
        if any(day is None for day in found):
            return None
        first, last = found[0], found[-1]
        assert first is not None and last is not None
        if len(ends) == 1:
            days.append(first)
        else:
            span = (last - first) % 7
            days += [(first + step) % 7 for step in range(span + 1)]
    return sorted(set(days))


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe(cron: str, timezone: str) -> str:
    """When a schedule posts, in words, ending with its time zone."""
    return f"{_when(cron)}, {timezone}"


def _when(cron: str) -> str:
    fields = cron.split()
    if len(fields) != 5:
        return f"on `{cron}`"
    minute, hour, day, month, weekday = fields
    if not minute.isdigit() or int(minute) > 59:
        return f"on `{cron}`"
    if hour == "*" and (day, month, weekday) == ("*", "*", "*"):
        return (
            "every hour, on the hour" if int(minute) == 0 else f"every hour at :{int(minute):02d}"
        )
    if hour.startswith("*/") and hour[2:].isdigit() and (day, month, weekday) == ("*", "*", "*"):
        return f"every {int(hour[2:])} hours from 00:{int(minute):02d}"
    if not hour.isdigit() or int(hour) > 23 or month != "*":
        return f"on `{cron}`"
    at = f"at {int(hour):02d}:{int(minute):02d}"
    if day == "*" and weekday == "*":
        return f"every day {at}"
    if day == "*":
        days = _weekdays(weekday)
        if days is None:
            return f"on `{cron}`"
        if days == list(range(5)):
            return f"every weekday (Monday to Friday) {at}"
        if days == [5, 6]:
            return f"every Saturday and Sunday {at}"
        return f"every {_and([calendar.day_name[d] for d in days])} {at}"
    if weekday == "*" and day.isdigit() and 1 <= int(day) <= 31:
        return f"on the {_ordinal(int(day))} of every month {at}"
    return f"on `{cron}`"
