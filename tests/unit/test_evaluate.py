"""bench.evaluate on a truth file in the shared format, without ../shared."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bench.evaluate import main, score_parser
from bot.content.models import Issue, Resource
from tests.conftest import ROOT


def test_evaluate_scores_each_newsletter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    truth = ROOT / "bench" / "truth" / "excerpts-truth.yaml"
    assert main(["--eval", str(tmp_path), "--truth", str(truth), "--devset", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Parser: This Week in Rust (excerpts)" in out
    assert "issue numbers right     2/2" in out
    assert "resource recall         1.000 (7/7)" in out
    assert "titles cut or changed   0" in out
    assert "Search" not in out  # no queries.yaml in the eval folder


def test_evaluate_without_truth_says_how(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--eval", str(tmp_path), "--devset", str(tmp_path)]) == 2
    assert "no ground truth" in capsys.readouterr().err


def test_evaluate_prints_one_line_per_devset_newsletter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without ../shared the development set in the repo is still scored, a line each."""
    devset = ROOT / "tests" / "data" / "devset"
    assert main(["--eval", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Development set ({len(list(devset.glob('*.truth.yaml')))} truth files)"
    livecode = [line for line in lines if "This Week in LiveCode" in line]
    assert len(livecode) == 1
    assert re.search(
        r"served \d/4  numbers \d/4  dates \d/4 \(wrong \d, absent \d\)  recall [01]\.\d\d "
        r"\(\d+/20\)  extracted/listed \d+/72$",
        livecode[0],
    )


def test_dates_wrong_and_absent_are_told_apart() -> None:
    truth: list[dict[str, Any]] = [
        {"file": f"{n}.md", "number": n, "date": "2020-05-04", "resources": []} for n in (1, 2, 3)
    ]
    truth.append({"file": "4.md", "number": 4, "date": None, "resources": []})
    issues = [
        Issue(number=1, title="", source="1.md", year=2020, month=5),
        Issue(number=2, title="", source="2.md", year=2020, month=6, date_inferred=True),
        Issue(number=3, title="", source="3.md"),
        Issue(number=4, title="", source="4.md", year=2021, month=1),
    ]
    score = score_parser(issues, [*truth, {"file": "5.md", "number": 5}])
    assert (score.served, score.issues) == (4, 5)
    assert (score.dates_right, score.dates_wrong, score.dates_absent) == (1, 2, 1)


def test_no_number_expected_is_right_only_without_a_claimed_number() -> None:
    """``number: null``: the issue states none, so a number read from it is a wrong one."""
    truth: list[dict[str, Any]] = [
        {"file": f"{n}.md", "number": None, "date": None, "resources": []} for n in (1, 2)
    ]
    truth.append({"file": "3.md", "number": 3, "date": None, "resources": []})
    issues = [
        Issue(number=2024, title="", source="1.md", number_source="file name"),
        Issue(number=7, title="", source="2.md", number_source="text"),
        Issue(number=3, title="", source="3.md", number_source="file name"),
    ]
    assert score_parser(issues, truth).numbers_right == 1


def test_a_title_much_shorter_than_the_phrase_does_not_hold_it() -> None:
    """The fuzzy match aligns the shorter text in the longer: a resource titled "Nix" must not
    count as holding "How we use Nix at IOHK", nor make that phrase ambiguous."""
    truth: list[dict[str, Any]] = [
        {
            "file": "1.md",
            "number": 1,
            "date": None,
            "resources": ["How we use Nix at IOHK", "Flexbox in 5 minutes!"],
        }
    ]
    resources = [
        Resource("Nix", "", ("https://nixos.org",)),
        Resource("How we use Nix at IOHK", "", ("https://iohk.io",)),
        Resource("Flexbox in 5 minutes", "", ("https://flexbox.io",)),
    ]
    issue = Issue(number=1, title="", source="1.md", resources=resources)
    score = score_parser([issue], truth)
    assert (score.phrases_found, score.missed) == (2, [])
