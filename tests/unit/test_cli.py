"""The console: `python -m bot check | latest | issue | search | random`, text and JSON."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.archive.schema import SCHEMA_VERSION
from bot.cli import main
from tests.conftest import ROOT, SEEDS, write_config

ISSUE_KEYS = {"number", "title", "date", "url", "source", "resources"}
RESOURCE_KEYS = {"issue", "issue_title", "title", "text", "links", "section"}
# Keys added for the cards (issue 13), for several newsletters (issue 10) and for the link
# checker (issue 22); the ones above keep their meaning.
ADDED_ISSUE_KEYS = {"date_inferred", "newsletter"}
ADDED_RESOURCE_KEYS = {
    "display_title", "issue_date", "issue_date_inferred", "newsletter", "link_health",
}  # fmt: skip


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    assert main([*argv, "--content", str(SEEDS), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_check_lists_issues(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--content", str(SEEDS)]) == 0
    out = capsys.readouterr().out
    assert "   28  2022-04*         12  Machine Learning Monthly Newsletter" in out
    assert "5 issues, 49 resources, 0 errors" in out


def test_check_fails_on_a_broken_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.txt").write_text("nothing to number here\n")
    assert main(["check", "--content", str(tmp_path)]) == 1
    assert "bad.txt:1: error: no issue number found" in capsys.readouterr().out


def test_latest_and_issue_json(capsys: pytest.CaptureFixture[str]) -> None:
    latest = _json(capsys, "latest")
    assert isinstance(latest, dict) and set(latest) == ISSUE_KEYS | ADDED_ISSUE_KEYS
    assert (latest["number"], latest["date"], latest["url"]) == (28, "2022-04", None)
    assert set(latest["resources"][0]) == RESOURCE_KEYS | ADDED_RESOURCE_KEYS
    issue = _json(capsys, "issue", "7")
    assert isinstance(issue, dict) and issue["source"] == "004_3e1d68fb5b851ac9.txt"


def test_unknown_issue_names_the_range(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["issue", "99", "--content", str(SEEDS)]) == 1
    assert "There is no issue #99. The archive holds issues #2 to #28." in capsys.readouterr().err


def test_search_json(capsys: pytest.CaptureFixture[str]) -> None:
    result = _json(capsys, "search", "contrastve los", "--limit", "3")
    assert isinstance(result, dict) and result["query"] == "contrastve los"
    assert len(result["results"]) == 3
    assert set(result["results"][0]) == RESOURCE_KEYS | ADDED_RESOURCE_KEYS | {"score"}
    assert result["results"][0]["title"] == "Contrastive Loss Explained by Brian Williams"


def test_search_text_and_nothing_found(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "resnet", "--content", str(SEEDS)]) == 0
    assert "Search: resnet" in capsys.readouterr().out
    assert main(["search", "zzqqxx", "--content", str(SEEDS)]) == 0
    assert "Nothing found for “zzqqxx”" in capsys.readouterr().out


def test_search_filters(capsys: pytest.CaptureFixture[str]) -> None:
    result = _json(capsys, "search", "model", "--issue", "23", "--section", "FROM THE INTERNET")
    assert isinstance(result, dict) and result["results"]
    assert {(r["issue"], r["section"]) for r in result["results"]} == {(23, "From the Internet")}
    yearly = _json(capsys, "search", "model", "--year", "2020", "--limit", "25")
    assert isinstance(yearly, dict) and yearly["results"]
    assert {r["issue"] for r in yearly["results"]} <= {2, 7}
    assert main(["search", "model", "--year", "2019", "--content", str(SEEDS)]) == 0
    assert capsys.readouterr().out == (
        "Nothing found for “model” from 2019. Try without those filters.\n"
    )


def test_random_json(capsys: pytest.CaptureFixture[str]) -> None:
    pick = _json(capsys, "random")
    assert (
        isinstance(pick, dict)
        and set(pick) == RESOURCE_KEYS | ADDED_RESOURCE_KEYS
        and pick["issue"] != 28
    )


def test_bad_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("newsletter:\n  name: X\n  colour: blue\n")
    assert main(["--config", str(config), "check"]) == 2
    err = capsys.readouterr().err
    assert str(config) in err and "newsletter.colour" in err


@pytest.mark.parametrize("argv", [["latest"], []], ids=["console", "bot"])
def test_a_database_newer_than_the_code_is_one_line_and_exit_3(
    tmp_path: Path, argv: list[str]
) -> None:
    """Both the console and the bot refuse it before anything else, and never hang."""
    config = write_config(tmp_path, SEEDS)
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    done = subprocess.run(
        [sys.executable, "-m", "bot", *argv, "--config", str(config)],
        cwd=ROOT,
        env={**os.environ, "DISCORD_TOKEN": "never.used.token"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if "newer than this bot" in line]
    assert len(lines) == 1 and "point database.path at a new file" in lines[0]


def test_issue_numbers_out_of_range_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["issue", "9223372036854775808", "--content", str(SEEDS)])
    assert caught.value.code == 2
    assert "not between 0 and 1000000" in capsys.readouterr().err
