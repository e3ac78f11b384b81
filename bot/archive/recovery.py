"""The database file checked, salvaged and restored: the SQL behind ``python -m bot db
check|recover|restore`` (``db backup`` is ``bot.archive.db.backup``).

The file is only ever read here, never written: ``recover`` builds a new file with the current
schema (the same migrations as a first start), copies into it every row SQLite can still read
of the tables users create (schedules, pick history, the ledgers, feed state, the announcement
queue, meta), then puts
the damaged file aside under a new name and the new file in its place. The content tables are
left empty: the next start reads every content file again.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.archive.schema import SCHEMA_VERSION, migrate
from bot.errors import DatabaseError, SchemaError

#: Tables only users create: what ``recover`` saves, in this order.
USER_TABLES = (
    "schedules",
    "pick_history",
    "posted_slots",
    "announcements",
    "announced_issues",
    "new_issues",
    "feeds",
    "feed_entries",
    "saved",
    "meta",
)
#: Tables ``check`` counts.
COUNTED_TABLES = ("issues", "resources", "schedules", "pick_history", "posted_slots")
#: Problems ``check`` asks SQLite for at most.
MAX_PROBLEMS = 20
#: Ranges of rowids ``recover`` reads at most per table, past unreadable pages.
MAX_PROBES = 4096
#: Ranges this narrow are read one rowid at a time (a scan fails on the page after its end).
NARROW = 64
#: Files SQLite keeps beside a database in WAL mode; they belong with it when it moves.
_COMPANIONS = ("-wal", "-shm")
#: meta keys the new file's migrations write themselves.
_OWN_META = ("schema_version",)


@dataclass(frozen=True)
class DatabaseReport:
    """What ``check_database`` found."""

    path: Path
    #: ``["ok"]``, or what SQLite's check says is wrong (at most ``MAX_PROBLEMS`` lines).
    problems: list[str]
    #: ``PRAGMA user_version``, or None when it can't be read.
    schema_version: int | None
    #: Rows per table of ``COUNTED_TABLES``; None for a table that can't be read whole.
    counts: dict[str, int | None]
    quick: bool

    @property
    def newer(self) -> bool:
        return self.schema_version is not None and self.schema_version > SCHEMA_VERSION

    @property
    def healthy(self) -> bool:
        counted = all(count is not None for count in self.counts.values())
        return self.problems == ["ok"] and counted and not self.newer


@dataclass(frozen=True)
class TableSalvage:
    """One user table's rows copied into the new file."""

    table: str
    saved: int
    #: False when some of its rows could not be read (or the table itself).
    complete: bool


@dataclass(frozen=True)
class Recovery:
    """What ``recover_database`` did."""

    path: Path
    kept_as: Path
    tables: list[TableSalvage]


def _open_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)


