"""How the bot reads a file or folder (``python -m bot inspect``), as text and as JSON."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

from bot.content.models import Issue, Problem

#: Characters of a dropped block's text shown in the text output.
_SHOWN = 100


def number_from(issue: Issue) -> str | None:
    """Where an issue's number came from ("the file name", "the text (line 3)")."""
    chosen = next((c for c in issue.number_candidates if c.number == issue.number), None)
    return chosen.where if chosen else None


def date_from(issue: Issue) -> str | None:
    """ "stated", "inferred", or None for an issue with no date."""
    if issue.date is None:
        return None
    return "inferred" if issue.date_inferred else "stated"


def inspect_json(issues: list[Issue], problems: list[Problem]) -> dict[str, Any]:
    return {
        "issues": [
            {
                "source": issue.source,
                "number": issue.number,
                "number_from": number_from(issue),
                "date": issue.date,
                "date_from": date_from(issue),
                "title": issue.title,
                "resources": [
                    {
                        "title": r.title,
                        "text": r.text,
                        "links": list(r.links),
                        "section": r.section,
                    }
                    for r in issue.resources
                ],
                "dropped": [{"text": d.text, "why": d.why} for d in issue.dropped],
            }
            for issue in issues
        ],
        "problems": [str(problem) for problem in problems],
    }


def _one_line(text: str) -> str:
    return textwrap.shorten(" ".join(text.split()), _SHOWN, placeholder=" …")


def _issue_text(issue: Issue) -> list[str]:
    date = issue.date or "no date"
    dated = {"stated": "stated", "inferred": "inferred from the folder's dated issues"}
    lines = [
        f"== {issue.source}: #{issue.number} “{issue.title}”",
        f"   number from {number_from(issue) or 'nowhere'}; date {date}"
        + (f" ({dated[kind]})" if (kind := date_from(issue)) else ""),
        f"   {len(issue.resources)} resource{'s' if len(issue.resources) != 1 else ''}:",
    ]
    section: str | None = None
    for resource in issue.resources:
        if resource.section != section:
            section = resource.section
            lines.append(f"   [{section or 'no section'}]")
        lines.append(f"   - {resource.title}")
        lines += [f"       {link}" for link in resource.links]
    if issue.dropped:
        why = Counter(d.why for d in issue.dropped)
        counts = ", ".join(f"{n} {reason}" for reason, n in sorted(why.items()))
        lines.append(f"   dropped ({counts}):")
        lines += [f"   x {d.why}: {_one_line(d.text)}" for d in issue.dropped]
    return lines


def inspect_text(issues: list[Issue], problems: list[Problem]) -> str:
    """Per issue: its number and date and where they came from, its title, its resources by
    section with their links, every block dropped and why; then the problems."""
    lines = [line for issue in issues for line in _issue_text(issue)]
    lines += [str(problem) for problem in problems]
    resources = sum(len(i.resources) for i in issues)
    dropped = sum(len(i.dropped) for i in issues)
    lines.append(
        f"{len(issues)} issue{'s' if len(issues) != 1 else ''}, {resources} resources, "
        f"{dropped} blocks dropped, {len(problems)} problem{'s' if len(problems) != 1 else ''}"
    )
    return "\n".join(lines)


def nothing_read(path: Path, problems: list[Problem], check: bool = True) -> str:
    """The one line for a file or folder from which no issue could be read (``check``: say
    how to see every problem)."""
    if len(problems) == 1:
        reason = problems[0].message
    else:
        reason = f"{len(problems)} files failed" if problems else "no issue files in it"
    if not check or len(problems) <= 1:
        return f"{path}: no issue could be read: {reason}"
    return (
        f"{path}: no issue could be read ({reason}); "
        f"'python -m bot check --content {path}' names every problem"
    )


def not_found(path: Path) -> str:
    return f"{path}: no such file or folder"
