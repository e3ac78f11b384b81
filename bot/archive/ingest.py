"""A content folder → the changes one reload makes to the store.

Only files whose size, mtime or bytes changed are read and parsed; many of them are parsed on
every core, and each run of files is handed on as soon as it is parsed (a first load writes it
while the next is parsed). Each file loads or fails on its own: a file that fails keeps its
previous version in the archive (if it had one) and is named with the reason; a file that is
gone takes its issue with it. Dates inferred from the numbering are worked out again over every
issue, because a new or changed issue can move them.
"""

from __future__ import annotations

__all__ = ["OnParsed", "Plan", "Scan", "parse_files", "plan_changes", "scan_folder"]

import gc
import hashlib
import json
import multiprocessing
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.archive import rows
from bot.archive.rows import FileState, IssueContent, ParsedFile, issue_content
from bot.archive.store import ContentChanges, StoredIssue
from bot.content.folder import settle
from bot.content.loader import ContentSource, content_files, missing_folder
from bot.content.models import Issue, NumberCandidate, Problem, Resource
from bot.errors import ContentError

#: From this many changed files on, parsing runs in worker processes (one per core).
PROCESS_THRESHOLD = 24
#: Files per task sent to a worker. One file per task means a thousand messages a second, and
#: the pool's threads, each letting go of the GIL and taking it back for every message, keep the
#: event loop's thread from getting it for tens of milliseconds at a time (the GIL convoy).
FILES_PER_TASK = 8
#: A file whose parse takes longer is skipped (worker processes only; the parser is
#: near-linear, so only a parser bug comes near it).
FILE_BUDGET_SECONDS = 30.0
#: How long worker processes may take to start before parsing falls back to this process.
WORKER_START_SECONDS = 30.0
#: How much lower the parsing workers' CPU priority is than the bot's.
WORKER_NICENESS = 10


@dataclass
class Scan:
    """The content folder compared with what the store last read."""

    changed: list[tuple[Path, FileState]] = field(default_factory=list)
    touched: list[FileState] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def scan_folder(folder: Path, known: dict[str, FileState]) -> Scan:
    """Stat every content file; read and hash only those whose size or mtime moved."""
    if not folder.is_dir():
        raise ContentError([missing_folder(folder)])
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


#: Called with each run of files parsed, in order, as soon as they are.
OnParsed = Callable[[list[ParsedFile]], None]


def _parse_in_workers(
    items: list[tuple[Path, FileState]], source: ContentSource, workers: int, on_parsed: OnParsed
) -> list[ParsedFile] | None:
    """Parse ``items`` in worker processes, skipping any file that takes longer than
    ``FILE_BUDGET_SECONDS``; None when workers can't start here."""
    parsed: list[ParsedFile] = []
    while len(parsed) < len(items):
        done = _parse_until_too_slow(
            items[len(parsed) :], source, workers, FILES_PER_TASK, on_parsed
        )
        if done is None:
            return None
        parsed += done
        # A task ran out of time: its files again one at a time, to find the slow one(s).
        window = items[len(parsed) : len(parsed) + FILES_PER_TASK]
        while window:
            done = (
                []
                if len(window) == 1
                else _parse_until_too_slow(window, source, workers, 1, on_parsed)
            )
            if done is None:
                return None
            parsed += done
            window = window[len(done) :]
            if window:  # this file ran out of time: skip it, go on
                path, state = window.pop(0)
                parsed.append(ParsedFile(state, None, (Problem(path.name, None, _too_slow()),)))
                on_parsed(parsed[-1:])
    return parsed


def _parse_until_too_slow(
    items: list[tuple[Path, FileState]],
    source: ContentSource,
    workers: int,
    per_task: int,
    on_parsed: OnParsed,
) -> list[ParsedFile] | None:
    """Results in order, up to the first task that runs out of time (its worker is killed
    with the pool); None when workers can't start here. A task of several files has one
    file's budget too: a task takes some tens of milliseconds, a file near the budget is a bug."""
    context = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
    if os.name == "posix":
        # The fork server imports the parser once; every later pool's workers start with it
        # (0.25 s saved on each large reload after the first).
        context.set_forkserver_preload([rows.__name__])
    with context.Pool(workers, _start_worker) as pool:  # leaving the block kills them
        try:
            # Workers can't start where the main module can't be imported again (a script read
            # from stdin, an embedding without a ``__main__`` guard): then parse here instead.
            pool.apply_async(os.getpid).get(timeout=WORKER_START_SECONDS)
        except multiprocessing.TimeoutError:
            return None
        tasks = [items[start : start + per_task] for start in range(0, len(items), per_task)]
        results = pool.imap(rows.parse_task, [(task, source) for task in tasks])
        parsed: list[ParsedFile] = []
        for _ in tasks:
            try:
                done = results.next(timeout=FILE_BUDGET_SECONDS)
            except multiprocessing.TimeoutError:
                break
            parsed += done
            on_parsed(done)
    return parsed