def check_database(path: Path, *, quick: bool = False) -> DatabaseReport:
    """Run SQLite's ``integrity_check`` (or the faster ``quick_check``) on ``path`` without
    writing to it, and count the rows of each table."""
    db = _open_read_only(path)
    try:
        try:
            pragma = "quick_check" if quick else "integrity_check"
            problems = [str(row[0]) for row in db.execute(f"PRAGMA {pragma}({MAX_PROBLEMS})")]
        except sqlite3.DatabaseError as error:
            problems = [str(error)]
        if problems == ["ok"] and not quick:
            problems = _check_index(path)
        try:
            version: int | None = int(db.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.DatabaseError:
            version = None
        counts = {table: _count(db, table) for table in COUNTED_TABLES}
    finally:
        db.close()
    return DatabaseReport(path, problems, version, counts, quick)


def _check_index(path: Path) -> list[str]:
    """FTS5's own check of the full-text index against the resources (``["ok"]`` or what is
    wrong). The check is issued as a write, so it runs in a transaction rolled back after."""
    db = sqlite3.connect(path, isolation_level=None, timeout=5)
    try:
        db.execute("BEGIN")
        try:
            db.execute(
                "INSERT INTO resources_fts(resources_fts, rank) VALUES ('integrity-check', 1)"
            )
        finally:
            db.execute("ROLLBACK")
    except sqlite3.DatabaseError as error:
        if "no such table" in str(error):
            return ["ok"]  # a database from before the index: its migration builds it
        return [f"full-text index: {error} (run python -m bot db recover: the index is rebuilt)"]
    finally:
        db.close()
    return ["ok"]


def restore_database(
    backup: Path, path: Path, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
) -> Path | None:
    """Put the copy ``backup`` in place of ``path`` (the bot stopped): the copy is checked
    first (``DatabaseError`` if damaged, ``SchemaError`` if newer than this bot), the file it
    replaces (if any) is renamed aside, never deleted; where that file went, or None."""
    if not backup.is_file():
        raise DatabaseError(f"{backup}: no such file: give db restore a file db backup wrote")
    report = check_database(backup)
    if report.newer:
        raise SchemaError(
            f"{backup}: schema version {report.schema_version} is newer than this bot's "
            f"({SCHEMA_VERSION}): restore it with the bot version that made it"
        )
    if not report.healthy:
        raise DatabaseError(
            f"{backup}: not a healthy archive database ({report.problems[0]}): choose another "
            "backup; nothing was changed"
        )
    building = path.with_name(f"{path.name}.restoring")
    source = _open_read_only(backup)
    try:
        copy = sqlite3.connect(building)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=WAL")
        finally:
            copy.close()
    finally:
        source.close()
    kept_as = None
    if path.exists():
        kept_as = _aside_name(path, clock(), "replaced")
        _move_with_companions(path, kept_as)
    os.replace(building, path)
    return kept_as


def _move_with_companions(path: Path, to: Path) -> None:
    os.replace(path, to)
    for end in _COMPANIONS:
        companion = Path(f"{path}{end}")
        if companion.exists():
            os.replace(companion, Path(f"{to}{end}"))


def _count(db: sqlite3.Connection, table: str) -> int | None:
    try:
        return int(db.execute(f"SELECT count(*) FROM {table} NOT INDEXED").fetchone()[0])
    except sqlite3.DatabaseError:
        return None


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    try:
        return [str(row[1]) for row in db.execute(f"PRAGMA table_info({table})")]
    except sqlite3.DatabaseError:
        return []


def _scan(
    db: sqlite3.Connection, sql: str, params: tuple[int, ...], rows: dict[int, tuple[Any, ...]]
) -> tuple[int | None, bool]:
    """Read the rows ``sql`` selects (rowid first) into ``rows`` until SQLite fails; the last
    rowid read (None: none) and whether the scan got to the end."""
    last = None
    try:
        for rowid, *values in db.execute(sql, params):
            rows[rowid] = tuple(values)
            last = rowid
    except sqlite3.DatabaseError:
        return last, False
    return last, True


def _readable_rows(
    db: sqlite3.Connection, table: str, columns: list[str]
) -> tuple[list[tuple[Any, ...]], bool]:
    """Every row of ``table`` SQLite can still read, in rowid order, and whether that is all.

    A range is read upwards until a page fails, then downwards from its top until one fails;
    what lies between is halved and each half read the same way, down to ``NARROW`` rowids
    read one by one (``MAX_PROBES`` reads at most), so rows between two damaged pages and
    next to them are found too.
    """
    select = f"SELECT rowid, {', '.join(columns)} FROM {table} NOT INDEXED"
    upwards = f"{select} WHERE rowid > ? AND rowid < ? ORDER BY rowid"
    downwards = f"{select} WHERE rowid > ? AND rowid < ? ORDER BY rowid DESC"
    single = f"{select} WHERE rowid = ?"
    rows: dict[int, tuple[Any, ...]] = {}
    complete = True
    try:  # the first and last rowid: only the outermost pages are read
        lowest, highest = db.execute(f"SELECT min(rowid), max(rowid) FROM {table}").fetchone()
    except sqlite3.DatabaseError:
        lowest = highest = None
    ranges = [  # exclusive bounds
        (-(2**63), 2**63 - 1) if lowest is None or highest is None else (lowest - 1, highest + 1)
    ]
    probes = 0
    while ranges and probes < MAX_PROBES:
        low, high = ranges.pop()
        probes += 1
        last, whole = _scan(db, upwards, (low, high), rows)
        if whole:
            continue
        complete = False
        low = low if last is None else last
        first, _ = _scan(db, downwards, (low, high), rows)
        high = high if first is None else first
        if high - low - 1 <= NARROW:  # a scan steps past its last row: ask for each one
            for rowid in range(low + 1, high):
                _scan(db, single, (rowid,), rows)
                probes += 1
        else:  # rowids between the two failures may still be readable
            middle = (low + high) // 2
            ranges += [(low, middle + 1), (middle, high)]
    return [rows[rowid] for rowid in sorted(rows)], complete


def _aside_name(path: Path, now: dt.datetime, why: str = "damaged") -> Path:
    stamp = now.strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.{why}-{stamp}")
    number = 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}.{why}-{stamp}-{number}")
    return candidate


