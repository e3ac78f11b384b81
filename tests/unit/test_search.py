"""Search: ranking, typo tolerance, hostile input, suggestions and autocomplete."""

from __future__ import annotations

from pathlib import Path

import pytest
from rapidfuzz import fuzz, process

from bot.archive.records import ResourceRecord
from bot.archive.search import Vocabulary, _Scorer
from bot.archive.service import ArchiveService

HOSTILE = [
    '"', '""', "'", "*", "AND", "OR NOT", "-", "a - b", ":", "title:", "NEAR(a b)", "^start",
    "(", ")", "{x}", "💻🤖", "🙂 resnet", "x" * 500, "resnet " * 100, "\x00", "\\", "%", "_",
    "'; DROP TABLE resources; --", "   ", "", "ñandú", "日本語", "@everyone",
]  # fmt: skip


async def test_exact_title_ranks_first(service: ArchiveService) -> None:
    hits = await service.search.find("bitter lesson")
    assert hits[0].resource.title.startswith("From the archives: The Bitter Lesson")
    assert hits[0].resource.issue == 28


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("trivalaugment", "TrivialAugment"),
        ("contrastve los", "Contrastive Loss"),
        ("pytorh speed", "Optimize your PyTorch"),
    ],
)
async def test_typos_are_forgiven(service: ArchiveService, query: str, expected: str) -> None:
    hits = await service.search.find(query)
    assert hits and hits[0].resource.title.startswith(expected)


async def test_title_match_ranks_above_passing_mention(service: ArchiveService) -> None:
    hits = await service.search.find("trivialaugment")
    # Issue 23 mentions TrivialAugment in the ResNet50 item's text too; the titled item wins.
    assert hits[0].resource.title.startswith("TrivialAugment")
    assert any(h.resource.title.startswith("PyTorch team shares") for h in hits[1:])
    assert hits[0].score > hits[1].score


async def test_scores_are_sorted_and_limited(service: ArchiveService) -> None:
    hits = await service.search.find("machine learning", limit=7)
    assert len(hits) == 7
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@pytest.mark.parametrize("query", HOSTILE)
async def test_any_string_is_a_valid_query(service: ArchiveService, query: str) -> None:
    hits = await service.search.find(query)
    assert isinstance(hits, list)
    await service.search.suggest(query)
    assert len(await service.search.autocomplete_titles(query)) <= 25


async def test_nothing_found_suggests_close_titles(service: ArchiveService) -> None:
    assert await service.search.find("qwertyuiop") == []
    suggestions = await service.search.suggest("bitter lessen")
    assert suggestions[0] == "From the archives: The Bitter Lesson by Rich Sutton"
    assert len(suggestions) <= 3


async def test_autocomplete_titles(service: ArchiveService) -> None:
    assert len(await service.search.autocomplete_titles("")) == 25
    found = await service.search.autocomplete_titles("nutri")
    assert found[:2] == [  # titles that begin with it, newest first
        ("Nutrify web app: take a photo of food and learn about", 28),
        ("Nutrify: A machine learning project", 23),
    ]
    for partial in ("a", "e", "learning", "mach lea"):
        found = await service.search.autocomplete_titles(partial)
        assert 0 < len(found) <= 25
    assert ("Nutrify: A machine learning project", 23) in await service.search.autocomplete_titles(
        "machine lear"
    )


async def test_autocomplete_short_and_finished_words(service: ArchiveService) -> None:
    """Words of one or two letters are looked for among the newest titles; a finished word
    that begins a longer one still finds it (the exact lookup falls back to a prefix)."""
    found = await service.search.autocomplete_titles("ma le")
    assert found and all(
        any(w.startswith("ma") for w in title.casefold().split())
        and any(w.startswith("le") for w in title.casefold().split())
        for title, _ in found
    )
    assert ("Nutrify: A machine learning project", 23) in await service.search.autocomplete_titles(
        "mach lear"
    )


async def test_a_link_featured_again_shows_once(service: ArchiveService, content_dir: Path) -> None:
    for number, note in ((98, "a widget toolkit"), (99, "featured again for those who missed it")):
        (content_dir / f"{number}-issue.md").write_text(
            f"---\nnumber: {number}\n---\n# Issue {number}\n\n"
            f"- [Zyxwv: widgets for everyone](https://example.com/zyxwv): {note}.\n"
            "- [Another zyxwv story](https://example.com/other): not the same resource.\n",
            encoding="utf-8",
        )
    await service.loader.reload()
    hits = await service.search.find("zyxwv widgets")
    titles = [h.resource.title for h in hits]
    assert titles.count("Zyxwv: widgets for everyone") == 1
    assert titles.count("Another zyxwv story") == 1


async def test_a_query_of_only_common_words_still_finds_resources(
    service: ArchiveService,
) -> None:
    hits = await service.search.find("the and of", limit=5)
    assert len(hits) == 5


async def test_autocomplete_issues_by_number_title_or_month(service: ArchiveService) -> None:
    assert [n for n, _ in service.search.autocomplete_issues("")] == [28, 23, 15, 7, 2]
    assert [n for n, _ in service.search.autocomplete_issues("2")] == [28, 23, 2]
    assert [n for n, _ in service.search.autocomplete_issues("#15")] == [15]
    assert service.search.autocomplete_issues("july") == [
        (7, "#7 · July 2020 · Machine Learning Monthly 💻🤖 July 2020")
    ]
    assert service.search.autocomplete_issues("nothing like this") == []


