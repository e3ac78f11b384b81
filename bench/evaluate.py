"""Score the parser and the search against ground truth, and print the figures.

    python -m bench.evaluate [--eval DIR] [--content DIR]

DIR defaults to ../shared/eval beside the project (seeds-truth.yaml, queries.yaml).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz

from bot.archive.service import ArchiveService
from bot.config import load_settings
from bot.content.loader import ContentSource, load_issues
from bot.content.models import Issue

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL = ROOT.parent / "shared" / "eval"


def _contains(phrase: str, text: str) -> bool:
    phrase, text = phrase.casefold(), text.casefold()
    return phrase in text or fuzz.partial_ratio(phrase, text) >= 90


@dataclass
class ParserScore:
    issues: int
    numbers_right: int
    dates_right: int
    phrases: int
    phrases_found: int
    extracted: int
    false_resources: list[str]
    missed: list[str]

    @property
    def recall(self) -> float:
        return self.phrases_found / self.phrases if self.phrases else 1.0

    @property
    def ratio(self) -> float:
        return self.extracted / self.phrases if self.phrases else 0.0


def score_parser(issues: list[Issue], truth: dict[str, Any]) -> ParserScore:
    by_source = {issue.source: issue for issue in issues}
    score = ParserScore(0, 0, 0, 0, 0, 0, [], [])
    for expected in truth["issues"]:
        issue = by_source.get(expected["file"])
        score.issues += 1
        phrases = expected.get("resources") or []
        score.phrases += len(phrases)
        if issue is None:
            score.missed += [f"{expected['file']}: (not loaded)"]
            continue
        score.extracted += len(issue.resources)
        score.numbers_right += issue.number == expected["number"]
        month_ok = expected.get("month") is None or issue.month == expected["month"]
        score.dates_right += issue.year == expected["year"] and month_ok
        headingless = not any(r.section for r in issue.resources)
        for phrase in phrases:
            titles = [r.title for r in issue.resources if _contains(phrase, r.title)]
            if not titles and headingless:
                titles = [r.title for r in issue.resources if _contains(phrase, r.text)]
            if len(titles) == 1:
                score.phrases_found += 1
            else:
                score.missed.append(f"{issue.source}: {phrase!r} in {len(titles)} titles")
        for phrase in expected.get("not_resources") or []:
            score.false_resources += [
                f"{issue.source}: {r.title!r}"
                for r in issue.resources
                if fuzz.ratio(phrase.casefold(), r.title.casefold()) >= 90
            ]
    return score


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
        hits = await service.search(case["query"], limit=5)
        relevant = [
            _relevant(h.resource.issue, h.resource.title, h.resource.text, case) for h in hits
        ]
        score.hit1 += bool(relevant[:1] and relevant[0])
        score.hit5 += any(relevant)
        if not (relevant[:1] and relevant[0]):
            top = hits[0].resource.title[:60] if hits else "(nothing)"
            score.misses.append(f"{case['query']!r}: top was {top!r}")
    return score


async def _run(eval_dir: Path, content: Path | None) -> int:
    settings = load_settings()
    issues = load_issues(ContentSource.from_settings(settings, content)).issues
    truth = yaml.safe_load((eval_dir / "seeds-truth.yaml").read_text(encoding="utf-8"))
    parser = score_parser(issues, truth)
    print("Parser (seeds-truth.yaml)")
    print(f"  issue numbers right   {parser.numbers_right}/{parser.issues}")
    print(f"  issue dates right     {parser.dates_right}/{parser.issues}")
    print(f"  resource recall       {parser.recall:.3f} ({parser.phrases_found}/{parser.phrases})")
    print(f"  extracted / listed    {parser.ratio:.2f} ({parser.extracted}/{parser.phrases})")
    print(f"  not_resources found   {len(parser.false_resources)}")
    for line in parser.missed + parser.false_resources:
        print(f"    - {line}")
    cases = yaml.safe_load((eval_dir / "queries.yaml").read_text(encoding="utf-8"))["cases"]
    with tempfile.TemporaryDirectory() as tmp:
        service, _ = await ArchiveService.from_settings(
            settings, folder=content, database=Path(tmp) / "eval.sqlite3"
        )
        try:
            search = await score_search(service, cases)
        finally:
            await service.close()
    print("Search (queries.yaml)")
    print(
        f"  hit@1                 {search.hit1 / search.cases:.3f} ({search.hit1}/{search.cases})"
    )
    print(
        f"  hit@5                 {search.hit5 / search.cases:.3f} ({search.hit5}/{search.cases})"
    )
    for line in search.misses:
        print(f"    - {line}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--eval", type=Path, default=DEFAULT_EVAL, help="folder with the truth files"
    )
    parser.add_argument("--content", type=Path, help="content folder (default: the configured one)")
    args = parser.parse_args(argv)
    if not (args.eval / "seeds-truth.yaml").exists():
        print(f"no ground truth in {args.eval} (pass --eval DIR)", file=sys.stderr)
        return 2
    return asyncio.run(_run(args.eval, args.content))


if __name__ == "__main__":
    sys.exit(main())
