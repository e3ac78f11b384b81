"""How fast the archive is at real scale. Prints figures and baselines; asserts nothing.

    python -m bench.benchmark [--content DIR] [--copies N ...] [--cold-runs N] [--json]

For the folder (default: the bundled seeds, then a synthetic archive of their renumbered copies)
and for N renumbered copies of it, each in a fresh process (so peak memory is per size):

- cold load (the median of ``--cold-runs`` fresh processes, 3 by default: a bot process
  loads cold once, and a shared machine's speed drifts from one second to the next), reload with
  nothing changed, reload after one file changed, and the longest event-loop stall during
  each (a 10 ms ticker runs on the loop the whole time);
- search, title autocomplete and archive pick, p50 and p99, through ``ArchiveService``;
- the same queries through bare FTS5 (``MATCH`` of the OR'ed quoted tokens, by bm25) and
  through ``rapidfuzz.process.extract`` over every title, with the ratios;
- a known-item query set made from the folder's own titles (some words with a dropped
  letter; only queries whose words appear together in at most two titles): hit@1 and hit@5
  for the project and for bare FTS5;
- peak RSS of the process;
- first, a machine reference (a fixed Python loop), since runs compare only beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from bot.archive.loader import dry_run
from bot.archive.service import ArchiveService
from bot.config import load_settings
from bot.content.loader import content_files
from bot.content.parse import parse_text

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
QUERIES = [
    "resnet", "bitter lesson", "async runtime", "borrow checker", "speech recognition",
    "contrastve los", "pytorch speed tips", "webassembly", "self-supervised learning",
    "compile times", "embedded", "machine learning roadmap", "error handling", "gpt3",
    '"AND* -:', "x" * 200,
]  # fmt: skip
PARTIALS = ["a", "ru", "asy", "borrow", "rust compiler", "machine lea", "zzz", "nutri"]
#: Each query is timed this many times (16 queries: 320 calls).
_REPEATS = 20
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
_WORD = re.compile(r"\w+")


# -- folders ---------------------------------------------------------------------------------


def renumbered_copies(source: Path, target: Path, copies: int, numbers: dict[str, int]) -> int:
    """Write ``copies`` copies of every issue in ``source`` under new numbers (YAML front
    matter), so the archive is real text at ``copies`` times the volume; return the file count.

    The copies of an issue are numbered next to each other (issue N's are N·copies … N·copies +
    copies − 1), so numbers still follow dates and what recurs in a run of issues stays a run,
    as in a real archive: numbered copy after copy, the archive would repeat its whole history,
    its dates would run backwards at each copy, and the folder pass would rightly find every
    item of the first issues again in the last ones."""
    written = 0
    for copy in range(copies):
        for path in content_files(source):
            if path.name not in numbers:
                continue
            text = path.read_bytes().decode("utf-8", errors="replace")
            number = numbers[path.name] * copies + copy
            front = _FRONT.match(text)
            if front:
                kept = "\n".join(
                    line
                    for line in front.group(1).splitlines()
                    if not line.lower().startswith(("number:", "issue:"))
                )
                text = f"---\nnumber: {number}\n{kept}\n---\n" + text[front.end() :]
            else:
                text = f"---\nnumber: {number}\n---\n" + text
            (target / f"c{copy:02d}-{path.name}").write_text(text, encoding="utf-8")
            written += 1
    return written


# -- measuring -------------------------------------------------------------------------------


class StallMeter:
    """A 10 ms ticker on the event loop; ``longest`` is the worst lateness seen (ms)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + 0.01
            await asyncio.sleep(0.01)
            self.longest = max(self.longest, (loop.time() - expected) * 1000)

    @contextmanager
    def measuring(self) -> Iterator[None]:
        self.longest = 0.0
        self._task = asyncio.get_running_loop().create_task(self._tick())
        try:
            yield
        finally:
            self._task.cancel()


def percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(len(ordered) * 0.99))]
    return {"p50": round(statistics.median(ordered), 3), "p99": round(p99, 3)}


