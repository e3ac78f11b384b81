"""The shapes real archives come in: other newsletters, other years, Markdown, saved pages.

The fixtures in tests/data/newsletters are short excerpts of real archives (This Week in Rust,
Haskell Weekly, ruanyf/weekly) and real-looking page dumps; the default config reads them all.
"""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor
from itertools import repeat
from pathlib import Path

import cmarkgfm
import pytest

from bot.archive.loader import dry_run
from bot.config import Settings
from bot.content.assemble import Rules
from bot.content.folder import settle
from bot.content.models import Issue, Problem, Resource
from bot.content.parse import ParseError, parse_file, parse_text
from tests.conftest import ROOT

NEWSLETTERS = ROOT / "tests" / "data" / "newsletters"
RULES = Rules.compile()


def _load(settings: Settings, folder: str) -> dict[str, Issue]:
    result = dry_run(settings.served_newsletter(folder=NEWSLETTERS / folder))
    assert result.errors == []
    return {issue.source: issue for issue in result.issues}


def _titles(issue: Issue) -> list[str]:
    return [r.title for r in issue.resources]


def _md(text: str, source: str = "x.md", rules: Rules = RULES) -> tuple[Issue, list[str]]:
    issue, problems = parse_text(text, source, rules, "Data Digest", markdown=True)
    return issue, [str(p) for p in problems]


def test_this_week_in_rust(settings: Settings) -> None:
    issues = _load(settings, "this-week-in-rust")
    new = issues["2024-03-20-this-week-in-rust.md"]
    assert (new.number, new.date, new.date_inferred, new.number_source) == (
        539, "2024-03", False, "metadata",
    )  # fmt: skip
    assert _titles(new) == [
        "The Embedded Rustacean Issue #15",  # a number inside an item is not the issue's
        "This Week in Bevy: Foundations, Meetups, and more Bevy Cheatbook updates",
        "Iterators and traversables",
        "What part of Rust compilation is the bottleneck?",
        "[video] Diplomat - Idiomatic Multi-Language APIs - Robert Bastian - Rust Zürisee March 2024",
        "heck",  # crate of the week: titled by the linked name, the heading as its section
    ]
    assert "Title of the Linked Page" not in str(new.resources)  # inside an HTML comment
    crate = new.resources[-1]
    assert crate.section == "Crate of the Week"
    assert crate.links[0] == "https://docs.rs/heck"
    assert "no_std crate" in crate.text  # inline code verbatim
    old = issues["2014-12-01-this-week-in-rust.md"]
    assert (old.number, old.date, old.title) == (59, "2014-12", "This Week in Rust 59")
    pitch = next(r for r in old.resources if r.title == "pitch_calc")  # no underscores eaten
    assert pitch.links == ("https://github.com/RustAudio/pitch_calc",)  # reference resolved
    borrow = next(r for r in old.resources if r.title == "Rust borrow and lifetimes")
    assert "works in Rust" in borrow.text  # lazy continuation line kept in its item
    assert len(borrow.links) == 2
    assert "merged in the last week" not in _titles(old)


def test_haskell_weekly_numbers_from_file_names(settings: Settings) -> None:
    issues = _load(settings, "haskell-weekly")
    featured = issues["issue-100.markdown"]
    assert (featured.number, featured.number_source) == (100, "file name")
    assert _titles(featured) == [
        "Building blocks",
        "Three layer Haskell cake",
        "The Task abstraction",
        "sv: Introduction, status, and road map",
        "Achromatic lens",
        "Functional Geekery episode 121: Claudia Doppioslash",
        "Herm's",
    ]
    assert "The question of" in featured.resources[1].text  # the quote under the item
    headingless = issues["issue-4.markdown"]
    assert _titles(headingless) == [
        "GHC 8.0.1 is available!",
        "A Debugging Horror Story: Fixing a Tricky GHC Bug",
        "store: a new and efficient binary serialization library",
    ]


def test_numbered_paragraphs_that_open_with_a_link(settings: Settings) -> None:
    issue = _load(settings, "ruanyf-weekly")["issue-150.md"]
    assert issue.number == 150
    assert _titles(issue) == ["LinkDOM", "SVG Waves", "ffmpeg-python"]
    assert {r.section for r in issue.resources} == {"工具"}