def _rebuilt(meta: dict[str, Any]) -> bool:
    """Whether a ``meta`` row is one the new file makes itself (its schema step) or one that
    describes content, which is read again from the files (how each newsletter was read, what
    its chrome is)."""
    key = str(meta.get("key"))
    return key in _OWN_META or key.startswith(("reading:", "chrome:"))


def _salvage_into(new: sqlite3.Connection, old: sqlite3.Connection) -> list[TableSalvage]:
    tables = []
    new.execute("BEGIN IMMEDIATE")
    for table in USER_TABLES:
        wanted = set(_columns(new, table))
        columns = [c for c in _columns(old, table) if c in wanted]
        if not columns:  # the table itself can't be read
            tables.append(TableSalvage(table, 0, False))
            continue
        rows, complete = _readable_rows(old, table, columns)
        if table == "meta":
            rows = [row for row in rows if not _rebuilt(dict(zip(columns, row, strict=True)))]
        placeholders = ", ".join("?" * len(columns))
        saved = 0
        for row in rows:  # row by row: one that breaks a constraint is left out, not all
            try:
                cursor = new.execute(
                    f"INSERT OR IGNORE INTO {table}({', '.join(columns)}) VALUES ({placeholders})",
                    row,
                )
            except sqlite3.IntegrityError:
                complete = False
                continue
            saved += cursor.rowcount
        tables.append(TableSalvage(table, saved, complete and saved == len(rows)))
    new.execute("COMMIT")
    return tables


def recover_database(
    path: Path, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
) -> Recovery:
    """Salvage ``path``'s user tables into a new file at ``path``; the old file (and its WAL
    files) are renamed aside, never deleted. ``SchemaError`` for a database newer than the
    code: that one is not damaged, and this code can't know its tables."""
    old = _open_read_only(path)
    building = path.with_name(f"{path.name}.recovering")
    try:
        try:
            version = int(old.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.DatabaseError:
            version = 0  # a header that can't be read: salvage what the tables still give
        if version > SCHEMA_VERSION:
            raise SchemaError(
                f"{path}: schema version {version} is newer than this bot's ({SCHEMA_VERSION}):"
                " upgrade the bot instead of recovering"
            )
        for stale in [building, *(Path(f"{building}{end}") for end in _COMPANIONS)]:
            stale.unlink(missing_ok=True)  # a recovery that stopped half-way: its own file
        try:
            new = sqlite3.connect(building, isolation_level=None)
            try:
                migrate(new)
                tables = _salvage_into(new, old)
                new.execute("PRAGMA journal_mode=WAL")
            finally:
                new.close()
        except (sqlite3.Error, OSError) as error:  # a full disk or a read-only folder
            building.unlink(missing_ok=True)
            raise DatabaseError(
                f"{building}: cannot write the new database ({error}): free some space or "
                f"make {path.parent} writable, then run db recover again; nothing was changed"
            ) from None
    finally:
        old.close()
    kept_as = _aside_name(path, clock())
    _move_with_companions(path, kept_as)
    os.replace(building, path)
    return Recovery(path, kept_as, tables)
