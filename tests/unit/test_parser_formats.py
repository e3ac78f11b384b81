"""Front matter, Markdown issues, another newsletter's wording, and files that fail."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.archive.loader import dry_run
from bot.config import Newsletter, Settings
from bot.content.assemble import Rules
from bot.content.parse import ParseError, parse_file, parse_text
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data"
RULES = Rules.compile(
    section_headings=(r"^my work\b", r"\bfrom the internet\b"), caption_markers=("Source:",)
)

MARKDOWN_ISSUE = """\
# Data Digest — June 2024

Welcome to the 41st issue of Data Digest!

## Reading

### [Attention Is All You Need, revisited](https://example.org/attention)

A fresh look at the transformer paper.

- Part one covers [the encoder](https://example.org/encoder).
- Part two covers decoding.

![diagram](https://example.org/img.png)

### Polars 1.0 is out

Polars reached 1.0. See <https://pola.rs>.

## Tools

### DuckDB tips

**Ten** tips for faster queries.
"""

SIBLING_DUMP = """\
Data Digest 📊 June 2024

Jane Doe

Welcome to issue #41 of Data Digest.

From the internet

Attention Is All You Need, revisited

A fresh look at the transformer paper, with code.

attention-diagram

The transformer architecture. Source: the paper.

It holds up well. Read it at https://example.org/attention.

Polars 1.0 is out

Polars reached 1.0 with a stable API.

3. Is bigger always better?

A study of model scale.

How so?

Read on.

More from Data Digest

Subscribe today
"""


def test_markdown_issue() -> None:
    issue, problems = parse_text(MARKDOWN_ISSUE, "041.md", RULES, "Data Digest", markdown=True)
    assert problems == []
    assert (issue.number, issue.year, issue.month) == (41, 2024, 6)
    assert issue.title == "Data Digest — June 2024"
    assert [r.title for r in issue.resources] == [
        "Attention Is All You Need, revisited",
        "Polars 1.0 is out",
        "DuckDB tips",
    ]
    assert [r.section for r in issue.resources] == ["Reading", "Reading", "Tools"]
    attention = issue.resources[0]
    assert attention.links == ("https://example.org/attention", "https://example.org/encoder")
    assert "• Part one covers the encoder." in attention.text
    assert "img.png" not in attention.text
    assert issue.resources[1].links == ("https://pola.rs",)
    assert issue.resources[2].text == "Ten tips for faster queries."


@pytest.mark.parametrize("odd", ["\x07", "\x0b", "\ufffe"])
def test_a_markdown_issue_with_characters_xml_refuses_reads_the_same(odd: str) -> None:
    """cmark's HTML is read as XML, which refuses some characters; such a file reads as well."""
    text = MARKDOWN_ISSUE.replace("Polars 1.0 is out", f"Polars 1.0 is out{odd}")
    issue, problems = parse_text(text, "041.md", RULES, "Data Digest", markdown=True)
    expected, _ = parse_text(MARKDOWN_ISSUE, "041.md", RULES, "Data Digest", markdown=True)
    assert problems == []
    assert [r.title.replace(odd, "") for r in issue.resources] == [
        r.title for r in expected.resources
    ]
    assert [r.links for r in issue.resources] == [r.links for r in expected.resources]


def test_sibling_newsletter_page_dump() -> None:
    rules = Rules.compile(
        section_headings=(r"\bfrom the internet\b",),
        end_markers=(r"^more from data digest",),
        caption_markers=("Source:",),
    )
    issue, _ = parse_text(SIBLING_DUMP, "041.txt", rules, "Data Digest", markdown=False)
    assert (issue.number, issue.year, issue.month) == (41, 2024, 6)
    assert [r.title for r in issue.resources] == [
        "Attention Is All You Need, revisited",
        "Polars 1.0 is out",
        "Is bigger always better?",
    ]
    assert issue.resources[2].text == "A study of model scale.\nHow so?\nRead on."
    assert issue.resources[0].links == ("https://example.org/attention",)
    assert issue.resources[0].section == "From the internet"


def test_front_matter_overrides_detection() -> None:
    text = (
        "---\nnumber: 99\ndate: 2030-01\ntitle: Fixed title\nurl: https://example.org/99\n---\n"
        + SIBLING_DUMP
    )
    issue, _ = parse_text(text, "x.txt", RULES, "Data Digest", markdown=False)
    assert (issue.number, issue.year, issue.month, issue.title, issue.url) == (
        99, 2030, 1, "Fixed title", "https://example.org/99",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("front", "line", "message"),
    [
        ("---\nnumber: twelve\n---\n", 2, "not a whole number"),
        ("---\nnumber: 3\ndate: March\n---\n", 3, "not YYYY-MM"),
        ("---\nlayout: post\nnumber: 100000000000000000000\n---\n", 3, "out of range"),
        ("+++\nnumber = -1\n+++\n", 2, "out of range"),
        ("Title: Weekly 4\nNumber: 4x\n\n", 2, "not a whole number"),
        ("---\nnumber: [1\n---\n", 2, "not valid YAML"),
        ("---\nnumber: 3\n", 1, "never closed"),
    ],
)
def test_bad_front_matter_names_the_line(front: str, line: int, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_text(front + "Some text\n", "bad.md", RULES, "Data Digest", markdown=True)
    assert caught.value.problem.line == line
    assert message in caught.value.problem.message


def test_a_file_without_a_number_fails_with_a_fix() -> None:
    with pytest.raises(ParseError) as caught:
        parse_text(
            "Just some words\n\nNo numbering here.\n", "n.txt", RULES, "Data Digest", markdown=False
        )
    assert "no issue number found" in str(caught.value)
    assert "front matter" in str(caught.value)


def test_folder_problems_name_every_file(tmp_path: Path, seeds_newsletter: Newsletter) -> None:
    (tmp_path / "README.md").write_text("# About\n\nnot an issue\n")
    (tmp_path / "a.md").write_text("---\nnumber: 1\n---\n# A\n\n## Thing\n\nText.\n")
    (tmp_path / "b.md").write_text("---\nnumber: 1\n---\n# B\n\n## Other\n\nText.\n")
    (tmp_path / "c.md").write_text("---\nnumber: x\n---\n")
    source = replace(seeds_newsletter, folder=tmp_path, name="Data Digest")
    result = dry_run(source)
    assert [i.source for i in result.issues] == ["a.md"]
    assert sorted(str(p) for p in result.errors) == [
        "b.md: error: issue number 1 is also in a.md, which is kept (fix one with front matter: '---' / 'number: N' / '---')",
        "c.md:2: error: number 'x' is not a whole number",
    ]


def test_an_issue_in_a_later_layout_with_unknown_section_names(settings: Settings) -> None:
    """Section names the config does not know, an intro with a list, a numbered question."""
    source = settings.served_newsletter(folder=DATA)
    issue, problems = parse_file(DATA / "later_issue.txt", source.rules, source.name)
    assert problems == []
    assert (issue.number, issue.month) == (45, 9)
    assert [(r.section, r.title) for r in issue.resources] == [
        ("Things I made", "Learn PyTorch in a day"),
        ("Things I made", "Nutrify update"),
        ("Cool stuff from around the web", "Llama 2 is out by Meta AI"),
        ("Cool stuff from around the web", "What is a vector database?"),
        ("Cool stuff from around the web", "Hugging Face ships a new course."),
        ("Cool stuff from around the web", "Gradio 4.0"),
        ("Cool stuff from around the web", "Ollama"),
    ]
    llama = issue.resources[2]
    assert llama.links == ("https://arxiv.org/abs/2307.09288",)
    assert "The licence allows commercial use." in llama.text