def test_page_dump_of_another_year(settings: Settings) -> None:
    issue = _load(settings, "page-dumps")["ml-monthly-bonus.txt"]
    assert (issue.number, issue.date) == (7, "2020-08")  # "7th (bonus) issue!"
    assert issue.title == "Machine Learning Monthly 💻🤖 August 2020"
    assert _titles(issue) == [
        "Machine Learning Roadmap",
        "PyTorch for Deep Learning",
        "Nutrify: take a photo of food and learn about it",
        "[Blog Post] Why you should not train on the test set",
        "[Paper] Bootstrap Your Own Latent — a new approach to self-supervised learning",
        "Made With ML — a community for sharing projects",
    ]
    assert [r.section for r in issue.resources][:3] == ["My work"] * 3  # lone "π" dropped
    assert "It’s worth a look." in issue.resources[-1].text  # "Itβs" repaired
    everything = " ".join(r.title + r.text for r in issue.resources)
    assert "β" not in everything and "π" not in everything


def test_saved_web_page(settings: Settings) -> None:
    issue = _load(settings, "saved-pages")["digest-12.html"]
    assert (issue.number, issue.title) == (12, "Data Digest — Issue #12")
    assert (issue.year, issue.month, issue.date_inferred) == (2024, 3, False)
    assert issue.resources == [
        Resource(
            "DuckDB in the browser — analytics without a server",
            "DuckDB in the browser — analytics without a server: how WebAssembly makes it work.",
            ("https://example.org/duckdb-wasm",),
            "Articles",
        ),
        Resource(
            "Why Parquet? A short story of columnar files",
            "Why Parquet? A short story of columnar files",
            ("https://example.org/why-parquet",),
            "Articles",
        ),
        Resource(
            "Polars (software)",
            "Polars (software) — the DataFrame library in Rust, on Wikipedia.",
            ("https://en.wikipedia.org/wiki/Polars_(software)",),
            "Articles",
        ),
        Resource(
            "sqlfluff",
            "This week's tool is sqlfluff, a linter for SQL with dialects for most warehouses.\n"
            "Thanks to our readers for the suggestion.",
            ("https://github.com/sqlfluff/sqlfluff",),
            "Tool of the week",
        ),
    ]
    text = str(issue.resources)
    for boilerplate in ("cookies", "Popular issues", "Unsubscribe", "Subscribe", "dataLayer"):
        assert boilerplate not in text


MARKDOWN_SHAPES = """\
Data Digest
===========

Issue 42 · March 2024

Links
-----

* [Foo — a tiny game engine](https://example.org/foo_(engine))
* [Why Bar? A short story][bar]
* `snake_case` is [pitch_calc](https://example.org/pitch_calc)'s style

<div class="ad">
* [Sponsored](https://ads.example.org)
</div>

[bar]: https://example.org/bar
"""


def test_markdown_through_commonmark() -> None:
    issue, problems = _md(MARKDOWN_SHAPES)
    assert problems == []
    assert (issue.number, issue.date, issue.title) == (42, "2024-03", "Data Digest")
    assert _titles(issue) == [
        "Foo — a tiny game engine",
        "Why Bar? A short story",
        "snake_case is pitch_calc's style",
    ]
    assert [r.links[0] for r in issue.resources] == [
        "https://example.org/foo_(engine)",
        "https://example.org/bar",
        "https://example.org/pitch_calc",
    ]
    assert {r.section for r in issue.resources} == {"Links"}


def test_a_heading_with_one_linked_item_or_a_named_section() -> None:
    text = (
        "# Data Digest 7\n\n## Reading\n\n- [One linked thing](https://example.org/1)\n\n"
        "## Sponsors\n\n## Tools\n\n### [DuckDB](https://duckdb.org)\n\nA database.\n"
    )
    issue, _ = _md(text, rules=Rules.compile(section_headings=(r"^tools$",)))
    assert [(r.section, r.title) for r in issue.resources] == [
        ("Reading", "One linked thing"),
        ("Tools", "DuckDB"),
    ]


