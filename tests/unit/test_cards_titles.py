"""Display titles and shown text: general rules, checked on newsletters of every shape."""

from __future__ import annotations

import pytest

from bot.archive.records import IssueRecord, ResourceRecord, SearchHit
from bot.render.cards import issue_card, resource_card, search_card
from bot.render.text import card_text
from bot.render.titles import (
    MAX_TITLE,
    ShownText,
    context_line,
    display_title,
    issue_date_text,
    shorten,
    shown_text,
)


def _r(
    title: str,
    text: str,
    *,
    section: str | None = "Reading list",
    links: tuple[str, ...] = (),
    date: str | None = "2021-03",
    inferred: bool = False,
) -> ResourceRecord:
    return ResourceRecord("k", 15, "The Data Digest", title, text, links, section, date, inferred)


def _sentence(sentence: str, more: str = " More words follow here.") -> ResourceRecord:
    """A resource the parser titled with its opening sentence (no heading)."""
    return _r(sentence, sentence + more)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # a linked or quoted name
        (
            "Read [The Annotated Transformer](https://e.org/t) for a line-by-line walk through the paper.",
            "The Annotated Transformer",
        ),
        (
            "The team behind “Polars in Practice” released a free book on fast dataframes for people.",
            "Polars in Practice",
        ),
        # a leading noun phrase, up to the first verb (title-case words are part of the name)
        (
            "A Recipe for Training Neural Networks goes through a set of steps you can refer to.",
            "A Recipe for Training Neural Networks",
        ),
        (
            "Attention Is All You Need, annotated is a line-by-line walk through the transformer paper.",
            "Attention Is All You Need, annotated",
        ),
        # a long noun phrase loses its byline
        (
            "Amenity Detection and Beyond — New Frontiers of Computer Vision at Airbnb by Airbnb's "
            "Data Science team walks through how they built it.",
            "Amenity Detection and Beyond — New Frontiers of Computer Vision at Airbnb",
        ),
        # the first clause
        (
            "An interview with Ken Jee (Head of Data Science at Scout Analytics and data science YouTuber).",
            "An interview with Ken Jee",
        ),
        # no name, no clause: cut at a word boundary, with an ellipsis
        (
            "The key point being AI businesses differ to normal software businesses because "
            "they've got an ever-moving target.",
            "The key point being AI businesses differ to normal software businesses because…",
        ),
        # scare quotes are not a name; an invitation or a clause is not a noun phrase
        (
            'Check out this amazing library which is the "best" way to serve models in production today.',
            'Check out this amazing library which is the "best" way to serve models in…',
        ),
        (
            "Feature stores that nobody maintains are becoming the backbone of every ML platform.",
            "Feature stores that nobody maintains are becoming the backbone of every ML…",
        ),
        # a short sentence reads well enough as it is
        ("Active learning to the rescue.", "Active learning to the rescue"),
    ],
)
def test_a_sentence_title_gets_a_short_display_title(sentence: str, expected: str) -> None:
    resource = _sentence(sentence)
    title = display_title(resource)
    assert title == expected and len(title) <= MAX_TITLE
    assert resource.title == sentence  # the record keeps what was parsed


def test_a_title_the_parser_cut_is_derived_from_the_whole_sentence() -> None:
    sentence = (
        "A Recipe for Training Neural Networks goes through a set of steps you can (and should) "
        "refer to before you kick off a project."
    )
    resource = _r(sentence[:117] + "…", sentence + " Second sentence.")
    assert display_title(resource) == "A Recipe for Training Neural Networks"
    shown = shown_text(resource)  # the full sentence stays, its name as its opening
    assert shown.opening == "A Recipe for Training Neural Networks"
    assert (shown.opening + shown.rest).startswith(sentence)


def test_a_derived_title_keeps_the_sentence_in_the_text_a_whole_one_drops_it() -> None:
    derived = _sentence(
        "Weights & Biases launched a new tool for tracking every experiment you run."
    )
    assert display_title(derived) == "Weights & Biases"
    assert shown_text(derived) == ShownText("Weights & Biases", derived.text[16:])
    whole = _sentence("Active learning to the rescue.", " Nvidia set up a system.")
    assert shown_text(whole) == ShownText("", "Nvidia set up a system.")


