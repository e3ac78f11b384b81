"""The archive's one SQLite file: its connections, the one write path, migrations, backups.

Two connections to one file in WAL mode: queries read through one, every write goes through
the other inside ``transaction()``, which serialises writers with a lock. So a content load,
a pick, a schedule change and a ledger entry never interleave: a reader sees the content
before a load or after it, whole, and a load that fails leaves the previous content complete.
Each feature (content, search, picks, schedules, …) keeps its own SQL beside its logic and
reaches the file only through a ``Database``.
"""

from __future__ import annotations

__all__ = [
    "Clock",
    "Database",
    "DatabaseLock",
    "backup",
    "damaged",
    "is_damage",
    "release",
    "time_or_none",
    "utcnow",
    "where_newsletter",
]

import asyncio
import datetime as dt
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
from filelock import FileLock, Timeout

from bot.archive.schema import migrate
from bot.errors import DatabaseError

Clock = Callable[[], dt.datetime]
log = logging.getLogger(__name__)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def release(*collections: list[Any]) -> None:
    """Empty large lists one item at a time: freeing a few hundred thousand objects in one call
    holds the GIL (and so the event loop) for a tenth of a second or more. Call it in a worker
    thread, where the interpreter can hand the GIL to the loop between two items."""
    for items in collections:
        while items:
            items.pop()


def time_or_none(value: str | None) -> dt.datetime | None:
    """A stored ISO time, or None."""
    return dt.datetime.fromisoformat(value) if value else None


def where_newsletter(
    newsletter: str | None, column: str = "r.newsletter"
) -> tuple[str, tuple[str, ...]]:
    """A condition on ``column`` for one newsletter, or none (always true) for every one."""
    return (f"{column} = ?", (newsletter,)) if newsletter is not None else ("1", ())


#: SQLite's result codes for a file that is damaged (SQLITE_CORRUPT) or no database (SQLITE_NOTADB).
_DAMAGED_CODES = (11, 26)


def is_damage(error: sqlite3.Error) -> bool:
    """Whether SQLite raised ``error`` because the file is damaged (not busy, not read-only)."""
    return getattr(error, "sqlite_errorcode", 0) & 0xFF in _DAMAGED_CODES


def damaged(path: Path, error: sqlite3.Error) -> DatabaseError:
    """The error for a database SQLite can't read, saying how to get the user state back."""
    return DatabaseError(
        f"{path}: not a usable SQLite database ({error}): run python -m bot db recover "
        "(it saves the schedules and pick history it can read into a new file and keeps "
        "this one aside; content is rebuilt from the files)"
    )


#: SQLite's result code for a full disk (SQLITE_FULL).
_FULL_CODE = 13


def _refused_write(path: Path, error: sqlite3.Error) -> DatabaseError:
    if getattr(error, "sqlite_errorcode", 0) & 0xFF == _FULL_CODE:
        return DatabaseError(
            f"{path}: the disk is full: free some space on {path.parent}; nothing of the write "
            "was kept, and the bot serves what it had"
        )
    return DatabaseError(
        f"{path}: the database refused a write ({error}); nothing of it was "
        "kept. Check that the disk has space and the file is writable, then try again"
    )


class DatabaseLock:
    """Held by the running bot for as long as it runs (a lock file beside the database, which
    the system releases when the process ends, however it ends): ``db recover`` and
    ``db restore`` refuse while it is held, whatever the heartbeat says."""

    def __init__(self, path: Path) -> None:
        self._lock = FileLock(str(path.with_name(f"{path.name}.lock")))
        self.path = path

    def acquire(self) -> None:
        """Take the lock; ``DatabaseError`` when another process holds it."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock.acquire(blocking=False)
        except Timeout:
            raise DatabaseError(
                f"{self.path}: another bot process is using this database: stop it first "
                "(two bots on one database would post everything twice)"
            ) from None
        except OSError as error:
            raise DatabaseError(
                f"{self.path}: cannot create its lock file ({error.strerror}): make "
                f"{self.path.parent} writable"
            ) from None

    def release(self) -> None:
        self._lock.release()

    def held_elsewhere(self) -> bool:
        """Whether a running bot holds the lock (it is taken and let go at once if not)."""
        try:
            self._lock.acquire(blocking=False)
        except Timeout:
            return True
        except OSError:
            return False
        self._lock.release()
        return False


def backup(path: Path, target: Path) -> None:
    """A consistent copy of the database at ``path`` in ``target`` (a new file), through
    SQLite's online backup: safe while the bot writes (the write-ahead log is included); the
    copy is written beside ``target`` and renamed into place only once whole."""
    partial = target.with_name(f".{target.name}.part")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    os.replace(partial, target)


def _open_and_migrate(path: Path) -> None:
    """Create the folder and file if needed, check the file is SQLite, apply migrations."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseError(
            f"{path}: cannot create its folder ({error.strerror}): set database.path to a "
            "writable place"
        ) from None
    if path.is_dir():
        raise DatabaseError(f"{path}: is a folder: set database.path to a file name")
    try:
        db = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error as error:
        raise DatabaseError(
            f"{path}: cannot open the database ({error}): check database.path and its permissions"
        ) from None
    try:
        db.execute("PRAGMA journal_mode=WAL")
        migrate(db)
    except sqlite3.DatabaseError as error:
        raise damaged(path, error) from None
    finally:
        db.close()


