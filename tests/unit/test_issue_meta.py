"""Issue numbers and dates in other wordings, and years inferred from the numbering."""

from __future__ import annotations

import pytest

from bot.content.issue_meta import Cadence, DateAnchor, find_date, infer_dates, locate_number
from bot.content.models import Issue


@pytest.mark.parametrize(
    ("line", "number"),
    [
        ("15th issue! If you missed them, read the previous issues here.", 15),
        ("Welcome to the 2nd edition of Data Digest.", 2),
        ("Welcome to the seventh edition of Machine Learning Monthly.", 7),
        ("Data Digest — Issue #41", 41),
        ("Issue 12: what happened in June", 12),
        ("Vol. 2, No. 9", 9),
        ("Read the previous issues and the next issue here.", None),
    ],
)
def test_find_number(line: str, number: int | None) -> None:
    assert locate_number([line]) == ((number, 0) if number is not None else None)


def test_the_issue_number_beats_a_promo_hashtag() -> None:
    lines = ["Give the #1 gift of 2024!", "Machine Learning Monthly", "28th issue!"]
    assert locate_number(lines) == (28, 2)


@pytest.mark.parametrize(
    ("line", "date"),
    [
        ("Machine Learning Monthly 💻🤖 March 2021", (2021, 3)),
        ("Published June 3, 2024", (2024, 6)),
        ("Published 3rd of June, 2024", (2024, 6)),
        ("Sent 2023-11-02", (2023, 11)),
        ("What you missed in November as a Machine Learning Engineer…", (None, 11)),
        ("Your October edition is here", (None, 10)),
        ("You may like this", (None, None)),
    ],
)
def test_find_date(line: str, date: tuple[int | None, int | None]) -> None:
    assert find_date([line]) == date


def test_years_are_inferred_from_the_nearest_anchor() -> None:
    issues = [
        Issue(2, "a", "a.txt"),
        Issue(15, "b", "b.txt", year=2021, month=3),
        Issue(23, "c", "c.txt", month=11),
        Issue(28, "d", "d.txt", month=4),
        Issue(40, "e", "e.txt", month=1),  # a skipped month or two still lands on the right year
    ]
    infer_dates(issues, Cadence(1, "month"))
    assert [(i.year, i.month, i.date_inferred) for i in issues] == [
        (2020, 2, True), (2021, 3, False), (2021, 11, True), (2022, 4, True), (2023, 1, True),
    ]  # fmt: skip


def test_a_configured_anchor_dates_an_issue_read_alone() -> None:
    issues = [Issue(45, "a", "a.txt", month=9)]
    infer_dates(issues, Cadence(1, "month"), anchor=DateAnchor(1, 2020, 1))
    assert (issues[0].year, issues[0].month, issues[0].date_inferred) == (2023, 9, True)


def test_nothing_is_inferred_without_an_anchor() -> None:
    issues = [Issue(1, "a", "a.txt", month=5), Issue(2, "b", "b.txt")]
    infer_dates(issues, Cadence(1, "month"))
    assert [(i.year, i.month) for i in issues] == [(None, 5), (None, None)]
