"""Short answers that both the bot and the console give."""

from __future__ import annotations

import datetime as dt

from bot.archive.records import LoadSummary
from bot.content.models import Problem

MAX_PROBLEMS_SHOWN = 10
MESSAGE_LIMIT = 2000  # characters in a Discord message


def missing_issue_message(number: int, numbers: list[int]) -> str:
    """The answer for an issue number that is not in the archive, naming those that are."""
    if not numbers:
        return "The archive is empty: no issues are loaded yet."
    return (
        f"There is no issue #{number}. The archive holds issues #{min(numbers)} to #{max(numbers)}."
    )


def no_results_message(query: str, suggestions: list[str]) -> str:
    shown = query if len(query) <= 100 else query[:99] + "…"
    message = f"Nothing found for “{shown}”."
    if suggestions:
        message += " Did you mean: " + "; ".join(f"“{s}”" for s in suggestions) + "?"
    else:
        message += " Try fewer or more general words."
    return message


def _problems(problems: list[Problem]) -> str:
    shown = "\n".join(f"• `{problem}`" for problem in problems[:MAX_PROBLEMS_SHOWN])
    more = len(problems) - MAX_PROBLEMS_SHOWN
    return shown + (f"\n…and {more} more (run `python -m bot check`)." if more > 0 else "")


def reload_message(summary: LoadSummary, warnings: list[Problem]) -> str:
    """What a reload changed (issues added, changed, removed) and what is served now."""
    if summary.unchanged:
        head = "Reloaded: nothing changed."
    else:
        parts = [
            f"{label} " + ", ".join(f"#{n}" for n in numbers)
            for label, numbers in (
                ("added", summary.added),
                ("changed", summary.changed),
                ("removed", summary.removed),
            )
            if numbers
        ]
        head = "Reloaded: issues " + "; ".join(parts) + "."
    text = f"{head} Now serving {summary.issues} issues and {summary.resources} resources."
    if warnings:
        text += "\nWarnings:\n" + _problems(warnings)
    return text[:MESSAGE_LIMIT]


def reload_failed_message(problems: list[Problem]) -> str:
    text = (
        "Reload failed, so the previous content is still served. Fix this and reload again:\n"
        + _problems(problems)
    )
    return text[:MESSAGE_LIMIT]


def format_duration(delta: dt.timedelta) -> str:
    """``1d 2h 5m``, or ``2h 5m`` under a day."""
    minutes, _ = divmod(int(delta.total_seconds()), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h {minutes}m" if days else f"{hours}h {minutes}m"