async def timed(calls: Sequence[Callable[[], Awaitable[object]]]) -> list[float]:
    times = []
    for call in calls:
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def timed_sync(calls: Sequence[Callable[[], object]]) -> list[float]:
    times = []
    for call in calls:
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def fts_query(query: str) -> str:
    """The baseline's query: every word token quoted, OR'ed."""
    words = _WORD.findall(query.casefold())[:16]
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words) or '""'


def bare_fts(db: sqlite3.Connection, query: str, limit: int = 25) -> list[str]:
    """Titles of the best ``limit`` matches of the baseline query."""
    rows = db.execute(
        "SELECT r.title FROM resources_fts JOIN resources r ON r.id = resources_fts.rowid"
        " WHERE resources_fts MATCH ? ORDER BY bm25(resources_fts) LIMIT ?",
        (fts_query(query), limit),
    ).fetchall()
    return [row[0] for row in rows]


def known_items(titles: list[str], count: int, seed: int = 11) -> list[tuple[str, str]]:
    """(query, title) pairs: two or three words of one title, one word sometimes missing a
    letter; only queries whose words appear together in at most two distinct titles (so a
    renumbered copy of the archive, which repeats every title, keeps the same set)."""
    rng = random.Random(seed)
    distinct = sorted(set(titles))
    words_of = [[w for w in _WORD.findall(t.casefold()) if len(w) >= 4] for t in distinct]
    document_frequency = Counter(w for words in words_of for w in set(words))
    index: dict[str, set[int]] = {}
    for position, words in enumerate(words_of):
        for word in set(words):
            index.setdefault(word, set()).add(position)
    found: list[tuple[str, str]] = []
    order = list(range(len(distinct)))
    rng.shuffle(order)
    for position in order:
        rare = sorted(set(words_of[position]), key=lambda w: document_frequency[w])[:3]
        if len(rare) < 2:
            continue
        chosen = rare[: rng.choice((2, 3))]
        if len(set.intersection(*(index[w] for w in chosen))) > 2:
            continue
        if rng.random() < 0.3:  # a typo: one letter dropped from the longest word
            longest = max(chosen, key=len)
            cut = rng.randrange(1, len(longest) - 1)
            chosen = [w if w != longest else w[:cut] + w[cut + 1 :] for w in chosen]
        found.append((" ".join(chosen), distinct[position]))
        if len(found) == count:
            break
    return found


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _cold_load(
    folder: Path, database: Path, meter: StallMeter, result: dict[str, Any]
) -> ArchiveService:
    """The first load into an empty database, timed, its loop stall measured."""
    with meter.measuring():
        start = time.perf_counter()
        service, summary = await ArchiveService.from_settings(
            load_settings(), folder=folder, database=database
        )
        result["cold_load_s"] = round(time.perf_counter() - start, 3)
    result["cold_load_stall_ms"] = round(meter.longest, 1)
    result["issues"], result["resources"] = summary.issues, summary.resources
    return service


async def measure_cold_load(folder: Path) -> dict[str, Any]:
    """The cold load alone, in this process."""
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        service = await _cold_load(folder, Path(tmp) / "bench.sqlite3", StallMeter(), result)
        await service.close()
    return result