@pytest.mark.parametrize(
    ("title", "text", "shown"),
    [
        ("Marimo", "Marimo — a reactive notebook.", "A reactive notebook."),
        ("DuckDB 1.0", "DuckDB 1.0: the database reaches 1.0.", "The database reaches 1.0."),
        (
            "New course (coming soon)",
            "New course (coming soon) - I'm working on it.",
            "I'm working on it.",
        ),
        ("Nutrify", "Nutrify\nAn app for food.", "An app for food."),
        ("Gradio 4.0", "gradio 4.0 — build demos.", "Build demos."),
        # a list marker before the repeated title
        ("LinkDOM", "1、LinkDOM\nA DOM in JavaScript.", "A DOM in JavaScript."),
        ("PR #26818", "• PR #26818: Stabilize duration", "Stabilize duration"),
        # not a repetition: the title is only the start of a longer word, or not there at all
        ("Go", "Google released a model.", "Google released a model."),
        ("All about GPT3", "You might've seen GPT3.", "You might've seen GPT3."),
        # nothing after the title: nothing to show
        ("Ollama", "Ollama", ""),
        ("RFC 953: overloaded ops", "RFC 953: overloaded ops.", ""),
        # "iPhone" keeps its case
        ("Apps", "Apps — iPhone apps for ML.", "iPhone apps for ML."),
    ],
)
def test_the_shown_text_never_repeats_a_heading(title: str, text: str, shown: str) -> None:
    resource = _r(title, text)
    assert shown_text(resource) == ShownText("", shown)
    assert resource.text == text


@pytest.mark.parametrize(
    ("title", "text", "opening", "rest"),
    [
        ("Marimo", "Marimo is a reactive notebook.", "Marimo", " is a reactive notebook."),
        ("Marimo", "Marimo (2024) is a notebook.", "Marimo", " (2024) is a notebook."),
        (
            "The Roadmap (video)",
            "the  roadmap (video) is here! Watch.",
            "the roadmap (video)",
            " is here! Watch.",
        ),
        # a title cut with … may end inside a word
        (
            "",
            "I used to want to get a job at a large tech company using artificial intelligence (AI). More.",
            "I used to want to get a job at a large tech company using artificial",
            " intelligence (AI). More.",
        ),
    ],
)
def test_a_title_that_runs_on_into_the_text_is_its_opening(
    title: str, text: str, opening: str, rest: str
) -> None:
    assert shown_text(_r(title, text)) == ShownText(opening, rest)


def test_a_long_heading_is_shortened_and_shown_whole_in_the_pick() -> None:
    heading = (
        "Model ensembles and cascades of smaller models can outperform larger models "
        "(both in speed and accuracy)"
    )
    resource = _r(heading, "New research from Google compared ensembles.")
    title = display_title(resource)
    assert len(title) <= MAX_TITLE and title.endswith("…")
    card = resource_card(resource)  # the heading once, whole, in bold; the cut title nowhere
    assert card.title == "From the archives"
    assert card.description == f"**{heading}**\nNew research from Google compared ensembles."
    byline = _r(
        "Why we should be using synthetic data in (robust) machine learning by Vikash Sehwag", "x"
    )
    assert (
        display_title(byline)
        == "Why we should be using synthetic data in (robust) machine learning"
    )
    not_a_byline = _r(
        "Speed up your Scikit-Learn code by up to 4000x with Intel Extension for Scikit-Learn", "x"
    )
    assert display_title(not_a_byline) == (
        "Speed up your Scikit-Learn code by up to 4000x with Intel Extension for…"
    )


def test_a_resource_without_a_title_is_named_from_its_text() -> None:
    resource = _r("", "A Recipe for Training Neural Networks goes through a set of steps. More.")
    assert display_title(resource) == "A Recipe for Training Neural Networks"
    assert display_title(_r("", "")) == ""


