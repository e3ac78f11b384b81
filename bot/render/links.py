"""What the link checker tells moderators and the console: counts by status, the domains with
the most dead links, a pass's progress and summary."""

from __future__ import annotations

from bot.archive.links import CheckPass, LinkReport, LinkSummary
from bot.render.cards import Card, CardField

#: Each status as moderators read it.
STATUS_NAMES = {
    "ok": "Working",
    "redirected": "Redirected",
    "blocked": "Blocked (the site refuses robots; not dead)",
    "dead": "Dead (the archived copy is offered)",
    "unknown": "Not checked yet",
}
#: Dead links the console's text report lists.
DEAD_LISTED = 50


def _share(count: int, total: int) -> str:
    return f"{count} ({count * 100 / total:.0f} %)" if total else str(count)


def links_card(summary: LinkSummary, checking: bool, newsletter: str | None = None) -> Card:
    """``/links``: how many links are in each status and the domains with the most dead ones;
    ``checking``: whether the bot checks links in the background."""
    counts, total = summary.counts, summary.total
    fields = [
        CardField(STATUS_NAMES[status], _share(counts[status], total), inline=True)
        for status in counts
    ]
    domains = summary.dead_domains
    fields.append(
        CardField(
            "Most dead links",
            "\n".join(f"{domain}: {count}" for domain, count in domains) if domains else "none",
        )
    )
    of = f" of {newsletter}" if newsletter else ""
    return Card(
        f"Links{of}",
        f"{total} link{'s' if total != 1 else ''} in the archive's resources, "
        f"{summary.checked} checked.",
        fields=tuple(fields),
        footer="Links are checked in the background, politely; only their status is kept."
        if checking
        else "Background checks are off (links.check in the config): these are the last results.",
    )


def report_text(report: LinkReport) -> str:
    """``python -m bot links report``: the counts, the domains with the most dead links and
    the dead links with their archived copies."""
    summary = report.summary()
    counts, total = summary.counts, summary.total
    lines = [f"{total} links, {summary.checked} checked"]
    lines += [f"  {STATUS_NAMES[status]}: {_share(counts[status], total)}" for status in counts]
    domains = summary.dead_domains
    if domains:
        lines += ["Most dead links:", *(f"  {domain}: {count}" for domain, count in domains)]
    dead = [row for row in report.links if row.status == "dead"]
    if dead:
        lines.append("Dead links (archived copy):")
        lines += [f"  {row.url}\n    {row.archive_url}" for row in dead[:DEAD_LISTED]]
        if len(dead) > DEAD_LISTED:
            lines.append(f"  … and {len(dead) - DEAD_LISTED} more (--json lists every link)")
    return "\n".join(lines)


def progress_line(done: int, total: int, width: int = 30) -> str:
    """One line of a pass's progress bar."""
    filled = width * done // total if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} links checked"


def check_summary(result: CheckPass) -> str:
    """What a pass did, in one line."""
    if not result.due:
        return "No link is due for a check (each is checked again after links.recheck_days)."
    found = ", ".join(
        f"{result.counts[status]} {status}" for status in STATUS_NAMES if result.counts.get(status)
    )
    left = result.due - result.checked
    later = f"; {left} left for a later pass (their host asked for fewer requests)" if left else ""
    return f"{result.checked} of {result.due} due links checked: {found}{later}."