async def measure(folder: Path, label: str) -> dict[str, Any]:
    """Every figure for one folder, in this process."""
    meter = StallMeter()
    result: dict[str, Any] = {"label": label}
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.sqlite3"
        service = await _cold_load(folder, database, meter, result)
        try:
            with meter.measuring():
                start = time.perf_counter()
                await service.loader.reload()
                result["reload_unchanged_s"] = round(time.perf_counter() - start, 3)
            result["reload_unchanged_stall_ms"] = round(meter.longest, 1)
            edited = content_files(folder)[len(content_files(folder)) // 2]
            original = edited.read_bytes()
            edited.write_bytes(
                original + b"\n\n## One more thing\n\nAn item added for the benchmark.\n"
            )
            try:
                with meter.measuring():
                    start = time.perf_counter()
                    await service.loader.reload()
                    result["reload_one_changed_s"] = round(time.perf_counter() - start, 3)
                result["reload_one_changed_stall_ms"] = round(meter.longest, 1)
            finally:
                edited.write_bytes(original)
                await service.loader.reload()
            result.update(await _queries(service, database))
        finally:
            await service.close()
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return result


async def _queries(service: ArchiveService, database: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    baseline = sqlite3.connect(database)
    try:
        titles = [row[0] for row in baseline.execute("SELECT title FROM resources")]
        # Enough calls that a p99 is not simply the one slowest call (with 80, it would be).
        search = [partial(service.search.find, q, limit=25) for q in QUERIES] * _REPEATS
        bare = [partial(bare_fts, baseline, q) for q in QUERIES] * _REPEATS
        figures["search_ms"] = percentiles(await timed(search))
        figures["bare_fts5_ms"] = percentiles(timed_sync(bare))
        folded = [title.casefold() for title in titles]
        fuzzy = [partial(process.extract, q, folded, scorer=fuzz.WRatio, limit=25) for q in QUERIES]
        figures["rapidfuzz_titles_ms"] = percentiles(timed_sync(fuzzy))
        complete = [partial(service.search.autocomplete_titles, p) for p in PARTIALS] * (
            2 * _REPEATS
        )
        figures["autocomplete_ms"] = percentiles(await timed(complete))
        picks = [lambda: service.picks.pick("bench")] * (len(QUERIES) * _REPEATS)
        figures["pick_ms"] = percentiles(await timed(picks))
        figures["search_p99_vs_bare"] = round(
            figures["search_ms"]["p99"] / max(figures["bare_fts5_ms"]["p99"], 0.001), 2
        )
        cases = known_items(titles, 200)
        ours = [[h.resource.title for h in await service.search.find(q, limit=5)] for q, _ in cases]
        theirs = [bare_fts(baseline, q, 5) for q, _ in cases]
        figures["known_items"] = len(cases)
        for name, results in (("ours", ours), ("bare_fts5", theirs)):
            hit1 = sum(r[:1] == [title] for r, (_, title) in zip(results, cases, strict=True))
            hit5 = sum(title in r for r, (_, title) in zip(results, cases, strict=True))
            figures[f"hit1_{name}"] = round(hit1 / max(len(cases), 1), 3)
            figures[f"hit5_{name}"] = round(hit5 / max(len(cases), 1), 3)
    finally:
        baseline.close()
    return figures


# -- reporting -------------------------------------------------------------------------------


def report(result: dict[str, Any]) -> None:
    print(f"{result['label']}: {result['issues']} issues, {result['resources']} resources")
    runs = result["cold_load_runs_s"]
    if len(runs) > 1:
        print(
            f"  cold load: median of {len(runs)} fresh processes "
            f"({', '.join(f'{run:.2f}' for run in runs)} s); stall: the longest of them"
        )
    rows = [
        ("cold load", f"{result['cold_load_s']:.2f} s", result["cold_load_stall_ms"]),
        ("reload, nothing changed", f"{result['reload_unchanged_s']:.3f} s",
         result["reload_unchanged_stall_ms"]),
        ("reload, one file changed", f"{result['reload_one_changed_s']:.3f} s",
         result["reload_one_changed_stall_ms"]),
    ]  # fmt: skip
    for name, value, stall in rows:
        print(f"  {name:<28} {value:>10}   longest loop stall {stall:6.1f} ms")
    for name, key in (
        ("search (25 results)", "search_ms"),
        ("  bare FTS5, same queries", "bare_fts5_ms"),
        ("  rapidfuzz over titles", "rapidfuzz_titles_ms"),
        ("title autocomplete", "autocomplete_ms"),
        ("archive pick", "pick_ms"),
    ):
        figures = result[key]
        print(f"  {name:<28} p50 {figures['p50']:8.2f} ms   p99 {figures['p99']:8.2f} ms")
    print(f"  {'search p99 / bare FTS5 p99':<28} {result['search_p99_vs_bare']:.2f}")
    print(
        f"  {'known items':<28} {result['known_items']} queries: hit@1 {result['hit1_ours']:.3f} "
        f"hit@5 {result['hit5_ours']:.3f} (bare FTS5: {result['hit1_bare_fts5']:.3f} / "
        f"{result['hit5_bare_fts5']:.3f})"
    )
    print(f"  {'peak RSS':<28} {result['peak_rss_mb']:.0f} MB")


def machine_reference() -> float:
    """Seconds this machine takes for a fixed pure-Python loop (best of three): shared and
    virtual machines drift, and runs are comparable only beside this figure."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for step in range(5_000_000):
            total += step
        best = min(best, time.perf_counter() - start)
    return round(best, 3)


def pathological_parse() -> dict[str, float]:
    """Seconds to parse one file of N repeated headingless paragraphs (the shape that was
    quadratic): near-linear means doubling N about doubles the time."""
    rules = load_settings().served[0].rules
    paragraph = "This model trains on more data than any before it, and costs less to run."
    seconds = {}
    for count in (10_000, 20_000, 40_000):
        text = "Welcome to the 3rd issue.\n\n" + "\n\n".join([paragraph] * count)
        start = time.perf_counter()
        parse_text(text, "big.txt", rules, "Data Digest", markdown=False)
        seconds[str(count)] = round(time.perf_counter() - start, 2)
    return seconds


def _fresh_process(*args: str) -> dict[str, Any]:
    """Run this module's ``main`` with ``args`` in a fresh process; its JSON answer.

    The process runs as ``-c``, not ``-m bench.benchmark``: parse workers import the main
    module again unless it is a package's ``__main__`` (as with ``python -m bot``), and this
    one's imports would cost each worker half a second the bot never pays."""
    run = "import sys; from bench.benchmark import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", run, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"measuring {' '.join(args)} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def _one(folder: Path, label: str, cold_runs: int) -> dict[str, Any]:
    """Measure in a fresh process, so that its peak memory is this size's alone; and the
    cold load in ``cold_runs - 1`` more (a bot process loads cold once, so each run is a
    fresh one): the figure is their median, the range beside it."""
    result = _fresh_process("--one", str(folder), "--label", label)
    runs = [result] + [_fresh_process("--cold", str(folder)) for _ in range(cold_runs - 1)]
    result["cold_load_runs_s"] = [run["cold_load_s"] for run in runs]
    result["cold_load_s"] = round(statistics.median(result["cold_load_runs_s"]), 3)
    result["cold_load_stall_ms"] = max(run["cold_load_stall_ms"] for run in runs)
    return result


def _numbers(folder: Path) -> dict[str, int]:
    """Each file's issue number, as the project reads it."""
    result = dry_run(load_settings().served_newsletter(folder=folder))
    return {issue.source: issue.number for issue in result.issues}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--content", type=Path, help="the folder to measure (default: the seeds)")
    parser.add_argument(
        "--copies", type=int, nargs="*", default=None,
        help="also measure N renumbered copies of the folder (default: 40 for the seeds)",
    )  # fmt: skip
    parser.add_argument(
        "--cold-runs", type=int, default=3, metavar="N",
        help="time the cold load in N fresh processes, print their median (default: 3)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one JSON list at the end")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cold", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--label", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(asyncio.run(measure(args.one, args.label))))
        return 0
    if args.cold:
        print(json.dumps(asyncio.run(measure_cold_load(args.cold))))
        return 0
    if args.cold_runs < 1:
        parser.error("--cold-runs must be 1 or more")
    folder = (args.content or SEEDS).resolve()
    copies = args.copies if args.copies is not None else ([] if args.content else [40])
    reference = machine_reference()
    if not args.json:
        print(f"Machine reference (a 5M-step Python loop): {reference:.3f} s")
    results = [_one(folder, f"{folder.name} (1×)", args.cold_runs)]
    if not args.json:
        report(results[-1])
    numbers = _numbers(folder)
    for count in copies:
        with tempfile.TemporaryDirectory() as tmp:
            renumbered_copies(folder, Path(tmp), count, numbers)
            results.append(_one(Path(tmp), f"{folder.name} ({count}×)", args.cold_runs))
        if not args.json:
            report(results[-1])
    pathological = pathological_parse()
    if args.json:
        figures = {"machine_reference_s": reference, "sizes": results}
        print(json.dumps({**figures, "pathological_parse_s": pathological}, indent=2))
    else:
        print("One file of N repeated headingless paragraphs, parse time:")
        print("  " + "   ".join(f"{n}: {s:.2f} s" for n, s in pathological.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
