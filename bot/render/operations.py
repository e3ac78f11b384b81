"""What the bot logs for its operator about content folders and feeds: a file it cannot write,
an entry held for a moderator, and ``python -m bot feeds``' listing. Each names the fix."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.archive.folders import WriteFailure
from bot.archive.records import HeldEntry

_WHY = {
    "full": "the disk is full",
    "read_only": "the folder is on a read-only file system",
    "denied": "permission denied",
    "failed": "the write failed",
}
_FIX = {
    "full": "free some space on that disk",
    "read_only": "mount it writable (in compose.yaml: no :ro on the content volume)",
    "denied": (
        "let the user running the bot write there (in the container image: uid 10001, "
        "e.g. sudo chown -R 10001 on the host folder)"
    ),
    "failed": "check the folder and the disk",
}


def folder_unwritable(folder: Path, kind: WriteFailure, detail: str, what: str) -> str:
    """A log line: ``what`` (feed issues, an import) cannot be written into ``folder``."""
    return f"cannot write {what} into {folder}: {_WHY[kind]} ({detail}); {_FIX[kind]}"


def feed_retry_line(what: str, wait: str) -> str:
    return f"{what}: will try again in {wait} (the reason was logged once, above)"


def folder_writable_again(folder: Path) -> str:
    return f"{folder} is writable again: feed issues are written"


def feed_deferred(url: str, limit: int) -> str:
    return (
        f"feed {url}: {limit} new entries taken, the most one poll takes "
        "(feed_max_new_entries); the rest wait for the next poll"
    )


def entry_held(url: str, number: int, newest: int | None, limit: int, title: str) -> str:
    after = f"the newest issue is #{newest}" if newest is not None else "no issue is loaded"
    return (
        f"feed {url}: held entry “{title}”: its number #{number} is beyond #{limit} "
        f"({after}); not served until a moderator releases it: python -m bot feeds"
    )


def held_listing(held: Sequence[HeldEntry]) -> str:
    """``python -m bot feeds``: every held entry and how to release or dismiss it."""
    if not held:
        return "No feed entry is held: every new entry was served."
    lines = [f"{len(held)} feed entr{'y is' if len(held) == 1 else 'ies are'} held:"]
    for entry in held:
        lines.append(
            f"  [{entry.id}] {entry.newsletter} #{entry.number} “{entry.title}” "
            f"from {entry.url} (held {entry.held_at:%Y-%m-%d %H:%M} UTC)"
        )
    lines.append(
        "Serve one with python -m bot feeds release ID (written by the bot's next feed pass), "
        "or drop it with python -m bot feeds dismiss ID."
    )
    return "\n".join(lines)


def held_released(entry: HeldEntry) -> str:
    return (
        f"Released [{entry.id}]: #{entry.number} “{entry.title}” is written and loaded by the "
        "bot's next feed pass."
    )


def held_dismissed(entry: HeldEntry) -> str:
    return f"Dismissed [{entry.id}]: #{entry.number} “{entry.title}” will not be served."


def held_unknown(entry_id: int) -> str:
    return f"No held feed entry [{entry_id}]: python -m bot feeds lists them."


def held_number_taken(entry: HeldEntry, source: str) -> str:
    return (
        f"#{entry.number} is served already (from {source}): dismiss [{entry.id}] instead "
        f"with python -m bot feeds dismiss {entry.id}."
    )


def health_listening(host: str, port: int) -> str:
    return f"health endpoint: http://{host}:{port}/health (200 while connected, 503 otherwise)"


def health_port_unavailable(host: str, port: int, reason: str | None) -> str:
    return (
        f"health.port: cannot listen on {host}:{port} ({reason or 'refused'}): choose a free "
        "port (health.port, or ARCHIVE_BOT__HEALTH__PORT), or remove it to run without the "
        "HTTP health endpoint"
    )
