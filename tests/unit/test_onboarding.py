"""`python -m bot newsletter add DIR`: the proposal learned from a folder, the config written
with its comments kept, and the refusals."""

from __future__ import annotations

import io
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.archive.loader import dry_run
from bot.archive.onboarding import add_entry, fit_cadence, learn_name, propose
from bot.cli import main
from bot.config import load_settings
from tests.conftest import ROOT

DEVSET = ROOT / "tests" / "data" / "devset"
TWIR = ROOT / "tests" / "data" / "twir"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A copy of the shipped config beside a copy of the seeds, its database in tmp."""
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    (tmp_path / "config").mkdir()
    path = tmp_path / "config" / "config.yaml"
    shutil.copy(ROOT / "config" / "config.yaml", path)
    return path


def _folder(tmp_path: Path, source: Path) -> Path:
    return Path(shutil.copytree(source, tmp_path / source.name))


def test_proposal_learns_name_and_cadence(tmp_path: Path, config: Path) -> None:
    folder = _folder(tmp_path, DEVSET / "this-week-in-livecode")
    proposal = propose(load_settings(config), folder)
    assert proposal.entry["name"] == "This Week In LiveCode"
    assert proposal.entry["id"] == "this-week-in-livecode"
    assert proposal.entry["cadence"] == "1 week"
    assert proposal.entry["folder"] == "../this-week-in-livecode"
    assert [i.number for i in proposal.result.issues] == [25, 85, 157, 241]
    # The chrome the folder pass dropped is listed, and becomes patterns that drop it from
    # an issue read alone.
    assert set(proposal.chrome) == {"livecodeian", "livecodepanos"}
    patterns = proposal.entry["parser"]["boilerplate"]
    assert len(patterns) == 2
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(folder / "2018-12-03-this-week-in-livecode-157.markdown", alone)
    read = dry_run(replace(proposal.newsletter, folder=alone))
    titles = {r.title for r in read.issues[0].resources}
    assert "livecodepanos" not in titles


@pytest.mark.parametrize(
    ("source", "name"),
    [
        (DEVSET / "ember-times", "The Ember Times"),
        (DEVSET / "ios-weekly", "老司机 iOS 周报"),
        (DEVSET / "python-weekly-cn", "Python 潮流周刊"),
        (DEVSET / "this-month-in-redox", "This Month in Redox"),
        (DEVSET / "nixos-weekly", "NixOS Weekly"),
        (TWIR, "This Week in Rust"),
    ],
)
def test_name_from_the_issues(source: Path, name: str) -> None:
    settings = load_settings(ROOT / "config" / "config.yaml")
    result = dry_run(settings.served_newsletter(folder=source))
    assert learn_name(result.issues, source)[0] == name


def test_name_falls_back_to_the_folder(tmp_path: Path, config: Path) -> None:
    folder = _folder(tmp_path, DEVSET / "jser-info")  # titles are a date and the topics
    proposal = propose(load_settings(config), folder)
    assert (proposal.entry["name"], proposal.name_from) == ("Jser Info", "the folder name")


def test_cadence_fitted_or_none(tmp_path: Path, config: Path) -> None:
    settings = load_settings(config)
    assert fit_cadence(dry_run(settings.served_newsletter(folder=TWIR)).issues) == "1 week"
    # Undated issues give no cadence rather than a guess.
    undated = dry_run(settings.served_newsletter(folder=DEVSET / "nixos-weekly")).issues
    assert fit_cadence(undated) is None


def test_written_config_keeps_comments_loads_and_serves_both(tmp_path: Path, config: Path) -> None:
    folder = _folder(tmp_path, DEVSET / "ember-times")
    before = config.read_text()
    proposal = propose(load_settings(config), folder)
    settings, converted = add_entry(config, proposal.entry)
    assert converted
    after = config.read_text()
    comments = [line.strip() for line in before.splitlines() if line.strip().startswith("#")]
    assert comments == [line.strip() for line in after.splitlines() if line.strip().startswith("#")]
    assert "icon_url: null" in after
    assert "    # Headings that open a section of the issue rather than a resource." in after
    # The old newsletter keeps its id (its stored content, picks and schedules) and settings.
    old, new = settings.served
    assert (old.id, old.name, old.folder) == (
        "default",
        "Machine Learning Monthly",
        tmp_path / "seeds",
    )
    assert old.cadence is not None and old.date_anchor is not None
    assert old.rules == load_settings(ROOT / "config" / "config.yaml").served[0].rules
    assert (new.id, new.name, new.folder) == ("the-ember-times", "The Ember Times", folder)
    assert [len(dry_run(n).issues) for n in settings.served] == [5, 4]
    # A second one is appended to the list, the rest of the file untouched.
    second = _folder(tmp_path, DEVSET / "this-week-in-redox")
    settings, converted = add_entry(config, propose(settings, second).entry)
    assert not converted
    assert [n.id for n in settings.served] == ["default", "the-ember-times", "this-week-in-redox"]
    assert config.read_text().startswith(after.split("\n  - id: the-ember-times")[0])


def test_console_writes_with_yes(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _folder(tmp_path, DEVSET / "this-week-in-redox")
    assert main(["newsletter", "init", str(folder), "--config", str(config), "--yes",
                 "--id", "redox", "--name", "Redox"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "3 issues (#4 to #21), dated 2015-10 to 2017-06" in out
    assert "python -m bot check --newsletter redox" in out
    assert main(["check", "--config", str(config), "--newsletter", "redox"]) == 0
    assert [n.name for n in load_settings(config).served] == ["Machine Learning Monthly", "Redox"]


def test_console_asks_and_refuses_without_a_terminal(
    tmp_path: Path,
    config: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = _folder(tmp_path, DEVSET / "ember-times")
    before = config.read_text()
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert main(["newsletter", "add", str(folder), "--config", str(config)]) == 1
    assert "run again with --yes" in capsys.readouterr().err
    assert config.read_text() == before

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    assert main(["newsletter", "add", str(folder), "--config", str(config)]) == 1
    assert config.read_text() == before
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    assert main(["newsletter", "add", str(folder), "--config", str(config)]) == 0
    assert "Added newsletter the-ember-times" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("make", "extra", "says"),
    [
        (lambda p: p / "missing", [], "no such folder"),
        (lambda p: p / "empty", [], "no issue files"),
        (lambda p: p / "unnumbered", [], "2 files failed"),
        (lambda p: p / "seeds", [], "already served as newsletter default"),
        (lambda p: DEVSET / "ember-times", ["--id", "default"], "already has a newsletter"),
        (lambda p: DEVSET / "ember-times", ["--id", "Not An Id"], "an id is 1 to 32"),
    ],
)
def test_refusals_are_one_line(
    tmp_path: Path,
    config: Path,
    capsys: pytest.CaptureFixture[str],
    make: object,
    extra: list[str],
    says: str,
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "unnumbered").mkdir()
    for name in ("notes.md", "more.md"):  # neither numbered nor dated
        (tmp_path / "unnumbered" / name).write_text("# Notes\n\n- [A](https://a.org)\n")
    before = config.read_text()
    folder = make(tmp_path)  # type: ignore[operator]
    assert main(["newsletter", "add", str(folder), "--config", str(config), "--yes", *extra]) == 1
    captured = capsys.readouterr()
    assert says in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert config.read_text() == before


def test_a_file_given_as_folder(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    issue = tmp_path / "issue-1.md"
    issue.write_text("# Issue 1\n\n- [A](https://example.org/a)\n")
    assert main(["newsletter", "add", str(issue), "--config", str(config), "--yes"]) == 1
    assert "is a file, not a folder" in capsys.readouterr().err
