"""What ``python -m bot newsletter add`` says: the proposal, the question, the refusals."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

from bot.content.models import Issue, Problem

#: Chrome titles and problems shown in a proposal.
SHOWN = 5


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _short(text: str, width: int = 60) -> str:
    return textwrap.shorten(" ".join(text.split()), width, placeholder=" …")


def _span(values: list[str]) -> str:
    return values[0] if values[0] == values[-1] else f"{values[0]} to {values[-1]}"


def served_summary(issues: list[Issue]) -> str:
    """ "12 issues (#1 to #12), dated 2021-01 to 2021-12 (3 inferred), 240 resources"."""
    numbers = [f"#{i.number}" for i in issues]
    dates = sorted(i.date for i in issues if i.date)
    inferred = sum(1 for i in issues if i.date and i.date_inferred)
    if not dates:
        dated = "no dates"
    else:
        dated = f"dated {_span(dates)}"
        if len(dates) < len(issues):
            dated += f" ({len(issues) - len(dates)} undated)"
        if inferred:
            dated += f" ({inferred} inferred)"
    resources = sum(len(i.resources) for i in issues)
    return (
        f"{_plural(len(issues), 'issue')} ({_span(numbers)}), {dated}, "
        f"{_plural(resources, 'resource')}"
    )


def proposal_text(
    folder: Path,
    issues: list[Issue],
    problems: list[Problem],
    *,
    name: str,
    name_from: str,
    cadence: str | None,
    dated: int,
    chrome: Counter[str],
    patterns: int,
    entry: str,
    config: Path,
) -> str:
    """What the bot would serve from ``folder`` and the entry it proposes."""
    lines = [f"{folder}: {served_summary(issues)}"]
    lines.append(f"  name: {name} (from {name_from})")
    if cadence:
        lines.append(f"  cadence: {cadence} (fitted to {dated} dated issues)")
    elif dated >= 2:
        lines.append(f"  cadence: none ({dated} dated issues come at no steady pace)")
    else:
        lines.append("  cadence: none (fewer than two issues state their date)")
    if chrome:
        shown = ", ".join(f"{_short(t, 40)!r} ({n})" for t, n in chrome.most_common(SHOWN))
        more = f" and {len(chrome) - SHOWN} more" if len(chrome) > SHOWN else ""
        lines.append(
            f"  dropped as chrome (recurring across the issues): {shown}{more}"
            + (
                f"; {_plural(patterns, 'boilerplate pattern')} proposed, so that issues "
                "added one at a time drop them too"
                if patterns
                else ""
            )
        )
    lines.append(f"  first issue: #{issues[0].number} {_short(issues[0].title)!r}")
    lines.append(f"  problems: {len(problems)}")
    lines += [f"    {_short(str(p), 160)}" for p in problems[:SHOWN]]
    if len(problems) > SHOWN:
        lines.append(f"    … and {len(problems) - SHOWN} more: python -m bot inspect {folder}")
    lines.append(f"The entry for {config}:")
    lines += [f"  {line}" for line in entry.splitlines()]
    return "\n".join(lines)


def question(config: Path) -> str:
    return f"Add it to {config}? [y/N] "


def not_a_terminal(newsletter_id: str) -> str:
    return (
        f"not written: the input is not a terminal to answer in; run again with --yes to "
        f"add newsletter {newsletter_id}"
    )


def declined(config: Path) -> str:
    return f"not written: {config} is unchanged"


def written(config: Path, newsletter_id: str, converted: bool) -> str:
    lines = [f"Added newsletter {newsletter_id} to {config}."]
    if converted:
        lines.append(
            "  The single newsletter: + content: form is now a newsletters: list; the "
            "first entry keeps its id, its settings and its stored content."
        )
    lines += [
        "Next:",
        f"  python -m bot check --newsletter {newsletter_id}   # every problem, file by file",
        f"  python -m bot inspect FILE --newsletter {newsletter_id}   # how one issue is read",
        "  then restart the bot, or run /reload in Discord, to serve it.",
    ]
    return "\n".join(lines)


def no_folder(folder: Path) -> str:
    return f"{folder}: no such folder (give the folder that holds the newsletter's issue files)"


def not_a_folder(folder: Path) -> str:
    return f"{folder}: is a file, not a folder (give the folder that holds the issue files)"


def unreadable(folder: Path) -> str:
    return f"{folder}: cannot read the folder: permission denied (e.g. chmod a+rx)"


def nothing_read(folder: Path, problems: list[Problem]) -> str:
    """The one line for a folder from which no issue could be read."""
    if len(problems) == 1:
        return f"{folder}: no issue could be read: {problems[0].message}"
    return (
        f"{folder}: no issue could be read ({_plural(len(problems), 'file')} failed, the first: "
        f"{problems[0]}); 'python -m bot check --content {folder}' names every problem"
    )


def served_already(folder: Path, newsletter_id: str) -> str:
    return f"{folder}: already served as newsletter {newsletter_id}"


def bad_id(newsletter_id: str) -> str:
    return (
        f"--id {newsletter_id!r}: an id is 1 to 32 lower-case letters, digits, '-' or '_', "
        "starting with a letter or digit"
    )


def id_taken(newsletter_id: str, config: Path) -> str:
    return (
        f"--id {newsletter_id}: {config} already has a newsletter with this id "
        "(choose another with --id)"
    )


def no_newsletters(config: Path) -> str:
    return f"{config}: has neither newsletter: nor newsletters: to add an entry to"


def not_written(config: Path, reason: str) -> str:
    return (
        f"{config}: not written, the entry made it fail to load (the file is unchanged): {reason}"
    )
