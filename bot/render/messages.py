"""Short answers that both the bot and the console give."""

from __future__ import annotations


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
