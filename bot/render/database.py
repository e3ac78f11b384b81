"""What ``python -m bot db check|backup|restore|recover`` print: one line each."""

from __future__ import annotations

from pathlib import Path

from bot.archive.recovery import DatabaseReport, Recovery
from bot.archive.schema import SCHEMA_VERSION

#: How ``check`` and ``recover`` name each table's rows: (one, many).
_ROWS = {
    "issues": ("issue", "issues"),
    "resources": ("resource", "resources"),
    "schedules": ("schedule", "schedules"),
    "pick_history": ("pick history entry", "pick history entries"),
    "posted_slots": ("posted slot", "posted slots"),
    "announcements": ("announcement", "announcements"),
    "announced_issues": ("announced issue", "announced issues"),
    "new_issues": ("queued announcement", "queued announcements"),
    "feeds": ("feed state", "feed states"),
    "feed_entries": ("feed entry seen", "feed entries seen"),
    "saved": ("saved item", "saved items"),
    "meta": ("setting", "settings"),
}


def _rows(table: str, count: int | None) -> str:
    one, many = _ROWS[table]
    if count is None:
        return f"{many} unreadable"
    return f"{count} {one if count == 1 else many}"


def no_database(path: Path) -> str:
    return f"{path}: no database there yet (the bot creates it at its first start)"


def bot_running(path: Path, command: str) -> str:
    return f"{path}: the bot is running on this database: stop it, then run {command} again"


def healthy_not_recovered(path: Path) -> str:
    return (
        f"{path}: the database checks healthy, so nothing was done (db recover rebuilds it "
        "anyway with --force; to go back to a backup, use db restore)"
    )


def backup_refused(target: Path) -> str:
    if target.exists():
        return f"{target}: already exists: give db backup a new file name (it never overwrites)"
    return f"{target.parent}: no such folder: create it, or give db backup a path in a folder that exists"


def backup_message(target: Path, report: DatabaseReport) -> str:
    counts = ", ".join(_rows(table, count) for table, count in report.counts.items())
    if report.healthy:
        return f"{target}: backup written and checked healthy: {counts}"
    return f"{target}: backup written but it does not check healthy ({report.problems[0]})"


def restored_message(backup: Path, path: Path, kept_as: Path | None) -> str:
    before = f"; the database it replaced is kept as {kept_as}" if kept_as else ""
    return f"{path}: restored from {backup}{before}; start the bot to serve it"


def check_message(report: DatabaseReport) -> str:
    """``PATH: healthy (…)`` or ``PATH: damaged (…)`` and what to do, on one line."""
    pragma = "quick_check" if report.quick else "integrity_check"
    counts = ", ".join(_rows(table, count) for table, count in report.counts.items())
    version = (
        "schema version unreadable"
        if report.schema_version is None
        else f"schema version {report.schema_version}"
    )
    if report.healthy:
        return f"{report.path}: healthy ({pragma}: ok, {version}): {counts}"
    if report.newer and report.problems == ["ok"]:
        return (
            f"{report.path}: not damaged, but {version} is newer than this bot's "
            f"({SCHEMA_VERSION}): upgrade the bot ({counts})"
        )
    found = report.problems[0]
    more = len(report.problems) - 1
    found += f" and {more} more problem{'s' if more != 1 else ''}" if more else ""
    return (
        f"{report.path}: damaged ({pragma}: {found}; {version}): {counts}: stop the bot and run "
        "python -m bot db recover (it keeps this file aside and never deletes it)"
    )


def recovery_message(recovery: Recovery) -> str:
    """What was saved into the new file, what was not, and where the old file is."""
    saved = ", ".join(
        _rows(table.table, table.saved) + ("" if table.complete else " (some unreadable)")
        for table in recovery.tables
    )
    return (
        f"{recovery.path}: recovered into a new file: saved {saved}; the damaged file is kept "
        f"as {recovery.kept_as}; issues are read again from the content folder at the next start"
    )
