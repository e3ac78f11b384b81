"""Score the parser and the search against ground truth, and print the figures.

    python -m bench.evaluate [--eval DIR] [--content DIR] [--truth FILE ...] [--devset DIR]

DIR defaults to ../shared/eval beside the project. Every truth file given (default: the
``*-truth.yaml`` files in DIR) is scored per newsletter: files loaded and skipped, numbers and
dates right, resource recall, extracted vs listed items. A truth file either lists
``issues:`` of the configured content folder (seeds-truth.yaml), or ``newsletters:`` each
with its own ``folder`` relative to the file (twir-truth.yaml). Search is scored on the
configured content with DIR/queries.yaml, when it is there.

Then every ``*.truth.yaml`` of the development set (``tests/data/devset``: real newsletters
that did not inspire the parser's rules) is scored the same way, each folder read whole with
the default config, and printed one line per newsletter. Those figures are printed, never
enforced.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz

from bot.archive.loader import LoadResult, dry_run
from bot.archive.service import ArchiveService
from bot.config import load_settings
from bot.content.models import Issue

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL = ROOT.parent / "shared" / "eval"
DEFAULT_DEVSET = ROOT / "tests" / "data" / "devset"


#: A title shorter than this share of the phrase cannot hold it, however well it matches.
_SHORTEST_SHARE = 0.8


def _contains(phrase: str, text: str) -> bool:
    """Is ``phrase`` in ``text``, allowing small changes (a typo fixed, a word cut)?

    The fuzzy match aligns the shorter string inside the longer one, so a text much shorter
    than the phrase (a resource titled "Nix") would match any phrase holding it ("How we use
    Nix at IOHK"): the text must be at least most of the phrase's length to count."""
    phrase, text = phrase.casefold(), text.casefold()
    if phrase in text:
        return True
    return len(text) >= _SHORTEST_SHARE * len(phrase) and fuzz.partial_ratio(phrase, text) >= 90


@dataclass
class ParserScore:
    issues: int = 0
    served: int = 0
    numbers_right: int = 0
    dates_right: int = 0
    #: A date given that is not the issue's (inferred ones included)...
    dates_wrong: int = 0
    #: ...apart from no date where the truth has one.
    dates_absent: int = 0
    phrases: int = 0
    phrases_found: int = 0
    extracted: int = 0
    listed: int = 0
    false_resources: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    #: Phrases found only by fuzzy match: a title that cuts or changes the item's words.
    cut: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.phrases_found / self.phrases if self.phrases else 1.0

    @property
    def ratio(self) -> float:
        return self.extracted / self.listed if self.listed else 0.0


def _expected_date(expected: dict[str, Any]) -> tuple[int | None, int | None]:
    """(year, month) the truth gives; (None, None) for ``date: null`` (the file states none)."""
    if "date" in expected:
        if expected["date"] is None:
            return None, None
        year, month = str(expected["date"]).split("-")[:2]
        return int(year), int(month)
    return expected["year"], expected.get("month")


def _date_right(issue: Issue, expected: dict[str, Any]) -> bool:
    year, month = _expected_date(expected)
    if year is None:
        return issue.year is None or issue.date_inferred  # no date stated, none claimed
    return issue.year == year and (month is None or issue.month == month)


#: Where a number comes from when the issue states it; an issue that states none (the truth's
#: ``number: null``, common for dated monthly newsletters) is right only without one of these.
_STATED_NUMBER_SOURCES = frozenset({"metadata", "text", "file name"})


def _number_right(issue: Issue, expected: int | None) -> bool:
    """The truth's number, or for ``number: null`` no number claimed from the file."""
    if expected is None:
        return issue.number_source not in _STATED_NUMBER_SOURCES
    return issue.number == expected


def _score_issue(score: ParserScore, issue: Issue, expected: dict[str, Any]) -> None:
    phrases = expected.get("resources") or []
    score.served += 1
    score.extracted += len(issue.resources)
    score.numbers_right += _number_right(issue, expected["number"])
    if _date_right(issue, expected):
        score.dates_right += 1
    elif issue.year is None:
        score.dates_absent += 1
    else:
        score.dates_wrong += 1
    headingless = not any(r.section for r in issue.resources)
    for phrase in phrases:
        titles = [r.title for r in issue.resources if _contains(phrase, r.title)]
        if not titles and headingless:
            titles = [r.title for r in issue.resources if _contains(phrase, r.text)]
        if len(titles) == 1:
            score.phrases_found += 1
            if phrase.casefold() not in titles[0].casefold() and not headingless:
                score.cut.append(f"{issue.source}: {phrase!r} titled {titles[0]!r}")
        else:
            score.missed.append(f"{issue.source}: {phrase!r} in {len(titles)} titles")
    for phrase in expected.get("not_resources") or []:
        score.false_resources += [
            f"{issue.source}: {r.title!r}"
            for r in issue.resources
            if fuzz.ratio(phrase.casefold(), r.title.casefold()) >= 90
        ]


def score_parser(issues: list[Issue], expected_issues: list[dict[str, Any]]) -> ParserScore:
    """Score the loaded ``issues`` against the truth's issues (matched by file name)."""
    by_source = {issue.source: issue for issue in issues}
    score = ParserScore()
    for expected in expected_issues:
        phrases = expected.get("resources") or []
        score.issues += 1
        score.phrases += len(phrases)
        score.listed += expected.get("listed") or len(phrases)
        issue = by_source.get(expected["file"])
        if issue is None:
            score.missed.append(f"{expected['file']}: (not loaded)")
        else:
            _score_issue(score, issue, expected)
    return score


def _print_parser(name: str, result: LoadResult, score: ParserScore, seconds: float) -> None:
    skipped = {p.source for p in result.errors}
    print(f"Parser: {name}")
    print(f"  files loaded / skipped  {len(result.issues)} / {len(skipped)}  ({seconds:.1f} s)")
    print(f"  issue numbers right     {score.numbers_right}/{score.issues}")
    print(f"  issue dates right       {score.dates_right}/{score.issues}")
    print(f"  resource recall         {score.recall:.3f} ({score.phrases_found}/{score.phrases})")
    print(f"  extracted / listed      {score.ratio:.2f} ({score.extracted}/{score.listed})")
    print(f"  not_resources found     {len(score.false_resources)}")
    print(f"  titles cut or changed   {len(score.cut)}")
    for line in score.missed + score.false_resources + score.cut:
        print(f"    - {line}")


def _newsletters(path: Path, content: Path | None) -> list[tuple[str, Path | None, list[Any]]]:
    """(name, folder or None for the configured one, expected issues) per newsletter."""
    truth = yaml.safe_load(path.read_text(encoding="utf-8"))
    if "newsletters" in truth:
        return [
            (n.get("name", n["folder"]), (path.parent / n["folder"]).resolve(), n["issues"])
            for n in truth["newsletters"]
        ]
    return [(path.name, content, truth["issues"])]


@dataclass
class SearchScore:
    cases: int
    hit1: int
    hit5: int
    misses: list[str]


def _relevant(hit_issue: int, title: str, text: str, case: dict[str, Any]) -> bool:
    issues = case["issue"] if isinstance(case["issue"], list) else [case["issue"]]
    haystack = f"{title}\n{text}".casefold()
    return hit_issue in issues and any(c.casefold() in haystack for c in case["contains"])


async def score_search(service: ArchiveService, cases: list[dict[str, Any]]) -> SearchScore:
    score = SearchScore(len(cases), 0, 0, [])
    for case in cases:
        hits = await service.search.find(case["query"], limit=5)
        relevant = [
            _relevant(h.resource.issue, h.resource.title, h.resource.text, case) for h in hits
        ]
        score.hit1 += bool(relevant[:1] and relevant[0])
        score.hit5 += any(relevant)
        if not (relevant[:1] and relevant[0]):
            top = hits[0].resource.title[:60] if hits else "(nothing)"
            score.misses.append(f"{case['query']!r}: top was {top!r}")
    return score


def evaluate_parser(truth_files: list[Path], content: Path | None) -> None:
    """Print the parser's figures for each newsletter."""
    settings = load_settings()
    for path in truth_files:
        for name, folder, expected in _newsletters(path, content):
            started = time.perf_counter()
            result = dry_run(settings.served_newsletter(folder=folder))
            seconds = time.perf_counter() - started
            _print_parser(name, result, score_parser(result.issues, expected), seconds)


def devset_truth(devset: Path) -> list[Path]:
    """The development set's truth files (``<slug>.truth.yaml`` beside the ``<slug>`` folder)."""
    return sorted(devset.glob("*.truth.yaml")) if devset.is_dir() else []


def devset_line(name: str, score: ParserScore) -> str:
    """One newsletter's figures on one line."""
    n = score.issues
    return (
        f"  {name[:30]:<30} served {score.served}/{n}  numbers {score.numbers_right}/{n}"
        f"  dates {score.dates_right}/{n} (wrong {score.dates_wrong}, absent {score.dates_absent})"
        f"  recall {score.recall:.2f} ({score.phrases_found}/{score.phrases})"
        f"  extracted/listed {score.extracted}/{score.listed}"
    )


def evaluate_devset(truth_files: list[Path]) -> None:
    """Print one line per development-set newsletter, each folder read whole (default config)."""
    settings = load_settings()
    print(f"Development set ({len(truth_files)} truth files)")
    for path in truth_files:
        for name, folder, expected in _newsletters(path, None):
            result = dry_run(settings.served_newsletter(folder=folder))
            print(devset_line(name, score_parser(result.issues, expected)))


async def evaluate_search(content: Path | None, queries: Path) -> None:
    """Print hit@1 and hit@5 of ``queries`` over the content, loaded as the bot loads it."""
    cases = yaml.safe_load(queries.read_text(encoding="utf-8"))["cases"]
    with tempfile.TemporaryDirectory() as tmp:
        service, _ = await ArchiveService.from_settings(
            load_settings(), folder=content, database=Path(tmp) / "eval.sqlite3"
        )
        try:
            search = await score_search(service, cases)
        finally:
            await service.close()
    print(f"Search ({queries.name})")
    print(
        f"  hit@1                   {search.hit1 / search.cases:.3f} ({search.hit1}/{search.cases})"
    )
    print(
        f"  hit@5                   {search.hit5 / search.cases:.3f} ({search.hit5}/{search.cases})"
    )
    for line in search.misses:
        print(f"    - {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--eval", type=Path, default=DEFAULT_EVAL, help="folder with the truth files"
    )
    parser.add_argument("--content", type=Path, help="content folder (default: the configured one)")
    parser.add_argument(
        "--truth", type=Path, nargs="+", help="truth files (default: DIR/*-truth.yaml)"
    )
    parser.add_argument(
        "--devset",
        type=Path,
        default=DEFAULT_DEVSET,
        help="development set: a folder of <slug>.truth.yaml files (default: tests/data/devset)",
    )
    args = parser.parse_args(argv)
    truth_files = args.truth or sorted(args.eval.glob("*-truth.yaml"))
    devset = devset_truth(args.devset)
    if not truth_files and not devset:
        print(
            f"no ground truth in {args.eval} nor {args.devset} (pass --eval DIR or --truth FILE)",
            file=sys.stderr,
        )
        return 2
    if truth_files:
        evaluate_parser(truth_files, args.content)
        queries = args.eval / "queries.yaml"
        if queries.exists():
            asyncio.run(evaluate_search(args.content, queries))
    if devset:
        evaluate_devset(devset)
    return 0


if __name__ == "__main__":
    sys.exit(main())
