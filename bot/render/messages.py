"""Short answers that both the bot and the console give."""

from __future__ import annotations

from bot.archive.service import ArchiveService


async def missing_issue_message(service: ArchiveService, number: int) -> str:
    numbers = [n for n, _, _ in await service.archive.issue_numbers()]
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
