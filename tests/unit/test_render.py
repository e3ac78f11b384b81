"""Cards stay within Discord's embed limits however long the content."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from bot.archive.records import IssueRecord, LoadReport, LoadSummary, ResourceRecord, SearchHit
from bot.content.models import Problem
from bot.render import limits
from bot.render.cards import (
    Card,
    CardField,
    CardLink,
    format_date,
    issue_card,
    link_markdown,
    resource_card,
    search_card,
)
from bot.render.echo import INVISIBLE, echoed
from bot.render.messages import (
    format_duration,
    invalid_option_message,
    no_results_message,
    reload_failed_message,
    reload_message,
)
from bot.render.text import card_text, plain

LONG = "word " * 3000


def _resource(n: int, text: str = "Some text.") -> ResourceRecord:
    return ResourceRecord(
        f"k{n}",
        3,
        "Issue three " * 40,
        f"Title {n} " * 60,
        text,
        ("https://e.org/" + "x" * 3000,),
        None,
    )


def _within_limits(card: Card) -> None:
    assert len(card.title) <= limits.TITLE
    assert len(card.description) <= limits.DESCRIPTION
    assert len(card.fields) <= limits.FIELDS
    assert all(
        len(f.name) <= limits.FIELD_NAME and len(f.value) <= limits.FIELD_VALUE for f in card.fields
    )
    assert len(card.footer or "") <= limits.FOOTER
    assert limits.card_size(card) <= limits.TOTAL


def test_huge_cards_are_fitted() -> None:
    issue = IssueRecord(
        3, LONG, 2024, 1, None, "x.txt", False, tuple(_resource(n, LONG) for n in range(300))
    )
    for card in (
        issue_card(issue),
        resource_card(_resource(1, LONG)),
        search_card(LONG, [SearchHit(_resource(n, LONG), 1.0) for n in range(40)], 0, 30),
        Card("t", "d", fields=tuple(CardField(LONG, LONG) for _ in range(40)), footer=LONG),
    ):
        fitted = limits.fit(card)
        _within_limits(fitted)
        assert limits.card_size(limits.fit(card, reserve=300)) <= limits.TOTAL - 300
        assert fitted.title


def test_clip_cuts_at_a_boundary_and_marks_it() -> None:
    assert limits.clip("short", 10) == "short"
    clipped = limits.clip("alpha beta gamma delta", 15)
    assert clipped == "alpha beta…" and len(clipped) <= 15


def test_small_helpers() -> None:
    assert format_date("2021-03") == "March 2021"
    assert format_date(None) == "date unknown"
    assert link_markdown("a [b] c", "https://e.org/x)y") == "[a (b) c](https://e.org/x%29y)"
    assert limits.fit(Card("t", url="javascript:alert(1)")).url is None


def test_search_card_pages() -> None:
    hits = [
        SearchHit(ResourceRecord(f"k{n}", 1, "I", f"R{n}", "t", (), None), 1.0) for n in range(12)
    ]
    card = search_card("q", hits, 2, 5)
    assert [f.name for f in card.fields] == ["11. R10", "12. R11"]
    assert card.footer == "Page 3/3"


def test_console_text_drops_discord_markdown() -> None:
    assert (
        plain("**My work**\n• [A title](https://e.org/a)") == "My work\n• A title <https://e.org/a>"
    )
    text = card_text(
        Card("**T**", "x " * 100, fields=(CardField("[n](https://e.org)", "v"),), footer="f")
    )
    assert text.startswith("T\n=\n")
    assert all(len(line) <= 88 for line in text.splitlines())
    assert "n <https://e.org>" in text and text.endswith("(f)")


def test_reload_and_duration_messages() -> None:
    summary = LoadSummary(added=(29,), changed=(15, 7), removed=(), issues=6, resources=50)
    assert reload_message(LoadReport((summary,))) == (
        "Reloaded: issues added #29; changed #15, #7. Now serving 6 issues and 50 resources."
    )
    warning = Problem("a.md", None, "no resources found in this issue", fatal=False)
    broken = Problem("b.md", 3, "front matter is not valid YAML")
    shown = reload_message(
        LoadReport((replace(summary, problems=(warning, broken), kept=("b.md",)),))
    )
    assert shown.endswith(
        "\nKept the previous version of b.md (see below)."
        "\nProblems:\n• `a.md: warning: no resources found in this issue`"
        "\n• `b.md:3: error: front matter is not valid YAML`"
    )
    many = [Problem(f"f{i}.md", 1, "bad") for i in range(12)]
    failed = reload_failed_message(many)
    assert failed.count("• `") == 10 and failed.endswith("…and 2 more (run `python -m bot check`).")
    assert len(reload_failed_message([Problem("x", 1, "y" * 5000)])) <= 2000
    assert format_duration(dt.timedelta(days=1, hours=2, minutes=5, seconds=59)) == "1d 2h 5m"
    assert format_duration(dt.timedelta(minutes=7)) == "0h 7m"


def test_only_links_discord_accepts_become_buttons() -> None:
    long = "https://e.org/" + "x" * 600
    card = Card(
        "t",
        links=(
            CardLink("Read the issue", "https://e.org/1"),
            CardLink("Too long", long),
            CardLink("Not the web", "javascript:alert(1)"),
            CardLink("L" * 200, "https://e.org/2"),
            *(CardLink(f"n{n}", f"https://e.org/n{n}") for n in range(10)),
        ),
    )
    buttons = limits.link_buttons(card)
    assert len(buttons) == limits.BUTTONS
    assert [b.url for b in buttons[:2]] == ["https://e.org/1", "https://e.org/2"]
    assert len(buttons[1].label) <= limits.BUTTON_LABEL
    assert limits.fit(card).links == card.links  # fitting the embed leaves the buttons be
    assert resource_card(_resource(1)).links == (CardLink("Open the link", _resource(1).links[0]),)
    assert limits.link_buttons(resource_card(_resource(1))) == ()  # its link is 3000 characters


def test_echoes_lose_bidi_controls_and_zero_width_characters() -> None:
    hostile = "".join(sorted(INVISIBLE))
    assert echoed(f"a{hostile}b") == "ab"
    assert echoed("سلام שלום 👍🏽") == "سلام שלום 👍🏽"  # right-to-left text itself stays
    assert search_card("\u202eabc", [], 0, 5).title == "Search: abc"
    assert no_results_message("x\u2067y", []).startswith("Nothing found for “xy”.")
    assert (
        invalid_option_message("\u200bmonday\u202c")
        == "“monday” is not a valid value for that option."
    )