async def test_split_words_find_a_compound_title(service: ArchiveService) -> None:
    hits = await service.search.find("gpt 3")
    assert hits[0].resource.title == "All about GPT3"


def _write_issue(content_dir: Path, number: int, items: list[tuple[str, str]]) -> None:
    lines = "".join(
        f"- [{title}](https://example.com/{link}): about {title}.\n" for title, link in items
    )
    (content_dir / f"{number}-issue.md").write_text(
        f"---\nnumber: {number}\n---\n# Issue {number}\n\n## Links\n\n{lines}", encoding="utf-8"
    )


async def test_a_resource_featured_again_does_not_crowd_out_other_matches(
    service: ArchiveService, content_dir: Path
) -> None:
    """Enough resources holding every word end the search early only if they are enough once
    each resource is counted once."""
    for number in (100, 101, 102):
        _write_issue(
            content_dir,
            number,
            [("Qwerty zxcvb tool", "q"), (f"Qwerty other {number}", f"o{number}")],
        )
    await service.loader.reload()
    hits = await service.search.find("qwerty zxcvb", limit=3)
    assert hits[0].resource.title == "Qwerty zxcvb tool"
    assert len(hits) == 3


async def test_autocomplete_a_short_word_with_a_longer_one_finds_older_titles(
    service: ArchiveService, content_dir: Path
) -> None:
    _write_issue(content_dir, 100, [("Go async patterns", "go")])
    for number in range(101, 106):  # 125 newer titles hold "async" but no word starting "go"
        _write_issue(
            content_dir, number, [(f"Async thing {number} {i}", f"{number}/{i}") for i in range(25)]
        )
    await service.loader.reload()
    assert ("Go async patterns", 100) in await service.search.autocomplete_titles("go async")


def _covers(title: str, text: str, groups: list[list[str]]) -> tuple[float, float]:
    """The re-ranking score of a resource with a bm25 of 0, and with a bm25 of 1."""
    record = ResourceRecord("k", 1, "Issue", title, text, ("https://example.com/a_b",), None)
    scorer = _Scorer(groups)
    return scorer.score(record, 0.0), scorer.score(record, 1.0)


@pytest.mark.parametrize(
    ("title", "groups", "covered"),
    [
        ("Rust async runtimes", [["async"], ["runt"]], True),  # 4 letters on: a word's start
        ("Rust asynchronous", [["async"]], True),
        ("Unasync Rust", [["async"]], False),  # not the start of a word
        ("snake_case names", [["case"]], True),  # "_" splits words, as in the index
        ("GPT-3 notes", [["gpt"]], True),
        ("GPT3 notes", [["gpt"]], False),  # shorter than 4 letters: a whole word only
        ("Straße", [["strasse"]], True),  # compared case-folded
        ("Café", [["cafe"]], False),  # the index drops accents, the re-ranking does not
    ],
)
def test_rerank_coverage_counts_words_and_word_starts(
    title: str, groups: list[list[str]], covered: bool
) -> None:
    low, _ = _covers(title, "", groups)
    assert (low > 0) is covered


def test_rerank_phrase_bonus_needs_the_words_in_a_row() -> None:
    in_a_row, _ = _covers("The borrow-checker, explained", "", [["borrow"], ["checker"]])
    apart, _ = _covers("The checker of the borrow", "", [["borrow"], ["checker"]])
    in_text, _ = _covers("Explained", "all about the borrow checker", [["borrow"], ["checker"]])
    assert in_a_row > apart
    assert in_a_row > in_text > _covers("Explained", "checker borrow", [["borrow"], ["checker"]])[0]


def test_rerank_reads_links_as_text_and_weighs_bm25() -> None:
    low, high = _covers("Title", "", [["example"]])
    assert 0 < low < high


def test_typo_lookup_compares_numbers_only_with_words_that_have_digits() -> None:
    vocabulary = Vocabulary({"reset": 9, "12345": 3, "12346": 1, "gpt4": 5, "2020": 2})
    assert [word for word, _ in vocabulary.close_words("resnet")] == ["reset"]
    assert [word for word, _ in vocabulary.close_words("12344")] == ["12345", "12346"]
    assert [word for word, _ in vocabulary.close_words("gpt44")] == ["gpt4"]
    assert vocabulary.expand("20201") == ["2020"]


@pytest.mark.parametrize("cutoff", [70.0, 80.0, 600 / 7, 90.0])
@pytest.mark.parametrize("term", ["111", "1234", "12a", "a1b2", "gpt44", "2020s", "abc"])
def test_typo_lookup_finds_what_comparing_every_word_finds(term: str, cutoff: float) -> None:
    words = ["1111", "123", "1235", "12345", "2020", "12ab", "a1b", "gpt4", "abcd", "ab", "11"]
    every = process.extract(term, words, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
    expected = sorted(((word, score) for word, score, _ in every), key=lambda item: -item[1])
    found = Vocabulary(dict.fromkeys(words, 1)).close_words(term, cutoff)
    assert sorted(found) == sorted(expected[:5])
