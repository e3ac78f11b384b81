"""A content folder → the changes one reload makes to the store.

Only files whose size, mtime or bytes changed are read and parsed; many of them are parsed on
every core. Each file loads or fails on its own: a file that fails keeps its previous version
in the archive (if it had one) and is named with the reason; a file that is gone takes its issue
with it. Dates inferred from the numbering are worked out again over every issue, because a
new or changed issue can move them.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import multiprocessing
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.archive.store import ContentChanges, FileState, StoredIssue
from bot.content.issue_meta import infer_dates
from bot.content.loader import ContentSource, content_files
from bot.content.models import Issue, Problem
from bot.content.parse import ParseError, parse_file
from bot.errors import ContentError

#: From this many changed files on, parsing runs in worker processes (one per core).
PROCESS_THRESHOLD = 24
_CHUNK = 4


@dataclass
class Scan:
    """The content folder compared with what the store last read."""

    changed: list[tuple[Path, FileState]] = field(default_factory=list)
    touched: list[FileState] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def scan_folder(folder: Path, known: dict[str, FileState]) -> Scan:
    """Stat every content file; read and hash only those whose size or mtime moved."""
    if not folder.is_dir():
        raise ContentError(
            [
                Problem(
                    str(folder),
                    None,
                    "content folder not found (check content.folder in the config)",
                )
            ]
        )
    scan = Scan()
    names = set()
    for path in content_files(folder):
        names.add(path.name)
        stat = path.stat()
        before = known.get(path.name)
        if before and (before.size, before.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            continue
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            digest = ""  # parse_file names the reason
        state = FileState(path.name, stat.st_size, stat.st_mtime_ns, digest)
        if before and before.sha256 == digest:
            scan.touched.append(state)
        else:
            scan.changed.append((path, state))
    scan.removed = sorted(set(known) - names)
    return scan


@dataclass(frozen=True)
class ParsedFile:
    """One file read: its issue, or the problem that stops it; warnings either way."""

    state: FileState
    issue: Issue | None
    problems: tuple[Problem, ...]


def parse_one(path: Path, state: FileState, source: ContentSource) -> ParsedFile:
    """Parse one file, never raising for what is wrong with it."""
    try:
        issue, warnings = parse_file(path, source.rules, source.newsletter_name)
    except ParseError as error:
        return ParsedFile(state, None, (error.problem,))
    return ParsedFile(state, issue, tuple(warnings))


def _parse_chunk(items: list[tuple[Path, FileState]], source: ContentSource) -> list[ParsedFile]:
    return [parse_one(path, state, source) for path, state in items]


def parse_files(items: list[tuple[Path, FileState]], source: ContentSource) -> list[ParsedFile]:
    """Parse ``items``; in one worker process per core when there are many."""
    workers = min(os.cpu_count() or 1, 4)
    if len(items) < PROCESS_THRESHOLD or workers < 2:
        return _parse_chunk(items, source)
    # Small chunks: unpickling a result holds the event loop's thread, so keep each short.
    chunks = [items[start : start + _CHUNK] for start in range(0, len(items), _CHUNK)]
    context = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
    try:
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
            results = pool.map(_parse_chunk, chunks, [source] * len(chunks))
            parsed = [item for chunk in results for item in chunk]
    except concurrent.futures.process.BrokenProcessPool:
        # Workers can't start where the main module can't be imported again (a script read
        # from stdin, an embedding without a ``__main__`` guard): parse here instead.
        return _parse_chunk(items, source)
    parsed.sort(key=lambda item: item.state.name)
    return parsed


@dataclass
class Plan:
    """What ``plan_changes`` decided: the store's changes and what to tell the user."""

    changes: ContentChanges
    #: Per issue read again: the year and month its file stated, before inference.
    stated: dict[int, tuple[int | None, int | None]]
    problems: list[Problem]
    #: Files that failed now and whose previous version stays served.
    kept: list[str]


def plan_changes(
    scan: Scan, parsed: list[ParsedFile], stored: list[StoredIssue], source: ContentSource
) -> Plan:
    """Decide what a reload writes: new issues, issues kept, duplicates refused, dates."""
    by_source = {issue.source: issue for issue in stored}
    going = set(scan.removed) | {item.state.name for item in parsed if item.issue is not None}
    taken = {issue.number: issue.source for issue in stored if issue.source not in going}
    problems: list[Problem] = []
    kept: list[str] = []
    fresh: list[ParsedFile] = []
    for item in parsed:
        problems.extend(item.problems)
        issue = item.issue
        if issue is None:
            if item.state.name in by_source:
                kept.append(item.state.name)
            continue
        other = taken.get(issue.number)
        if other is not None:
            problems.append(
                Problem(
                    item.state.name,
                    None,
                    f"issue number {issue.number} is also in {other}, which is kept "
                    "(give one of them its own number with front matter: "
                    "'---' / 'number: N' / '---')",
                )
            )
            if item.state.name in by_source:
                kept.append(item.state.name)
            continue
        taken[issue.number] = item.state.name
        fresh.append(item)
    stated = {
        item.issue.number: (item.issue.year, item.issue.month)
        for item in fresh
        if item.issue is not None
    }
    changes = ContentChanges(
        upserts=[(item.state, item.issue) for item in fresh if item.issue is not None],
        touched=scan.touched,
        removed=scan.removed,
    )
    staying = [issue for issue in stored if issue.source not in going or issue.source in kept]
    changes.redated = _date_issues([issue for _, issue in changes.upserts], staying, source)
    return Plan(changes, stated, problems, kept)


def _date_issues(
    fresh: Iterable[Issue], staying: list[StoredIssue], source: ContentSource
) -> list[tuple[int, int | None, int | None, bool]]:
    """Infer dates over every issue: fill in the fresh issues; return the stored issues whose
    inferred date moved, as (number, year, month, inferred)."""
    fresh = list(fresh)
    stand_ins = {
        issue.number: Issue(issue.number, "", issue.source, issue.stated_year, issue.stated_month)
        for issue in staying
    }
    infer_dates([*fresh, *stand_ins.values()], source.cadence_months, source.date_anchor)
    moved = []
    for issue in staying:
        now = stand_ins[issue.number]
        if (now.year, now.month, now.date_inferred) != (
            issue.year,
            issue.month,
            issue.date_inferred,
        ):
            moved.append((issue.number, now.year, now.month, now.date_inferred))
    return moved


def load_folder_issues(source: ContentSource) -> tuple[list[Issue], list[Problem]]:
    """Every issue of a folder read from scratch, as a reload would store it (for ``check``)."""
    scan = scan_folder(source.folder, {})
    plan = plan_changes(scan, parse_files(scan.changed, source), [], source)
    issues = sorted((issue for _, issue in plan.changes.upserts), key=lambda i: i.number)
    return issues, plan.problems