def _start_worker() -> None:
    """Run at a lower priority, so that the bot's own process (its event loop) gets a core
    whenever it needs one while workers parse; and leave what the worker starts with (the
    parser's modules, which the fork server has imported) out of the garbage collector's
    passes (4 % of a worker's time)."""
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)
    gc.freeze()


def _too_slow() -> str:
    return (
        f"took longer than {FILE_BUDGET_SECONDS} s to parse and was skipped: split the file, "
        "or report it as a parser bug"
    )


def parse_files(
    items: list[tuple[Path, FileState]],
    source: ContentSource,
    on_parsed: OnParsed | None = None,
) -> list[ParsedFile]:
    """Parse ``items``: in one worker process per core when there are many (each file within
    a time budget), else here; ``on_parsed`` hears of each run of them as it is parsed."""
    tell = on_parsed or (lambda parsed: None)
    workers = min(os.cpu_count() or 1, 4)
    if len(items) >= PROCESS_THRESHOLD and workers >= 2:
        parsed = _parse_in_workers(items, source, workers, tell)
        if parsed is not None:
            return parsed
    parsed = rows.parse_chunk(items, source)
    tell(parsed)
    return parsed


@dataclass
class Plan:
    """What ``plan_changes`` decided: the store's changes and what to tell the user."""

    changes: ContentChanges
    problems: list[Problem]
    #: Files that failed now and whose previous version stays served.
    kept: list[str]


def _stand_in(stored: StoredIssue) -> Issue:
    """A stored issue as the content layer sees it, for duplicate and date rules."""
    return Issue(
        stored.number,
        "",
        stored.source,
        stored.year,
        stored.month,
        number_source=stored.number_source,
        stated=(stored.stated_year, stored.stated_month),
        number_candidates=(NumberCandidate(stored.number, stored.number_source, "the archive"),),
    )


def _read_back(content: IssueContent) -> Issue:
    """A parsed issue with its resources taken back from their rows, for the folder pass."""
    issue = content.issue
    issue.resources = [
        Resource(row[4], row[5], tuple(json.loads(row[6])), row[7]) for row in content.resources
    ]
    return issue


def _settled(
    content: IssueContent, issue: Issue, number: int, source: ContentSource
) -> IssueContent:
    """``content`` after the folder pass: its rows made again if the pass renumbered the
    issue or dropped resources from it."""
    if issue.number == number and len(issue.resources) == len(content.resources):
        issue.resources = []
        return content
    settled = issue_content(source.newsletter, content.state, issue)
    issue.resources = []
    return settled


def plan_changes(
    scan: Scan, parsed: list[ParsedFile], stored: list[StoredIssue], source: ContentSource
) -> Plan:
    """Decide what a reload writes: new issues, issues kept, duplicates refused, dates."""
    by_source = {issue.source: issue for issue in stored}
    problems = [problem for item in parsed for problem in item.problems]
    kept = [
        item.state.name for item in parsed if item.content is None and item.state.name in by_source
    ]
    fresh = {item.content.issue.source: item.content for item in parsed if item.content}
    staying = {
        issue.source: _stand_in(issue)
        for issue in stored
        if issue.source not in fresh and issue.source not in scan.removed
    }
    parsed_numbers = {name: content.issue.number for name, content in fresh.items()}
    settled = settle(
        [*(_read_back(content) for content in fresh.values()), *staying.values()],
        cadence=source.cadence,
        anchor=source.date_anchor,
        served=staying.keys(),
    )
    problems += settled.problems
    won = {issue.source: issue for issue in settled.issues}
    # A fresh file that loses its number to a served one keeps its previous version, if any.
    displaced = [name for name in staying if name not in won]
    kept += [name for name in fresh if name not in won and name in by_source]
    upserts = [
        _settled(content, won[name], parsed_numbers[name], source)
        for name, content in fresh.items()
        if name in won
    ]
    moved = _redated(settled.issues, {name: by_source[name] for name in staying if name in won})
    changes = ContentChanges(
        upserts=upserts, touched=scan.touched, removed=scan.removed + displaced, redated=moved
    )
    return Plan(changes, problems, kept)


def _redated(
    winners: list[Issue], staying: dict[str, StoredIssue]
) -> list[tuple[int, int | None, int | None, bool]]:
    """The stored issues whose date the folder pass moved, as (number, year, month,
    inferred)."""
    moved = []
    for issue in winners:
        before = staying.get(issue.source)
        now = (issue.year, issue.month, issue.date_inferred)
        if before is not None and now != (before.year, before.month, before.date_inferred):
            moved.append((issue.number, *now))
    return moved
