"""The console follows the same rules as the cards; its JSON keeps what was parsed and adds
what the cards show."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.cli import main
from bot.render.titles import MAX_TITLE
from tests.conftest import SEEDS


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main([*argv, "--content", str(SEEDS)]) == 0
    return capsys.readouterr().out


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    return json.loads(_run(capsys, *argv, "--json"))


def test_console_issue_has_display_titles_and_no_file_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = _run(capsys, "issue", "2")
    assert "002_8677f77b30bfbd0f.txt" not in text and "source:" not in text
    assert "Issue #2 · about February 2020" in text
    assert "\n• A Recipe for Training Neural Networks\n" in text
    assert text.rstrip().endswith("(9 resources)")


def test_console_search_says_month_and_section_without_repeating_titles(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = _run(capsys, "search", "pytorch", "--limit", "3")
    assert "1. New ZTM PyTorch course (coming soon)\n  I’m working on a hands-on" in text
    assert "  — #28 · about April 2022 · My work" in text


def test_json_keeps_what_was_parsed_and_adds_what_is_shown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    issue = _json(capsys, "issue", "2")
    assert issue["source"] == "002_8677f77b30bfbd0f.txt" and issue["date_inferred"] is True
    recipe = next(r for r in issue["resources"] if r["title"].startswith("A Recipe"))
    assert recipe["title"].startswith("A Recipe for Training Neural Networks goes through")
    assert recipe["text"].startswith(recipe["title"].rstrip("…"))  # as parsed
    assert recipe["display_title"] == "A Recipe for Training Neural Networks"
    assert (recipe["issue_date"], recipe["issue_date_inferred"]) == ("2020-02", True)
    assert all(len(r["display_title"]) <= MAX_TITLE for r in issue["resources"])

    latest = _json(capsys, "latest")
    course = latest["resources"][0]
    assert course["text"].startswith(course["title"] + " — ")  # the repetition stays in JSON
    assert course["display_title"] == course["title"]

    hits = _json(capsys, "search", "pytorch", "--limit", "2")["results"]
    assert all({"score", "display_title", "issue_date"} <= set(h) for h in hits)


def test_console_pick(capsys: pytest.CaptureFixture[str]) -> None:
    text = _run(capsys, "random")
    title = text.splitlines()[0].removeprefix("From the archives: ")
    assert len(title) <= MAX_TITLE
    assert "\nFrom\n  Issue #" in text and ".txt" not in text
