"""Issue numbers and dates in other wordings, and years inferred from the numbering."""

from __future__ import annotations

import pytest

from bot.content.issue_meta import (
    Cadence,
    DateAnchor,
    file_date,
    file_number,
    find_date,
    infer_dates,
    locate_number,
    title_number,
)
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
        ("7th (bonus) issue! If you missed them", 7),
        ("Welcome to the thirty-first edition of the digest", 31),
        ("The ninety-ninth issue", 99),
        ("Our twentieth newsletter", 20),
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


@pytest.mark.parametrize(
    ("text", "cadence"),
    [("1 week", Cadence(1, "week")), ("2 weeks", Cadence(2, "week")), ("1 month", Cadence())],
)
def test_cadence_in_weeks_or_months(text: str, cadence: Cadence) -> None:
    assert Cadence.parse(text) == cadence


def test_a_weekly_cadence_dates_issues_by_the_week() -> None:
    issues = [Issue(100, "a", "a.md", year=2024, month=3), Issue(104, "b", "b.md")]
    issues.append(Issue(109, "c", "c.md", month=5))
    infer_dates(issues, Cadence(1, "week"))
    assert [(i.year, i.month, i.date_inferred) for i in issues] == [
        (2024, 3, False), (2024, 4, True), (2024, 5, True),
    ]  # fmt: skip


def test_inference_can_run_again_over_any_list() -> None:
    """What the file stated is kept apart, so a later run with other anchors starts afresh."""
    stated = Issue(23, "c", "c.txt", month=11)
    infer_dates([Issue(15, "b", "b.txt", year=2021, month=3), stated], Cadence())
    assert (stated.year, stated.month) == (2021, 11)
    infer_dates([Issue(30, "d", "d.txt", year=2025, month=6), stated], Cadence())
    assert (stated.year, stated.month, stated.date_inferred) == (2024, 11, True)
    infer_dates([stated], Cadence())
    assert (stated.year, stated.month, stated.date_inferred) == (None, 11, False)


def test_absurd_distances_leave_the_date_unknown() -> None:
    issues = [Issue(1, "a", "a.md", year=2020, month=1), Issue(1_000_000, "b", "b.md")]
    infer_dates(issues, Cadence(1, "week"))
    infer_dates(issues, Cadence(12, "month"))
    assert (issues[1].year, issues[1].date_inferred) == (None, False)


@pytest.mark.parametrize(
    ("name", "number"),
    [("issue-42.md", (42, True)), ("042_slug.txt", (42, False)), ("2020-12-9-weekly.md", None)],
)
def test_file_number(name: str, number: tuple[int, bool] | None) -> None:
    assert file_number(name) == number


def test_file_date_and_title_number() -> None:
    assert file_date("2020-12-9-this-week.md") == (2020, 12)
    assert title_number("This Week in Rust 59") == 59
    assert title_number("Machine Learning Monthly May 2022") is None


def test_a_prediction_in_the_future_is_not_a_date() -> None:
    """A cadence or anchor meant for another newsletter must not date issues years ahead."""
    issues = [Issue(600, "a", "a.md")]
    infer_dates(issues, Cadence(), anchor=DateAnchor(1, 2020, 1))
    assert (issues[0].year, issues[0].month, issues[0].date_inferred) == (None, None, False)