class Database:
    """The archive's SQLite file; open with ``Database.open``, close with ``close``."""

    def __init__(
        self,
        path: Path,
        reader: aiosqlite.Connection,
        writer: aiosqlite.Connection,
        clock: Clock,
    ) -> None:
        self.path = path
        self._reader = reader
        self._writer = writer
        self._write_lock = asyncio.Lock()
        self._checkpoint: asyncio.Task[None] | None = None
        self._closing = False
        self.clock = clock
        #: The file as it was opened (device, inode): a write checks it is still there.
        self._identity = _identity(path)

    @classmethod
    async def open(cls, path: Path, clock: Clock = utcnow) -> Database:
        """Open (creating or upgrading) the database; raise ``DatabaseError`` naming the fix.

        Nothing is left open when it fails.
        """
        await asyncio.to_thread(_open_and_migrate, path)
        opened: list[aiosqlite.Connection] = []
        try:
            for _ in range(2):
                connection = await aiosqlite.connect(path)
                opened.append(connection)
                await connection.execute("PRAGMA busy_timeout=5000")
            await opened[1].execute("PRAGMA synchronous=NORMAL")
        except BaseException as error:
            for connection in opened:
                await connection.close()
            if isinstance(error, sqlite3.Error):
                raise DatabaseError(f"{path}: cannot open the database ({error})") from None
            raise
        return cls(path, opened[0], opened[1], clock)

    async def close(self) -> None:
        self._closing = True
        if self._checkpoint is not None:
            # A log copy under way finishes first (the connection runs its statements in
            # order); one not started is left to SQLite, which copies the log on closing.
            self._checkpoint.cancel()
            await asyncio.gather(self._checkpoint, return_exceptions=True)
        await self._reader.close()
        await self._writer.close()

    @asynccontextmanager
    async def transaction(
        self, checkpoint_later: bool = False
    ) -> AsyncIterator[aiosqlite.Connection]:
        """The one way to write: writers take turns, and each one commits whole or not at all.

        SQLite's own failures (disk full, I/O error, a lock held too long) become
        ``DatabaseError`` naming the file; nothing of the write is kept.

        ``checkpoint_later`` (content writes): the commit returns without copying the
        write-ahead log into the database file, even when it is long; the copy follows in the
        background. A first load's log is as large as the archive: copying it is 0.07 s at
        66k resources, which would otherwise come before the load's search cache refresh
        instead of beside it.
        """
        async with self._write_lock:
            self._check_still_there()
            try:
                pages = await self._autocheckpoint_pages() if checkpoint_later else None
                try:
                    if pages is not None:
                        await self._writer.execute_fetchall("PRAGMA wal_autocheckpoint = 0")
                    await self._writer.execute("BEGIN IMMEDIATE")
                    yield self._writer
                    await self._writer.commit()
                except BaseException:
                    # Cancelled while BEGIN was still queued too: the connection runs its
                    # statements in order, so this comes after it.
                    await self._writer.rollback()
                    raise
                finally:
                    if pages is not None:
                        await self._writer.execute_fetchall(f"PRAGMA wal_autocheckpoint = {pages}")
            except sqlite3.Error as error:
                if isinstance(error, sqlite3.DatabaseError) and is_damage(error):
                    raise damaged(self.path, error) from error
                raise _refused_write(self.path, error) from error
        idle = self._checkpoint is None or self._checkpoint.done()
        if checkpoint_later and idle and not self._closing:
            self._checkpoint = asyncio.get_running_loop().create_task(self._checkpoint_log())

    def _check_still_there(self) -> None:
        """Refuse to write when the file was deleted or replaced since it was opened: the
        connection would go on writing into the old file, which nobody will ever read."""
        if _identity(self.path) != self._identity:
            raise DatabaseError(
                f"{self.path}: the database file was deleted or replaced while the bot ran; "
                "nothing more is written to it. Restore it (python -m bot db restore BACKUP) "
                "or restart the bot to start a new one"
            )

    async def backup(self, target: Path) -> None:
        """``backup`` of this database into ``target``, off the event loop."""
        await asyncio.to_thread(backup, self.path, target)

    async def _autocheckpoint_pages(self) -> int:
        """The log's length (in pages) at which the writer's commits copy it."""
        rows = await self._writer.execute_fetchall("PRAGMA wal_autocheckpoint")
        return int(next(iter(rows))[0])

    async def _checkpoint_log(self) -> None:
        """Copy the write-ahead log into the database file; readers go on meanwhile."""
        try:
            async with self._write_lock:
                # Fetched on the connection's thread: no statement is left open, even when
                # this task is cancelled while it runs.
                await self._writer.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as error:  # the log stays whole; SQLite's next checkpoint retries
            log.warning("%s: copying the write-ahead log failed (%s)", self.path, error)

    async def rows(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        # Executed and fetched in one step on the connection's thread: a statement left open
        # between the two, while another task's query runs, would hold one read snapshot
        # across both, and a query could miss a write committed before it started.
        try:
            return list(await self._reader.execute_fetchall(sql, tuple(params)))
        except sqlite3.DatabaseError as error:
            if is_damage(error):
                raise damaged(self.path, error) from error
            raise

    async def value(self, sql: str, params: Iterable[Any] = ()) -> Any:
        rows = await self.rows(sql, params)
        return rows[0][0] if rows else None


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino
