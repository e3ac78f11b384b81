"""The one loading path: a content folder → the changes one reload makes to the archive.

Scan (size and mtime against the stored file states), parse what changed (in worker
processes when there are many files), plan (one issue per number, dates settled over the
whole folder), write (one transaction per newsletter). The start-up load, ``/reload``,
``check`` (a dry run: nothing written), the import preview, feeds and the benchmark all go
through ``Loader``.


Only files whose size, mtime or bytes changed are read and parsed; many of them are parsed on
every core, and each run of files is handed on as soon as it is parsed (a first load writes it
while the next is parsed). Each file loads or fails on its own: a file that fails keeps its
previous version in the archive (if it had one) and is named with the reason; a file that is
gone takes its issue with it. Dates inferred from the numbering are worked out again over every
issue, because a new or changed issue can move them.
"""

from __future__ import annotations

__all__ = [
    "LoadResult",
    "Loader",
    "OnParsed",
    "Plan",
    "Scan",
    "dry_run",
    "parse_files",
    "plan_changes",
    "scan_folder",
]

import asyncio
import contextlib
import functools
import gc
import hashlib
import json
import multiprocessing
import os
import pickle
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import bot.content as content_package
from bot.archive import rows
from bot.archive.content import ContentChanges, ContentStore, ContentWrite, StoredIssue
from bot.archive.db import release
from bot.archive.records import LoadReport, LoadSummary
from bot.archive.rows import FileState, IssueContent, ParsedFile, issue_content
from bot.content.folder import ChromeKey, settle
from bot.content.loader import content_files, parse_one, passed_over
from bot.content.models import DEFAULT_NEWSLETTER_ID, Issue, NumberCandidate, Problem, Resource
from bot.errors import ContentError

if TYPE_CHECKING:
    from bot.config import Newsletter

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
    #: Entries named like issue files that are not read (links, FIFOs…).
    problems: list[Problem] = field(default_factory=list)
    #: How the files are read now (``reading_print``).
    reading: str | None = None
    #: What the last whole read of the folder found to be chrome (``ContentStore.chrome``).
    known_chrome: frozenset[ChromeKey] = frozenset()


#: The parser's own source: a change to it (an upgrade of the bot) changes how files read.
_PARSER_SOURCES = (Path(content_package.__file__).parent, Path(rows.__file__))


@functools.cache
def _parser_print() -> str:
    digest = hashlib.sha256()
    for place in _PARSER_SOURCES:
        for source in sorted(place.rglob("*.py")) if place.is_dir() else [place]:
            digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def reading_print(newsletter: Newsletter) -> str:
    """A digest of how ``newsletter``'s files are read: the parser's code and the
    newsletter's own rules, name and calendar. Stored with its content: when it differs at a reload,
    every file is read again, so a new rule or a better parser reaches what is served."""
    digest = hashlib.sha256(_parser_print().encode())
    digest.update(newsletter.name.encode())
    digest.update(pickle.dumps(newsletter.rules, protocol=4))  # compiled patterns: their text
    digest.update(repr((newsletter.cadence, newsletter.date_anchor)).encode())
    return digest.hexdigest()


def missing_folder(newsletter: Newsletter) -> Problem:
    """The problem of a content folder that is not there, naming the key to fix."""
    if newsletter.id == DEFAULT_NEWSLETTER_ID:
        message = "content folder not found (check content.folder in the config)"
    else:
        message = (
            f"content folder of newsletter {newsletter.id} not found "
            f"(check newsletters[{newsletter.id}].folder in the config)"
        )
    return Problem(str(newsletter.folder), None, message)


def scan_folder(newsletter: Newsletter, known: dict[str, FileState]) -> Scan:
    """Stat every content file; read and hash only those whose size or mtime moved."""
    folder = newsletter.folder
    if not folder.is_dir():
        raise ContentError([missing_folder(newsletter)])
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
    scan.problems = passed_over(folder)
    return scan


#: Called with each run of files parsed, in order, as soon as they are.
OnParsed = Callable[[list[ParsedFile]], None]


def _parse_in_workers(
    items: list[tuple[Path, FileState]], reading: rows.Reading, workers: int, on_parsed: OnParsed
) -> list[ParsedFile] | None:
    """Parse ``items`` in worker processes, skipping any file that takes longer than
    ``FILE_BUDGET_SECONDS``; None when workers can't start here."""
    parsed: list[ParsedFile] = []
    while len(parsed) < len(items):
        done = _parse_until_too_slow(
            items[len(parsed) :], reading, workers, FILES_PER_TASK, on_parsed
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
                else _parse_until_too_slow(window, reading, workers, 1, on_parsed)
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
    reading: rows.Reading,
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
        results = pool.imap(rows.parse_task, [(task, reading) for task in tasks])
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
    newsletter: Newsletter,
    on_parsed: OnParsed | None = None,
) -> list[ParsedFile]:
    """Parse ``items``: in one worker process per core when there are many (each file within
    a time budget), else here; ``on_parsed`` hears of each run of them as it is parsed."""
    tell = on_parsed or (lambda parsed: None)
    reading = (newsletter.id, newsletter.rules, newsletter.name)
    workers = min(os.cpu_count() or 1, 4)
    if len(items) >= PROCESS_THRESHOLD and workers >= 2:
        parsed = _parse_in_workers(items, reading, workers, tell)
        if parsed is not None:
            return parsed
    parsed = rows.parse_chunk(items, reading)
    tell(parsed)
    return parsed


@dataclass
class Plan:
    """What ``plan_changes`` decided: the store's changes and what to tell the user."""

    changes: ContentChanges
    problems: list[Problem]
    #: Files that failed now and whose previous version stays served.
    kept: list[str]
    #: Resources the folder pass dropped as chrome (recurring across most issues).
    chrome: int = 0


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
    """A parsed issue with its resources taken back from their rows, for the folder pass
    (which settles the issue in place)."""
    issue = content.issue
    issue.resources = [
        Resource(row[4], row[5] or "", tuple(json.loads(row[6])), row[7])
        for row in content.resources
    ]
    return issue


def _settled(
    content: IssueContent, issue: Issue, number: int, newsletter: Newsletter
) -> IssueContent:
    """``content`` after the folder pass: its rows made again if the pass renumbered the
    issue or dropped resources from it."""
    if issue.number == number and len(issue.resources) == len(content.resources):
        issue.resources = []
        return content
    full = issue
    if any(row[5] is None for row in content.resources):  # written early, its texts let go
        full = _with_texts(issue, newsletter.folder / content.state.name, newsletter)
    settled = issue_content(newsletter.id, content.state, full)
    issue.resources = []
    return settled


def _with_texts(issue: Issue, path: Path, newsletter: Newsletter) -> Issue:
    """``issue`` with its resources' texts read from its file again."""
    again, _ = parse_one(path, newsletter.rules, newsletter.name)
    texts = {(r.title, r.links): r.text for r in (again.resources if again else [])}
    return replace(
        issue,
        resources=[replace(r, text=texts.get((r.title, r.links), r.text)) for r in issue.resources],
    )


def plan_changes(
    scan: Scan, parsed: list[ParsedFile], stored: list[StoredIssue], newsletter: Newsletter
) -> Plan:
    """Decide what a reload writes: new issues, issues kept, duplicates refused, dates."""
    by_source = {issue.source: issue for issue in stored}
    problems = [*scan.problems, *(problem for item in parsed for problem in item.problems)]
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
        cadence=newsletter.cadence,
        anchor=newsletter.date_anchor,
        served=staying.keys(),
        # Read whole, the folder says what its chrome is; read in part, the last whole read.
        known_chrome=scan.known_chrome if staying else (),
    )
    problems += settled.problems
    won = {issue.source: issue for issue in settled.issues}
    # A fresh file that loses its number to a served one keeps its previous version, if any.
    displaced = [name for name in staying if name not in won]
    kept += [name for name in fresh if name not in won and name in by_source]
    upserts = [
        _settled(content, won[name], parsed_numbers[name], newsletter)
        for name, content in fresh.items()
        if name in won
    ]
    moved = _redated(settled.issues, {name: by_source[name] for name in staying if name in won})
    changes = ContentChanges(
        upserts=upserts,
        touched=scan.touched,
        removed=scan.removed + displaced,
        redated=moved,
        reading=scan.reading,
        chrome=None if staying else settled.chrome_keys,
    )
    return Plan(changes, problems, kept, settled.chrome)


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


@dataclass
class LoadResult:
    """What a dry run read: the issues a load would serve (resources and dates settled, one
    per number, by number) and every problem it would report."""

    issues: list[Issue]
    problems: list[Problem]
    #: Resources dropped as chrome (recurring across most issues).
    chrome: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.fatal]


def dry_run(newsletter: Newsletter) -> LoadResult:
    """Read ``newsletter``'s folder as its first load would, writing nothing: ``check``,
    the evaluation and the benchmark read content this way. ``ContentError`` when the folder
    is missing."""
    scan = scan_folder(newsletter, {})
    parsed = parse_files(scan.changed, newsletter)
    plan = plan_changes(scan, parsed, [], newsletter)
    issues = sorted((rows.as_issue(content) for content in plan.changes.upserts), key=_number)
    problems = plan.problems
    if not issues and not problems:
        problems.append(
            Problem(
                str(newsletter.folder),
                None,
                "no issue files (.txt, .md, .html) in the content folder",
            )
        )
    return LoadResult(issues, problems, plan.chrome)


def _number(issue: Issue) -> int:
    return issue.number


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the length of a load.

    A load allocates a few hundred thousand objects (parsed issues, rows); the collections they
    trigger each walk every live object while holding the GIL, and so stall the event loop for
    50–100 ms at 60,000 resources (measured by the benchmark). Nothing a load allocates needs
    the cycle collector meanwhile: reference counting frees it when the load ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if not gc.get_freeze_count():
            # The process's first load: what is alive now (every module, the archive's
            # caches) is left out of later collections. A full one walked it all while holding
            # the GIL, 20-40 ms, and came as soon as the collector was back on.
            gc.freeze()
        if was_enabled:
            gc.enable()


#: Called after a load that changed something, with its report.
Listener = Callable[[LoadReport], Awaitable[None]]


class Loader:
    """Loads every newsletter's content folder into the archive; one load at a time."""

    def __init__(self, content: ContentStore, newsletters: Sequence[Newsletter]) -> None:
        self._content = content
        self._newsletters = list(newsletters)
        #: Held by a load, and by whatever must not interleave with one (an import's save).
        self.lock = asyncio.Lock()
        self._listeners: list[Listener] = []
        #: Problems found by the last load (files skipped or kept at their previous version).
        self.problems: list[Problem] = []

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` after each load that changed something (the search cache's
        refresh, the announcer's wake-up); the function returned stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def reload(self) -> LoadReport:
        """Bring every newsletter up to date with its content folder, reading only what
        changed; a summary per newsletter.

        Every file that parses is served; one that fails keeps its previous version (named
        in ``LoadSummary.kept``) and every problem is in ``LoadSummary.problems``. A missing
        folder raises ``ContentError`` and changes nothing, in any newsletter. The content of
        a newsletter no longer served leaves the archive.
        """
        async with self.lock:
            return await self.load_now()

    async def load_now(self) -> LoadReport:
        """``reload``, for a caller that holds ``lock`` already."""
        with _collector_paused():
            return await self._reload()

    async def _reload(self) -> LoadReport:
        scans = []
        for newsletter in self._newsletters:
            known = await self._content.file_states(newsletter.id)
            reading = reading_print(newsletter)
            if known and await self._content.reading(newsletter.id) != reading:
                # The parser or this newsletter's rules changed since its files were read:
                # every file is read again (the old content is served until that is done).
                known = {}
            scan = await asyncio.to_thread(scan_folder, newsletter, known)
            scan.reading = reading
            scan.known_chrome = await self._content.chrome(newsletter.id)
            scans.append(scan)
        gone = await self._content.forget_newsletters([n.id for n in self._newsletters])
        summaries = [
            await self._load(newsletter, scan)
            for newsletter, scan in zip(self._newsletters, scans, strict=True)
        ]
        report = LoadReport(tuple(summaries))
        if gone or not report.unchanged:
            for listener in self._listeners:
                await listener(report)
        self.problems = list(report.problems)
        return report

    async def _load(self, newsletter: Newsletter, scan: Scan) -> LoadSummary:
        """Apply what one newsletter's scan found."""
        stored = await self._content.stored_issues(newsletter.id)
        if stored and not scan.changed and not scan.removed:
            # Nothing to read: the folder pass over every stored issue would only confirm them.
            changes = ContentChanges(touched=scan.touched, reading=scan.reading)
            summary = await self._content.apply(newsletter.id, changes)
            return replace(summary, problems=tuple(scan.problems))
        if stored or not scan.changed:
            parsed = await asyncio.to_thread(parse_files, scan.changed, newsletter)
            plan = await asyncio.to_thread(plan_changes, scan, parsed, stored, newsletter)
            summary = await self._content.apply(newsletter.id, plan.changes)
        else:  # a first load: each issue is written as soon as it is parsed
            async with self._content.content_write(newsletter.id) as write:
                parsed = await self._parse_writing(scan, newsletter, write)
                plan = await asyncio.to_thread(plan_changes, scan, parsed, stored, newsletter)
                summary = await write.finish(plan.changes)
        await asyncio.to_thread(release, parsed, plan.changes.upserts)
        return replace(summary, problems=tuple(plan.problems), kept=tuple(plan.kept))

    @staticmethod
    async def _parse_writing(
        scan: Scan, newsletter: Newsletter, write: ContentWrite
    ) -> list[ParsedFile]:
        """Parse the scan's files, handing each run of them to ``write`` as it comes: the
        database takes in one run while the next is parsed."""
        loop = asyncio.get_running_loop()
        arrived: asyncio.Queue[list[ParsedFile] | None] = asyncio.Queue()
        stop = threading.Event()

        def heard(run: list[ParsedFile]) -> None:  # in the parsing thread
            if stop.is_set():  # the write failed: stop parsing (the workers are killed)
                raise _WriteFailed
            loop.call_soon_threadsafe(arrived.put_nowait, run)

        def parse() -> list[ParsedFile]:
            try:
                return parse_files(scan.changed, newsletter, heard)
            finally:
                loop.call_soon_threadsafe(arrived.put_nowait, None)

        parsing = asyncio.ensure_future(asyncio.to_thread(parse))
        try:
            while (run := await arrived.get()) is not None:
                await write.early([item.content for item in run if item.content])
        except BaseException:
            stop.set()
            with contextlib.suppress(Exception):
                await parsing
            raise
        return await parsing


class _WriteFailed(Exception):
    """Raised in the parsing thread to stop a first load whose writing failed."""
