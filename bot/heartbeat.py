"""The heartbeat: a small file the running bot rewrites while it is connected to Discord, and
the check that reads it (``python -m bot status``, the container's healthcheck).

The file lives in the system's temporary folder (not beside the database, so a read-only data
disk does not make a serving bot look dead), named after the database path, so that ``status``
with the same config finds the heartbeat of the bot that uses it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

#: Seconds between two heartbeats while connected.
HEARTBEAT_SECONDS = 30.0
#: A heartbeat older than this means the bot is stuck, disconnected or gone.
STALE_AFTER_SECONDS = 3 * HEARTBEAT_SECONDS


def heartbeat_path(database_path: Path) -> Path:
    digest = hashlib.sha256(str(database_path).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"newsletter-archive-bot-{digest}.heartbeat"


def write_heartbeat(path: Path, guilds: int, latency_ms: float) -> None:
    """Replace the heartbeat atomically: a reader never sees half a file."""
    data = {"at": time.time(), "pid": os.getpid(), "guilds": guilds, "latency_ms": latency_ms}
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data), encoding="utf-8")
    partial.replace(path)


@dataclass(frozen=True)
class Health:
    healthy: bool
    message: str


def check_heartbeat(path: Path, now: float | None = None) -> Health:
    """Healthy when the heartbeat is fresh; else why not and what to do."""
    now = time.time() if now is None else now
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        age = now - float(data["at"])
    except FileNotFoundError:
        return Health(
            False,
            f"not running: no heartbeat at {path} (start the bot with python -m bot; "
            "it writes one once it is connected to Discord)",
        )
    except (OSError, ValueError, KeyError, TypeError):
        return Health(False, f"unhealthy: the heartbeat {path} cannot be read; restart the bot")
    if age > STALE_AFTER_SECONDS:
        return Health(
            False,
            f"unhealthy: the last heartbeat is {age:.0f} s old (pid {data.get('pid')}): the bot "
            "is stuck, disconnected from Discord or gone; look at its log and restart it",
        )
    return Health(
        True,
        f"ok: connected to Discord, {data.get('guilds')} guilds, latency "
        f"{data.get('latency_ms', 0):.0f} ms, last heartbeat {age:.0f} s ago",
    )