def test_shorten() -> None:
    assert shorten("short") == "short"
    cut = shorten("word " * 40)
    assert len(cut) <= MAX_TITLE and cut.endswith("word…")
    assert len(shorten("x" * 200)) == MAX_TITLE


def test_dates_and_context() -> None:
    assert issue_date_text("2021-03", False) == "March 2021"
    assert issue_date_text("2021-03", True) == "about March 2021"
    assert issue_date_text(None, True) == "date unknown"
    assert context_line(_r("t", "x", section="Paper of the month")) == (
        "#15 · March 2021 · Paper of the month"
    )
    assert context_line(_r("t", "x", section=None, inferred=True)) == "#15 · about March 2021"


def test_cards_use_display_titles_context_and_no_file_name() -> None:
    sentence = _sentence(
        "The team behind “Polars in Practice” released a free book on fast dataframes for people."
    )
    heading = _r("Marimo", "Marimo — a reactive notebook.", links=("https://marimo.io",))
    issue = IssueRecord(
        15, "The Data Digest", 2021, 3, None, "015_3fa9.txt", True, (sentence, heading)
    )
    card = issue_card(issue)
    assert "015_3fa9.txt" not in card_text(card) and "source:" not in card_text(card)
    assert card.footer == "2 resources" and card.links == ()
    assert card.description.startswith("Issue #15 · about March 2021\n")
    assert "• Polars in Practice\n• [Marimo](https://marimo.io)" in card.description
    linked = issue_card(IssueRecord(15, "T", 2021, 3, "https://e.org/15", "f.txt", False, ()))
    assert linked.url == "https://e.org/15"
    assert [(link.label, link.url) for link in linked.links] == [
        ("Read the issue", "https://e.org/15")
    ]

    pick = resource_card(heading)
    assert pick.title == "From the archives: Marimo" and pick.description == "A reactive notebook."
    assert pick.fields[0].value == "Issue #15 · March 2021 · Reading list"
    assert [link.url for link in pick.links] == ["https://marimo.io"]

    page = search_card("polars", [SearchHit(sentence, 1.0), SearchHit(heading, 0.5)], 0, 5)
    assert [f.name for f in page.fields] == ["1. Polars in Practice", "2. Marimo"]
    assert page.fields[1].value == (
        "A reactive notebook.\n— #15 · March 2021 · Reading list · https://marimo.io"
    )


def test_a_pick_does_not_repeat_its_heading_prefix() -> None:
    resource = _r("From the archives: The Bitter Lesson", "I'm rereading it.")
    assert resource_card(resource).title == "From the archives: The Bitter Lesson"


def test_no_card_repeats_a_title_that_opens_its_text() -> None:
    """The title shown once: a pick makes it the text's bold opening, a search result
    continues the text after it, and a text that only repeats it adds no line."""
    roadmap = _r(
        "The 2020 Machine Learning Roadmap (video walkthrough)",
        "The 2020 Machine Learning Roadmap (video walkthrough) is here! If you've ever wanted one.",
        links=("https://example.org/roadmap",),
    )
    pick = resource_card(roadmap)
    assert pick.title == "From the archives" and pick.url == "https://example.org/roadmap"
    assert pick.description == (
        "**The 2020 Machine Learning Roadmap (video walkthrough)** is here! If you've ever wanted one."
    )
    assert card_text(pick).count("Roadmap") == 1
    only = _r("Ollama", "Ollama.", links=("https://ollama.com",))
    assert resource_card(only).title == "From the archives: Ollama"
    assert resource_card(only).description == ""
    page = search_card("x", [SearchHit(roadmap, 1.0), SearchHit(only, 0.5)], 0, 5)
    assert [f.name for f in page.fields] == [
        "1. The 2020 Machine Learning Roadmap (video walkthrough)",
        "2. Ollama",
    ]
    assert page.fields[0].value == (
        "…is here! If you've ever wanted one.\n— #15 · March 2021 · Reading list"
        " · https://example.org/roadmap"
    )
    assert page.fields[1].value == "— #15 · March 2021 · Reading list · https://ollama.com"
    assert card_text(page).count("Roadmap") == 1