@pytest.mark.parametrize(
    ("text", "number", "source"),
    [
        ("---\nlayout: post\nIssue: 12\ndate: 2024-01-05\n---\n# Hi\n", 12, "metadata"),
        ('+++\nnumber = 13\ntitle = "T"\n+++\n# Hi\n', 13, "metadata"),
        ("Title: Weekly 14\nDate: 2024-01-05\n\n# Hi\n", 14, "text"),
        ("# Data Digest 15\n\nHello.\n", 15, "text"),
        ("# Welcome to our thirty-first edition!\n", 31, "text"),
        ("# The ninety-ninth issue\n", 99, "text"),
        ("Welcome to the 7th (bonus) issue!\n", 7, "text"),
        ("# Weekly — No. 16\n", 16, "text"),
    ],
)
def test_where_the_number_comes_from(text: str, number: int, source: str) -> None:
    issue, _ = _md(text)
    assert (issue.number, issue.number_source) == (number, source)


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("issue-42.md", 42),
        ("Issue 42 - slug.md", 42),
        ("Issue8.md", 8),
        ("042_slug.txt", 42),
        ("2024-03-20-this-week.md", None),
    ],
)
def test_numbers_in_file_names(name: str, number: int | None) -> None:
    text = "# A newsletter\n\nHello.\n"
    if number is None:  # dated, it is left for the folder pass to number by date order
        issue = _md(text, name)[0]
        assert (issue.number_candidates, issue.number_source) == ((), "sequence")
    else:
        assert _md(text, name)[0].number == number


def test_a_date_in_the_file_name_dates_the_issue() -> None:
    issue, _ = _md("# Issue 3\n", "2024-03-20-digest.md")
    assert (issue.number, issue.date, issue.date_inferred) == (3, "2024-03", False)


def test_disagreeing_sources_warn_and_the_stronger_wins() -> None:
    text = "---\nnumber: 8\n---\n# Data Digest — Issue #9\n\n## Tools\n\nText.\n"
    issue, _ = _md(text, "issue-10.md")
    settled = settle([issue])
    assert [i.number for i in settled.issues] == [8]
    assert [str(p) for p in settled.problems] == [
        "issue-10.md:2: warning: issue number 8 from the metadata differs from 9 in the text "
        "(line 4); using 8",
        "issue-10.md:2: warning: issue number 8 from the metadata differs from 10 in the file "
        "name; using 8",
    ]


def test_a_number_inside_an_item_is_never_the_issues() -> None:
    text = "Title: Weekly\n\n## News\n\n* [The Embedded Rustacean Issue #15](https://e.org)\n"
    assert _md(text, "2024-03-20-weekly.md")[0].number_candidates == ()


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("---\nnumber: 100000000000000000000\n---\n", "out of range"),
        ("---\nnumber: -1\n---\n", "out of range"),
        ("Title: Weekly\nNumber: 99999999999\n\n", "out of range"),
    ],
)
def test_absurd_numbers_are_a_clear_problem(front: str, message: str) -> None:
    with pytest.raises(ParseError, match=message) as caught:
        _md(front + "# Hi\n")
    assert caught.value.problem.line == 2


def test_headingless_issue_is_cut_where_items_are_marked() -> None:
    text = (
        "Welcome to the 5th issue of Data Digest.\n\n"
        "**Polars 1.0**: the DataFrame library is stable.\n\nIt is fast.\n\n"
        "A long read on DuckDB internals. Link: https://duckdb.org/internals\n\n"
        "[Video] Why columnar storage wins — a talk from PyData.\n\nSlides are online.\n"
    )
    issue, _ = _md(text)
    assert [(r.title, r.text.count("\n") + 1) for r in issue.resources] == [
        ("Welcome to the 5th issue of Data Digest.", 1),
        ("Polars 1.0", 3),
        ("[Video] Why columnar storage wins", 2),
    ]


def test_a_file_of_20_000_repeated_paragraphs_parses() -> None:
    """How long it takes (near-linear) is printed by the benchmark, not asserted here."""
    paragraph = "This model trains on more data than any before it, and costs less to run."
    text = "Welcome to the 3rd issue.\n\n" + "\n\n".join([paragraph] * 20_000)
    issue, _ = parse_text(text, "big.txt", RULES, "Data Digest", markdown=False)
    assert issue.number == 3 and issue.resources


