"""bench.evaluate on a truth file in the shared format, without ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.evaluate import main
from tests.conftest import ROOT


def test_evaluate_scores_each_newsletter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    truth = ROOT / "bench" / "truth" / "excerpts-truth.yaml"
    assert main(["--eval", str(tmp_path), "--truth", str(truth)]) == 0
    out = capsys.readouterr().out
    assert "Parser: This Week in Rust (excerpts)" in out
    assert "issue numbers right     2/2" in out
    assert "resource recall         1.000 (7/7)" in out
    assert "titles cut or changed   0" in out
    assert "Search" not in out  # no queries.yaml in the eval folder


def test_evaluate_without_truth_says_how(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--eval", str(tmp_path)]) == 2
    assert "no ground truth" in capsys.readouterr().err