def test_one_bad_file_costs_only_itself(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "issue-1.md").write_text("# One\n\n## A\n\nText.\n")
    (tmp_path / "issue-2.md").write_text("---\nnumber: [2\n---\n")
    (tmp_path / "issue-3.md").write_text("# Three\n\n## C\n\nText.\n")
    (tmp_path / "notes.md").write_text("Nothing numbered here.\n")
    result = dry_run(settings.served_newsletter(folder=tmp_path))
    assert [i.number for i in result.issues] == [1, 3]
    assert sorted((p.source, p.line) for p in result.errors) == [("issue-2.md", 2), ("notes.md", 1)]


def test_a_parser_bug_costs_only_its_file(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "issue-1.md").write_text("# One\n")
    (tmp_path / "issue-2.md").write_text("# Two\n")
    real = parse_text

    def flaky(text: str, source: str, *args: object, **kwargs: object) -> object:
        if source == "issue-2.md":
            raise RecursionError("too deep")
        return real(text, source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("bot.content.parse.parse_text", flaky)
    result = dry_run(settings.served_newsletter(folder=tmp_path))
    assert [i.number for i in result.issues] == [1]
    assert [str(p) for p in result.errors] == [
        "issue-2.md: error: cannot be parsed (RecursionError: too deep)"
    ]


def test_the_number_from_metadata_wins_a_duplicate(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "a-issue-4.md").write_text("# Four\n")
    (tmp_path / "b.md").write_text("---\nnumber: 4\n---\n# Also four\n")
    result = dry_run(settings.served_newsletter(folder=tmp_path))
    assert [i.source for i in result.issues] == ["b.md"]
    assert [str(p) for p in result.errors] == [
        "a-issue-4.md: error: issue number 4 is also in b.md, which is kept "
        "(fix one with front matter: '---' / 'number: N' / '---')"
    ]


def test_parse_file_runs_in_worker_processes(settings: Settings) -> None:
    """The loader may parse files across processes: arguments, results and errors pickle."""
    source = settings.served_newsletter(folder=NEWSLETTERS / "this-week-in-rust")
    paths = sorted(source.folder.iterdir())
    with ProcessPoolExecutor(max_workers=2) as pool:
        parsed = list(pool.map(parse_file, paths, repeat(source.rules), repeat(source.name)))
    assert [issue.number for issue, _ in parsed] == [59, 539]
    error = ParseError(Problem("x.md", 3, "bad"))
    assert pickle.loads(pickle.dumps(error)).problem == error.problem


def test_a_number_in_a_link_of_the_introduction_is_not_the_issues() -> None:
    text = "# Weekly\n\nDon't miss [The Embedded Rustacean Issue #15](https://e.org) this week.\n"
    with pytest.raises(ParseError, match="no issue number found"):
        _md(text, "weekly.md")


def test_a_site_generators_front_matter(settings: Settings) -> None:
    """Weekly Thing: `subject` and `publish_date` keys, linked ### headings under ## sections."""
    issue = _load(settings, "weekly-thing")["150.md"]
    assert (issue.number, issue.date, issue.number_source) == (150, "2020-05", "metadata")
    assert issue.title == "Weekly Thing #150 / Speed, Insane Videoconferencing, OmniFocus, LaTeX"
    assert [(r.section, r.title) for r in issue.resources] == [
        ("Must Read", "Facebook reportedly ignored its own research showing algorithms divided "
         "users - The Verge"),
        ("Must Read", "To lead, you have to follow."),
        ("Recommended Links", "Speed"),
        ("Recommended Links", "Supabase"),
        ("Recommended Links", "How the biggest consumer apps got their first 1,000 users - "
         "Issue 25 - Lenny's Newsletter"),
    ]  # fmt: skip
    assert "• listen to changes to your PostgreSQL database" in issue.resources[3].text


def test_tagged_and_bold_lines_under_a_section_are_items() -> None:
    dump = (
        "Data Digest\n\nWelcome to the 9th issue of Data Digest.\n\nFrom the internet\n\n"
        "[Blog Post] Why you should not train on the test set — data leakage, with three "
        "examples from Kaggle: https://example.com/leakage\n\nA must read.\n\n"
        "[Paper] Bootstrap Your Own Latent, a new approach to self-supervision. "
        "https://arxiv.org/abs/2006.07733\n"
    )
    rules = Rules.compile(section_headings=(r"^from the internet",))
    issue, _ = parse_text(dump, "d.txt", rules, "Data Digest", markdown=False)
    assert _titles(issue) == [
        "[Blog Post] Why you should not train on the test set",
        "[Paper] Bootstrap Your Own Latent, a new approach to self-supervision",
    ]
    assert issue.resources[0].text.endswith("A must read.")
    text = "# Issue 9\n\n## Links\n\n**Polars**: fast.\n\n**DuckDB**: embedded.\n"
    markdown, _ = _md(text, rules=Rules.compile(section_headings=("^links$",)))
    assert _titles(markdown) == ["Polars", "DuckDB"]


def test_a_saved_page_with_a_colon_in_its_title_or_no_content(tmp_path: Path) -> None:
    page = tmp_path / "page.htm"
    page.write_text(
        "<html><head><title>Digest: issue #5</title></head><body><article><h1>Digest: issue #5"
        "</h1><h2>Links</h2><ul><li><a href='https://e.org/a'>Alpha: the first</a></li>"
        "<li><a href='https://e.org/b'>Beta</a></li></ul></article></body></html>"
    )
    issue, _ = parse_file(page, RULES, "Digest")
    assert (issue.number, issue.title, _titles(issue)) == (
        5,
        "Digest: issue #5",
        ["Alpha: the first", "Beta"],
    )
    page.write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>")
    with pytest.raises(ParseError, match="no issue number found"):
        parse_file(page, RULES, "Digest")


PAGE = """<!doctype html><html><head><title>{title} | Example</title></head><body>
<div class="cookie-banner">We use cookies. <a href="/privacy">Learn more</a></div>
<header><a href="/">Home</a> <nav><ul><li><a href="/archive">Archive</a></li>
<li><a href="/about">About</a></li></ul></nav></header>
<div class="layout"><aside class="sidebar"><h2>Popular</h2><ul><li><a href="/1">Issue 1</a></li>
<li><a href="/2">Issue 2</a></li></ul></aside>
<main><article><h1>{title}</h1>{body}
<div class="share">Share: <a href="https://x.com/share">X</a></div></article></main></div>
<footer><p>© 2024 <a href="/unsubscribe">Unsubscribe</a></p>
<form><input name="email"><button>Subscribe</button></form></footer></body></html>"""


@pytest.mark.parametrize(
    ("folder", "name"),
    [
        ("haskell-weekly", "issue-100.markdown"),
        ("this-week-in-rust", "2024-03-20-this-week-in-rust.md"),
        ("ruanyf-weekly", "issue-150.md"),
    ],
)
def test_a_saved_page_reads_like_the_markdown_it_was_rendered_from(
    tmp_path: Path, folder: str, name: str
) -> None:
    source = NEWSLETTERS / folder / name
    expected, _ = parse_file(source, RULES, "Data Digest")
    body = source.read_text(encoding="utf-8").split("\n\n", 1)[1]  # no metadata header
    page = tmp_path / f"issue-{expected.number}.html"
    page.write_text(
        PAGE.format(title=f"Issue {expected.number}", body=cmarkgfm.markdown_to_html(body))
    )
    issue, _ = parse_file(page, RULES, "Data Digest")
    assert (issue.number, issue.title) == (expected.number, f"Issue {expected.number}")
    assert [(r.title, r.links) for r in issue.resources] == [
        (r.title, r.links) for r in expected.resources
    ]


def test_text_the_parsers_trip_on_costs_nothing_around_it(tmp_path: Path) -> None:
    """A reference to U+FFFE (which cmark turns into bytes that are not UTF-8), quotes nested
    past libxml2's depth limit, a control character beside a comment in a saved page: the
    issue still reads, with what comes after them."""
    deep = "> " * 300 + "Deep thoughts.\n\n"
    text = (
        "# Issue 7\n\n## Links\n\n- [Alpha](https://e.org/a) &#xFFFE;\n\n"
        f"## Deep\n\n{deep}## More\n\n- [Beta](https://e.org/b)\n"
    )
    issue, _ = _md(text)
    assert (issue.number, _titles(issue)) == (7, ["Alpha", "Deep", "Beta"])
    page = tmp_path / "issue-8.html"
    page.write_text(
        "<html><body><h1>Issue 8</h1><h2>Links</h2><ul><li><a href='https://e.org/a'>Alpha</a>"
        "<!-- note -->&#12; first</li><li><a href='https://e.org/b'>Beta</a></li></ul></body></html>"
    )
    issue, _ = parse_file(page, RULES, "Weekly")
    assert (issue.number, _titles(issue)) == (8, ["Alpha", "Beta"])


def test_a_saved_pages_metadata(tmp_path: Path) -> None:
    page = tmp_path / "weekly.html"
    page.write_text(
        "<html><head><title>Weekly No. 8 – Example</title>"
        "<meta property='article:published_time' content='2023-11-04T09:00:00Z'>"
        "<link rel='canonical' href='https://example.org/weekly/8'></head><body>"
        "<header><h1>Example site</h1><h1>Archive</h1></header>"
        "<div id='content'><ul><li><a href='https://e.org/a'>Alpha</a> — first</li>"
        "<li><a href='https://e.org/b'>Beta</a></li></ul></div></body></html>"
    )
    issue, _ = parse_file(page, RULES, "Weekly")
    assert (issue.number, issue.date, issue.title, issue.url) == (
        8, "2023-11", "Weekly No. 8 – Example", "https://example.org/weekly/8",
    )  # fmt: skip
    assert _titles(issue) == ["Alpha", "Beta"]


@pytest.mark.parametrize(
    "header",
    [
        "---\nnumber: 3\ndate: March 20, 2024\n---\n",
        "---\nnumber: 3\ndate: 2024/03/20\n---\n",
        "---\nnumber: 3\ndate: 2024-03-20 10:00:00 +0000\n---\n",
        "Title: Weekly 3\nPublish Date: Wed, 20 Mar 2024 10:00:00 +0000\n\n",
    ],
)
def test_metadata_dates_as_tools_write_them(header: str) -> None:
    issue, _ = _md(header + "# Hi\n\n## A\n\nText.\n")
    assert (issue.number, issue.date, issue.date_inferred) == (3, "2024-03", False)


def test_rule_patterns_that_refer_to_their_own_groups_are_kept_apart() -> None:
    """Patterns are joined into one search, which renumbers groups: a pattern that refers to a
    group (a backreference, a conditional) keeps its own search and its meaning."""
    headings = Rules.compile(section_headings=(r"^(news)?letter", r"^(<)?links(?(1)>)$"))
    assert len(headings.section_headings.at_start) == 2
    assert headings.section_headings.found_in("<links>")
    assert not headings.section_headings.found_in("<links")
    joined = Rules.compile(section_headings=(r"^tools$", r"^(the|this) week$")).section_headings
    assert len(joined.at_start) == 1
    assert all(joined.found_in(t) for t in ("Tools", "this week"))


@pytest.mark.parametrize(
    ("pattern", "found", "not_found"),
    [
        (r"^tools\b", "Tools of the week", "More tools"),
        (r"^tools|crates", "Some crates", "A tool"),  # "|" outside a group: not anchored
        (r"^(?:tools|crates)\b", "Crates", "New crates"),
        (r"^[|]\s*tools", "| tools", "x | tools"),
        (r"^[]|]x", "|x", "a|x"),  # "]" first in brackets is a plain character
        (r"^\(|news", "good news", "x"),
        (r"^a(?#()|news", "good news", "x"),  # brackets in a comment
        ("^(?x: a \\# b # (\n)|news", "good news", "x"),
    ],
)
def test_rule_patterns_anchored_at_the_start_are_tried_there_only(
    pattern: str, found: str, not_found: str
) -> None:
    """A pattern that opens with ``^`` is tried at the start of a text only; one with a ``|``
    outside its groups is searched everywhere, as it always was."""
    patterns = Rules.compile(boilerplate=(pattern, r"\bsubscribe\b")).boilerplate
    assert patterns.found_in(found) and patterns.found_in("Please subscribe")
    assert not patterns.found_in(not_found)
